//! Continuing a pipeline: the exact request body (`body_json`, also what
//! `--dry-run` writes), the POST to `/api/v2/pipeline/continue` through the
//! retry loop, and what its answer means. The subtle case: when an attempt got
//! no answer and a retry is told the pipeline is no longer in setup state
//! (CircleCI says `Pipeline is not in setup state.`), the lost attempt most
//! likely continued the pipeline, which is reported as success.

use std::fmt;

use serde_json::{Map, Value};

use super::client::ApiClient;
use super::error::ApiError;
use super::exchange::{Api, Call, Method};
use super::message::{normalized_words, server_message};
use super::note::attempts_phrase;
use super::secret::Secret;

const CONTINUE_PATH: &str = "/api/v2/pipeline/continue";

/// How a continuation ended well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContinueOutcome {
    /// The API accepted the continuation (2xx).
    Continued { attempts: u32, message: String },
    /// An attempt got no answer, and a later one was told the pipeline had
    /// left setup state: that earlier attempt most likely succeeded.
    ProbablyAlreadyContinued {
        attempts: u32,
        server_message: String,
    },
}

impl ContinueOutcome {
    pub fn attempts(&self) -> u32 {
        match self {
            Self::Continued { attempts, .. } | Self::ProbablyAlreadyContinued { attempts, .. } => {
                *attempts
            }
        }
    }
}

impl fmt::Display for ContinueOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Continued { attempts, .. } => {
                write!(f, "pipeline continued ({})", attempts_phrase(*attempts))
            }
            Self::ProbablyAlreadyContinued {
                attempts,
                server_message,
            } => write!(
                f,
                "an earlier attempt got no answer and the api now says \"{server_message}\": \
                 that earlier attempt most likely continued the pipeline ({})",
                attempts_phrase(*attempts)
            ),
        }
    }
}

/// The exact request body: `{"configuration", "continuation-key", "parameters"}`
/// as compact JSON (keys in serde_json's sorted order).
pub fn body_json(key: &Secret, configuration: &str, parameters: &Map<String, Value>) -> String {
    let mut body = Map::new();
    body.insert(
        "continuation-key".to_owned(),
        Value::String(key.expose().to_owned()),
    );
    body.insert(
        "configuration".to_owned(),
        Value::String(configuration.to_owned()),
    );
    body.insert("parameters".to_owned(), Value::Object(parameters.clone()));
    Value::Object(body).to_string()
}

/// True when CircleCI's answer means the pipeline was already continued:
/// "Pipeline is not in setup state." (the documented symptom of a second
/// continuation), or wording that says so outright.
fn means_already_continued(message: &str) -> bool {
    let words = normalized_words(message);
    [
        "not in setup state",
        "not in the setup state",
        "no longer in setup",
        "already continued",
        "already been continued",
    ]
    .iter()
    .any(|phrase| words.contains(phrase))
}

impl ApiClient {
    /// POSTs the continuation. Retries connect failures, unanswered
    /// attempts, 429 and 5xx; fails fast on any other status with the
    /// server's message.
    pub fn continue_pipeline(
        &self,
        key: &Secret,
        configuration: &str,
        parameters: &Map<String, Value>,
    ) -> Result<ContinueOutcome, ApiError> {
        if key.is_empty() {
            return Err(ApiError::MissingSecret {
                what: "the continuation key (CIRCLE_CONTINUATION_KEY)",
            });
        }
        let body = body_json(key, configuration, parameters);
        let call = Call {
            api: Api::CircleCi,
            method: Method::Post,
            path: CONTINUE_PATH.to_owned(),
            query: Vec::new(),
            token: None,
            json_body: Some(body.as_bytes()),
            needs_body: false,
        };
        let done = self.perform(&call, key)?;
        let status = done.answer.status;
        let message = server_message(&done.answer.body, key);
        if (200..300).contains(&status) {
            return Ok(ContinueOutcome::Continued {
                attempts: done.attempts,
                message,
            });
        }
        let already = (400..500).contains(&status) && means_already_continued(&message);
        if already && done.unanswered_before {
            return Ok(ContinueOutcome::ProbablyAlreadyContinued {
                attempts: done.attempts,
                server_message: message,
            });
        }
        Err(ApiError::Rejected {
            request: call.label(),
            attempts: done.attempts,
            status,
            message,
            hint: rejection_hint(status, already),
        })
    }
}

fn rejection_hint(status: u16, already: bool) -> Option<&'static str> {
    if already {
        Some(
            "a pipeline can be continued only once; rerunning the setup workflow cannot continue it again, trigger a new pipeline instead",
        )
    } else if (300..400).contains(&status) {
        Some("the api url redirects; set CIRCLECI_API_URL to the final address")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_holds_the_three_fields() {
        let mut params = Map::new();
        params.insert("run_tests".into(), Value::Bool(true));
        let body = body_json(&Secret::new("key-1"), "version: 2.1\n", &params);
        assert_eq!(
            body,
            r#"{"configuration":"version: 2.1\n","continuation-key":"key-1","parameters":{"run_tests":true}}"#
        );
    }

    #[test]
    fn recognises_the_setup_state_answer_robustly() {
        for yes in [
            "Pipeline is not in setup state.",
            "pipeline is NOT in setup-state",
            "Error: pipeline is no longer in set-up state",
            "This pipeline has already been continued",
        ] {
            assert!(means_already_continued(yes), "{yes}");
        }
        for no in [
            "Continuation key has expired. Please run a new pipeline.",
            "Config is invalid",
            "",
        ] {
            assert!(!means_already_continued(no), "{no}");
        }
    }
}
