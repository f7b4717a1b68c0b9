//! Listing a workflow's jobs: `GET /api/v2/workflow/{id}/job`, following
//! `next_page_token` (sent back as `page-token`) up to the page limit. Only
//! the fields cigen needs are read: `name`, `type` (`build` or `approval`),
//! `status` (`on_hold` while an approval waits) and `approval_request_id`.

use serde::Deserialize;

use super::client::{ApiClient, status_problem};
use super::error::ApiError;
use super::exchange::{Api, Call, Method};
use super::message::server_message;
use super::secret::Secret;

/// One job of a workflow, as the API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct WorkflowJob {
    #[serde(default)]
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub approval_request_id: Option<String>,
}

#[derive(Deserialize)]
struct JobPage {
    #[serde(default)]
    items: Vec<WorkflowJob>,
    #[serde(default)]
    next_page_token: Option<String>,
}

/// Jobs of a workflow and the HTTP requests it took to list them.
pub(crate) struct JobListing {
    pub jobs: Vec<WorkflowJob>,
    pub requests: u32,
}

impl ApiClient {
    /// Every job of `workflow_id`, all pages.
    pub(crate) fn list_workflow_jobs(
        &self,
        token: &Secret,
        workflow_id: &str,
    ) -> Result<JobListing, ApiError> {
        let mut listing = JobListing {
            jobs: Vec::new(),
            requests: 0,
        };
        let mut page_token: Option<String> = None;
        for _ in 0..self.max_job_pages() {
            let call = Call {
                api: Api::CircleCi,
                method: Method::Get,
                path: format!("/api/v2/workflow/{workflow_id}/job"),
                query: page_token
                    .iter()
                    .map(|t| ("page-token", t.clone()))
                    .collect(),
                token: Some(token),
                json_body: None,
                needs_body: true,
            };
            let done = self.perform(&call, token)?;
            listing.requests += done.attempts;
            let status = done.answer.status;
            if !(200..300).contains(&status) {
                return Err(ApiError::Rejected {
                    request: call.label(),
                    attempts: done.attempts,
                    status,
                    message: server_message(&done.answer.body, token),
                    hint: token_hint(status),
                });
            }
            let page: JobPage = serde_json::from_slice(&done.answer.body).map_err(|err| {
                ApiError::InvalidResponse {
                    request: call.label(),
                    attempts: done.attempts,
                    reason: format!(
                        "expected a job list ({err}); got {}",
                        status_problem(&done.answer, token)
                    ),
                }
            })?;
            listing.jobs.extend(page.items);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) => page_token = Some(next),
                None => return Ok(listing),
            }
        }
        Err(ApiError::TooManyPages {
            workflow_id: workflow_id.to_owned(),
            pages: self.max_job_pages(),
        })
    }
}

/// What to check when CircleCI refuses a token-authenticated call.
pub(crate) fn token_hint(status: u16) -> Option<&'static str> {
    match status {
        401 | 403 => Some(
            "check that CIRCLE_TOKEN holds a valid personal api token with access to this project",
        ),
        404 => Some(
            "check the workflow id (CIRCLE_WORKFLOW_ID) and that CIRCLE_TOKEN can see this project",
        ),
        300..=399 => Some("the api url redirects; set CIRCLECI_API_URL to the final address"),
        _ => None,
    }
}

/// CircleCI ids are uuids: only letters, digits and `-` may go into a path.
pub(crate) fn is_path_safe_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 100 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_page_with_unknown_and_missing_fields() {
        let page: JobPage = serde_json::from_str(
            r#"{"next_page_token":null,"items":[
                {"name":"hold","type":"approval","status":"on_hold","approval_request_id":"a-1","job_number":null},
                {"name":"build","type":"build","status":"success","dependencies":[]}
            ]}"#,
        )
        .expect("valid page");
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.items[0].approval_request_id.as_deref(), Some("a-1"));
        assert_eq!(page.items[1].approval_request_id, None);
        assert_eq!(page.next_page_token, None);
    }

    #[test]
    fn ids_that_may_go_into_a_path() {
        assert!(is_path_safe_id("5034460f-c7c4-4c43-9457-de07e2029e7b"));
        for bad in ["", "../x", "a/b", "a?b", "a b"] {
            assert!(!is_path_safe_id(bad), "{bad}");
        }
    }
}
