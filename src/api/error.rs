//! `ApiError` is every way a CircleCI or GitHub API call can fail, with lowercase
//! messages that say what was asked, how many attempts were made and what the
//! server said. Every string in it was scrubbed of secrets before it got here;
//! nothing in this file ever sees a key or token.

use std::fmt;

use super::note::attempts_phrase;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The API base URL is not an absolute http(s) URL.
    InvalidBaseUrl { url: String, reason: String },
    /// The credential needed for the call is empty.
    MissingSecret { what: &'static str },
    /// The workflow id is not a CircleCI id (letters, digits, `-`).
    InvalidWorkflowId { workflow_id: String },
    /// The GitHub repository is not `owner/name`.
    InvalidRepository { repository: String },
    /// No CA certificate could be loaded from the system store.
    CaStore { reason: String },
    /// Every attempt failed with a retryable problem (connect failure,
    /// timeout, no answer, 429, 5xx).
    Exhausted {
        request: String,
        attempts: u32,
        last: String,
    },
    /// The server refused with a status retrying cannot change
    /// (a 4xx other than 429, or a redirect).
    Rejected {
        request: String,
        attempts: u32,
        status: u16,
        message: String,
        hint: Option<&'static str>,
    },
    /// A failure retrying cannot fix, such as TLS verification or a bad URL.
    Transport {
        request: String,
        attempts: u32,
        reason: String,
    },
    /// The server answered with a body this client cannot use.
    InvalidResponse {
        request: String,
        attempts: u32,
        reason: String,
    },
    /// The workflow has no approval job of that name.
    UnknownApprovalJob {
        workflow_id: String,
        job_name: String,
        /// Names of the approval jobs the workflow does have, sorted.
        approval_jobs: Vec<String>,
        /// Set when a job of that name exists but is not an approval job.
        other_type: Option<String>,
    },
    /// The approval job still waits for its own requirements.
    NotApprovable { job_name: String, status: String },
    /// Job listing did not end within the page limit.
    TooManyPages { workflow_id: String, pages: u32 },
}

impl ApiError {
    /// HTTP attempts made for the request that failed, when one was made.
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Self::Exhausted { attempts, .. }
            | Self::Rejected { attempts, .. }
            | Self::Transport { attempts, .. }
            | Self::InvalidResponse { attempts, .. } => Some(*attempts),
            _ => None,
        }
    }

    /// The HTTP status of a rejection.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Rejected { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidBaseUrl { url, reason } => write!(
                f,
                "invalid circleci api url `{url}`: {reason} (expected something like https://circleci.com)"
            ),
            Self::MissingSecret { what } => write!(f, "{what} is empty"),
            Self::InvalidWorkflowId { workflow_id } => write!(
                f,
                "invalid workflow id `{workflow_id}`: expected letters, digits and `-` (a uuid)"
            ),
            Self::InvalidRepository { repository } => write!(
                f,
                "invalid github repository `{repository}`: expected `owner/name` (GITHUB_REPOSITORY)"
            ),
            Self::CaStore { reason } => write!(
                f,
                "could not load ca certificates from the system store: {reason} (point SSL_CERT_FILE at a pem bundle)"
            ),
            Self::Exhausted {
                request,
                attempts,
                last,
            } => write!(
                f,
                "{request} failed after {}: {last}",
                attempts_phrase(*attempts)
            ),
            Self::Rejected {
                request,
                attempts,
                status,
                message,
                hint,
            } => {
                let message = if message.is_empty() {
                    "(no message)"
                } else {
                    message
                };
                write!(
                    f,
                    "{request} was rejected with status {status} after {}: {message}",
                    attempts_phrase(*attempts)
                )?;
                if let Some(hint) = hint {
                    write!(f, "\nhint: {hint}")?;
                }
                Ok(())
            }
            Self::Transport {
                request,
                attempts,
                reason,
            } => write!(
                f,
                "{request} failed after {} and cannot be retried: {reason}",
                attempts_phrase(*attempts)
            ),
            Self::InvalidResponse {
                request,
                attempts,
                reason,
            } => write!(
                f,
                "{request} got an unusable answer after {}: {reason}",
                attempts_phrase(*attempts)
            ),
            Self::UnknownApprovalJob {
                workflow_id,
                job_name,
                approval_jobs,
                other_type,
            } => {
                write!(
                    f,
                    "no approval job named `{job_name}` in workflow {workflow_id}"
                )?;
                if let Some(kind) = other_type {
                    write!(f, " (a job of that name exists, but its type is `{kind}`)")?;
                }
                if approval_jobs.is_empty() {
                    write!(f, "; the workflow has no approval jobs")
                } else {
                    write!(f, "; approval jobs found: {}", approval_jobs.join(", "))
                }
            }
            Self::NotApprovable { job_name, status } => write!(
                f,
                "approval job `{job_name}` is `{status}`: it still waits for the jobs it requires and cannot be approved yet"
            ),
            Self::TooManyPages { workflow_id, pages } => write!(
                f,
                "listing the jobs of workflow {workflow_id} did not end after {pages} pages"
            ),
        }
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_shows_status_message_attempts_and_hint() {
        let err = ApiError::Rejected {
            request: "POST /api/v2/pipeline/continue".into(),
            attempts: 1,
            status: 400,
            message: "Config is invalid".into(),
            hint: Some("fix the config"),
        };
        assert_eq!(
            err.to_string(),
            "POST /api/v2/pipeline/continue was rejected with status 400 after 1 attempt: Config is invalid\nhint: fix the config"
        );
        assert_eq!(err.status(), Some(400));
        assert_eq!(err.attempts(), Some(1));
    }

    #[test]
    fn unknown_job_lists_what_exists() {
        let err = ApiError::UnknownApprovalJob {
            workflow_id: "wf".into(),
            job_name: "approve_x".into(),
            approval_jobs: vec!["approve_a".into(), "approve_b".into()],
            other_type: None,
        };
        assert_eq!(
            err.to_string(),
            "no approval job named `approve_x` in workflow wf; approval jobs found: approve_a, approve_b"
        );
    }
}
