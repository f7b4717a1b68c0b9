//! Approving an approval job of a workflow by name: list the workflow's jobs,
//! find the `approval` job with that name, and POST
//! `/api/v2/workflow/{id}/approve/{approval_request_id}`. A gate that is no
//! longer `on_hold` (already approved, or its workflow ended) is success, so
//! several shim jobs may race to open the same gate. A refused POST is
//! checked against a fresh listing before it is reported as an error.

use std::fmt;

use super::client::ApiClient;
use super::error::ApiError;
use super::exchange::{Api, Call, Method};
use super::jobs::{JobListing, WorkflowJob, is_path_safe_id, token_hint};
use super::message::{normalized_words, server_message};
use super::secret::Secret;

/// The status of an approval job waiting to be approved.
const ON_HOLD: &str = "on_hold";
/// The status of a job (approval included) still waiting for its requirements.
const BLOCKED: &str = "blocked";

/// How an approval ended well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApproveOutcome {
    /// This call approved the job.
    Approved { job_name: String, requests: u32 },
    /// The job was no longer on hold: approved before, or its workflow ended.
    AlreadyApproved {
        job_name: String,
        status: String,
        requests: u32,
    },
}

impl ApproveOutcome {
    /// HTTP requests made, retries and listing pages included.
    pub fn requests(&self) -> u32 {
        match self {
            Self::Approved { requests, .. } | Self::AlreadyApproved { requests, .. } => *requests,
        }
    }
}

impl fmt::Display for ApproveOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Approved { job_name, .. } => write!(f, "approved `{job_name}`"),
            Self::AlreadyApproved {
                job_name, status, ..
            } => write!(
                f,
                "`{job_name}` is no longer on hold (status `{status}`): nothing to approve"
            ),
        }
    }
}

impl ApiClient {
    /// Approves the approval job `job_name` of workflow `workflow_id`.
    pub fn approve_job(
        &self,
        token: &Secret,
        workflow_id: &str,
        job_name: &str,
    ) -> Result<ApproveOutcome, ApiError> {
        if token.is_empty() {
            return Err(ApiError::MissingSecret {
                what: "the api token (CIRCLE_TOKEN)",
            });
        }
        if !is_path_safe_id(workflow_id) {
            return Err(ApiError::InvalidWorkflowId {
                workflow_id: workflow_id.to_owned(),
            });
        }
        let JobListing { jobs, mut requests } = self.list_workflow_jobs(token, workflow_id)?;
        let job = find_approval_job(&jobs, workflow_id, job_name)?;
        match job.status.as_str() {
            ON_HOLD => {}
            BLOCKED => {
                return Err(ApiError::NotApprovable {
                    job_name: job_name.to_owned(),
                    status: job.status.clone(),
                });
            }
            _ => return Ok(already(job_name, &job.status, requests)),
        }
        let approval_id = job.approval_request_id.as_deref().unwrap_or_default();
        if !is_path_safe_id(approval_id) {
            return Err(ApiError::InvalidResponse {
                request: format!("GET /api/v2/workflow/{workflow_id}/job"),
                attempts: requests,
                reason: format!("approval job `{job_name}` has no usable approval_request_id"),
            });
        }
        let path = format!("/api/v2/workflow/{workflow_id}/approve/{approval_id}");
        let call = Call {
            api: Api::CircleCi,
            method: Method::Post,
            path,
            query: Vec::new(),
            token: Some(token),
            json_body: None,
            needs_body: false,
        };
        let done = self.perform(&call, token)?;
        requests += done.attempts;
        let status = done.answer.status;
        if (200..300).contains(&status) {
            return Ok(ApproveOutcome::Approved {
                job_name: job_name.to_owned(),
                requests,
            });
        }
        let message = server_message(&done.answer.body, token);
        // 401/403/404 say nothing about the gate; other refusals may mean
        // it was approved meanwhile (by someone, or by our own unanswered attempt).
        if (400..500).contains(&status) && !matches!(status, 401 | 403 | 404) {
            if says_already_approved(&message) {
                return Ok(already(job_name, "success", requests));
            }
            if let Ok(fresh) = self.list_workflow_jobs(token, workflow_id) {
                requests += fresh.requests;
                let now = fresh
                    .jobs
                    .iter()
                    .find(|j| j.name == job_name && j.kind == "approval");
                if let Some(now) = now.filter(|j| j.status != ON_HOLD && j.status != BLOCKED) {
                    return Ok(already(job_name, &now.status, requests));
                }
            }
        }
        Err(ApiError::Rejected {
            request: call.label(),
            attempts: done.attempts,
            status,
            message,
            hint: token_hint(status),
        })
    }
}

/// "already approved", "has already been approved", in any case or punctuation.
fn says_already_approved(message: &str) -> bool {
    let words = normalized_words(message);
    ["already approved", "already been approved"]
        .iter()
        .any(|phrase| words.contains(phrase))
}

fn already(job_name: &str, status: &str, requests: u32) -> ApproveOutcome {
    ApproveOutcome::AlreadyApproved {
        job_name: job_name.to_owned(),
        status: status.to_owned(),
        requests,
    }
}

/// The approval job named `job_name`, or an error naming the approval jobs there are.
fn find_approval_job<'a>(
    jobs: &'a [WorkflowJob],
    workflow_id: &str,
    job_name: &str,
) -> Result<&'a WorkflowJob, ApiError> {
    if let Some(job) = jobs
        .iter()
        .find(|j| j.name == job_name && j.kind == "approval")
    {
        return Ok(job);
    }
    let mut approval_jobs: Vec<String> = jobs
        .iter()
        .filter(|j| j.kind == "approval")
        .map(|j| j.name.clone())
        .collect();
    approval_jobs.sort();
    approval_jobs.dedup();
    Err(ApiError::UnknownApprovalJob {
        workflow_id: workflow_id.to_owned(),
        job_name: job_name.to_owned(),
        approval_jobs,
        other_type: jobs
            .iter()
            .find(|j| j.name == job_name)
            .map(|j| j.kind.clone()),
    })
}
