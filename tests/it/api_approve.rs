//! `ApiClient::approve_job` against the scripted fake CircleCI: finding the
//! approval job by name (across pages), approving it, treating a gate that is
//! no longer on hold as success, and naming the approval jobs there are when
//! the name is unknown. The token must never show in printed output.

use std::time::Duration;

use cigen::api::{ApiClient, ApiConfig, ApiError, ApproveOutcome, Secret};
use serde_json::{Value, json};

use crate::common::assert_like;
use crate::support::api_client::{Notes, fast_config, observed};
use crate::support::fake_circleci::{FakeCircleCi, Recorded, Reply};

const TOKEN: &str = "CCIPAT_s3cr3t-token-value";
const WF: &str = "5034460f-c7c4-4c43-9457-de07e2029e7b";
const GATE: &str = "approve_build_app_image";
const GATE_ID: &str = "9d2c1a0b-5c5a-4b2b-9d0a-2f4d0c2b1a11";

fn client(url: &str) -> (ApiClient, Notes) {
    observed(fast_config(url, 4, Duration::from_secs(1)))
}

fn approval(name: &str, status: &str, id: &str) -> Value {
    json!({"name": name, "type": "approval", "status": status, "approval_request_id": id, "id": id,
           "dependencies": [], "project_slug": "gh/acme/app", "started_at": null})
}

fn build(name: &str, status: &str) -> Value {
    json!({"name": name, "type": "build", "status": status, "job_number": 12, "id": "b-1", "dependencies": []})
}

fn page(items: Vec<Value>, next: Option<&str>) -> Reply {
    Reply::json(200, json!({"items": items, "next_page_token": next}))
}

fn approve(client: &ApiClient, job: &str) -> Result<ApproveOutcome, ApiError> {
    client.approve_job(&Secret::new(TOKEN), WF, job)
}

/// One `approve_job` call against a fake CircleCI: its outcome, the
/// requests the fake saw and the client's notes.
struct Approval {
    outcome: Result<ApproveOutcome, ApiError>,
    requests: Vec<Recorded>,
    notes: Notes,
}

/// Approves `job` against a fake CircleCI answering `replies` in order.
fn approve_with(replies: Vec<Reply>, job: &str) -> Approval {
    let server = FakeCircleCi::start(replies);
    let (client, notes) = client(server.url());
    let outcome = approve(&client, job);
    Approval {
        outcome,
        requests: server.finish(),
        notes,
    }
}

impl Approval {
    fn assert_token_sent_and_never_printed(&self) {
        assert_token_sent_and_never_printed(&self.requests, &self.outcome, &self.notes);
    }
}

/// The workflow's job list holding the gate with `status`.
fn listed(status: &str) -> Reply {
    page(vec![approval(GATE, status, GATE_ID)], None)
}

fn assert_token_sent_and_never_printed(
    requests: &[Recorded],
    outcome: &Result<ApproveOutcome, ApiError>,
    notes: &Notes,
) {
    for request in requests {
        assert_eq!(
            request.header("circle-token"),
            Some(TOKEN),
            "{}",
            request.target
        );
    }
    let printed = match outcome {
        Ok(done) => format!("{done:?} {done}"),
        Err(err) => format!("{err:?} {err}"),
    };
    let printed = format!("{printed} {}", notes.lock().expect("notes").join("\n"));
    assert!(!printed.contains(TOKEN), "token leaked into: {printed}");
}

#[test]
fn finds_and_approves_the_gate() {
    let run = approve_with(
        vec![
            page(
                vec![
                    build("setup", "success"),
                    approval(GATE, "on_hold", GATE_ID),
                ],
                None,
            ),
            Reply::message(202, "Accepted."),
        ],
        GATE,
    );

    assert_eq!(
        run.outcome,
        Ok(ApproveOutcome::Approved {
            job_name: GATE.into(),
            requests: 2
        })
    );
    assert_eq!(run.requests.len(), 2);
    assert_eq!(
        (
            run.requests[0].method.as_str(),
            run.requests[0].target.as_str()
        ),
        ("GET", &*format!("/api/v2/workflow/{WF}/job"))
    );
    assert_eq!(run.requests[1].method, "POST");
    assert_eq!(
        run.requests[1].target,
        format!("/api/v2/workflow/{WF}/approve/{GATE_ID}")
    );
    assert!(run.requests[1].body.is_empty());
    run.assert_token_sent_and_never_printed();
}

#[test]
fn follows_next_page_token() {
    let run = approve_with(
        vec![
            page(
                vec![
                    build("setup", "success"),
                    approval("approve_deploy", "on_hold", "a-1"),
                ],
                Some("tok/2+"),
            ),
            listed("on_hold"),
            Reply::message(202, "Accepted."),
        ],
        GATE,
    );

    assert_eq!(run.outcome.as_ref().map(ApproveOutcome::requests), Ok(3));
    assert_eq!(run.requests[0].query("page-token"), None);
    assert_eq!(run.requests[1].path(), format!("/api/v2/workflow/{WF}/job"));
    assert_eq!(
        run.requests[1].query("page-token"),
        Some("tok%2F2%2B"),
        "the page token is url-encoded"
    );
    assert_eq!(
        run.requests[2].target,
        format!("/api/v2/workflow/{WF}/approve/{GATE_ID}")
    );
    run.assert_token_sent_and_never_printed();
}

#[test]
fn an_already_approved_gate_is_success_without_a_post() {
    let run = approve_with(vec![listed("success")], GATE);

    assert_eq!(
        run.outcome,
        Ok(ApproveOutcome::AlreadyApproved {
            job_name: GATE.into(),
            status: "success".into(),
            requests: 1
        })
    );
    assert_eq!(run.requests.len(), 1);
    assert_eq!(
        run.outcome.as_ref().expect("already approved").to_string(),
        format!("`{GATE}` is no longer on hold (status `success`): nothing to approve")
    );
    run.assert_token_sent_and_never_printed();
}

#[test]
fn a_refused_approval_of_a_gate_approved_meanwhile_is_success() {
    let run = approve_with(
        vec![
            listed("on_hold"),
            Reply::message(400, "Job is not on hold"),
            listed("success"),
        ],
        GATE,
    );

    assert_eq!(
        run.outcome,
        Ok(ApproveOutcome::AlreadyApproved {
            job_name: GATE.into(),
            status: "success".into(),
            requests: 3
        })
    );
    run.assert_token_sent_and_never_printed();
}

#[test]
fn an_already_approved_answer_is_success() {
    let run = approve_with(
        vec![
            listed("on_hold"),
            Reply::message(409, "This job has already been approved"),
        ],
        GATE,
    );
    assert_eq!(run.requests.len(), 2, "no re-listing needed");
    assert!(
        matches!(run.outcome, Ok(ApproveOutcome::AlreadyApproved { .. })),
        "{:?}",
        run.outcome
    );
}

#[test]
fn an_unauthorized_token_fails_with_the_message_and_a_hint() {
    let run = approve_with(vec![Reply::message(401, "Invalid token provided.")], GATE);

    let err = run.outcome.as_ref().expect_err("401");
    assert_eq!(err.status(), Some(401));
    assert_eq!(
        err.to_string(),
        format!(
            "GET /api/v2/workflow/{WF}/job was rejected with status 401 after 1 attempt: Invalid token provided.\n\
             hint: check that CIRCLE_TOKEN holds a valid personal api token with access to this project"
        )
    );
    run.assert_token_sent_and_never_printed();
}

#[test]
fn unknown_job_names_the_approval_jobs_found() {
    let run = approve_with(
        vec![page(
            vec![
                approval("approve_deploy_staging", "on_hold", "a-1"),
                build("test_rspec", "running"),
                approval("approve_deploy_production", "blocked", "a-2"),
            ],
            None,
        )],
        "approve_typo",
    );

    assert_eq!(run.requests.len(), 1);
    let err = run.outcome.as_ref().expect_err("unknown job");
    assert_eq!(
        err.to_string(),
        format!(
            "no approval job named `approve_typo` in workflow {WF}; \
             approval jobs found: approve_deploy_production, approve_deploy_staging"
        )
    );
    run.assert_token_sent_and_never_printed();
}

#[test]
fn a_build_job_of_that_name_is_not_an_approval_job() {
    let run = approve_with(
        vec![page(vec![build("test_rspec", "running")], None)],
        "test_rspec",
    );
    assert_eq!(
        run.outcome.expect_err("build job").to_string(),
        format!(
            "no approval job named `test_rspec` in workflow {WF} (a job of that name exists, but its type is `build`); \
             the workflow has no approval jobs"
        )
    );
}

#[test]
fn a_blocked_gate_cannot_be_approved_yet() {
    let run = approve_with(vec![listed("blocked")], GATE);
    assert_eq!(run.requests.len(), 1);
    assert_eq!(
        run.outcome,
        Err(ApiError::NotApprovable {
            job_name: GATE.into(),
            status: "blocked".into()
        })
    );
}

#[test]
fn listing_and_approving_are_retried() {
    let server = FakeCircleCi::start(vec![
        Reply::message(500, "oops"),
        listed("on_hold"),
        Reply::Reset,
        Reply::message(202, "Accepted."),
    ]);
    let (client, notes) = client(server.url());
    let outcome = approve(&client, GATE);
    assert_eq!(server.connections(), 4);
    let requests = server.finish();

    assert_eq!(
        outcome,
        Ok(ApproveOutcome::Approved {
            job_name: GATE.into(),
            requests: 4
        })
    );
    let notes_now = notes.lock().expect("notes").clone();
    assert_eq!(notes_now.len(), 2);
    assert_eq!(
        notes_now[0],
        format!(
            "attempt 1/4 (GET /api/v2/workflow/{WF}/job): 500 Internal Server Error: oops, retrying in 10ms"
        )
    );
    // The reason after `io:` is the operating system's.
    assert_like(
        &notes_now[1],
        &format!(
            "attempt 1/4 (POST /api/v2/workflow/{WF}/approve/{GATE_ID}): no answer: io: {{any}}, retrying in 10ms"
        ),
    );
    assert_token_sent_and_never_printed(&requests, &outcome, &notes);
}

#[test]
fn a_listing_that_is_not_json_is_an_invalid_response() {
    let run = approve_with(
        vec![Reply::Respond {
            status: 200,
            headers: Vec::new(),
            body: "<html>login</html>".into(),
        }],
        GATE,
    );
    assert_eq!(run.requests.len(), 1);
    let err = run.outcome.expect_err("html is not a job list");
    assert!(
        matches!(err, ApiError::InvalidResponse { attempts: 1, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "GET /api/v2/workflow/{WF}/job got an unusable answer after 1 attempt: \
             expected a job list (expected value at line 1 column 1); got 200 OK: <html>login</html>"
        )
    );
}

#[test]
fn endless_pagination_is_bounded() {
    let script = (0..3)
        .map(|n| page(vec![], Some(&format!("t{n}"))))
        .collect();
    let server = FakeCircleCi::start(script);
    let mut config = ApiConfig::new(server.url());
    config.max_job_pages = 3;
    let client = ApiClient::new(config).expect("client");
    let outcome = approve(&client, GATE);
    assert_eq!(server.finish().len(), 3);
    assert_eq!(
        outcome,
        Err(ApiError::TooManyPages {
            workflow_id: WF.into(),
            pages: 3
        })
    );
}

#[test]
fn bad_input_sends_nothing() {
    let server = FakeCircleCi::start(vec![]);
    let (client, _notes) = client(server.url());
    let bad_id = client.approve_job(&Secret::new(TOKEN), "../../pipeline/continue", GATE);
    let no_token = client.approve_job(&Secret::new(""), WF, GATE);
    assert_eq!(server.finish().len(), 0);
    assert!(
        matches!(bad_id, Err(ApiError::InvalidWorkflowId { .. })),
        "{bad_id:?}"
    );
    assert_eq!(
        no_token.expect_err("empty token").to_string(),
        "the api token (CIRCLE_TOKEN) is empty"
    );
}

#[test]
fn a_refused_approval_of_a_gate_still_on_hold_is_an_error() {
    let run = approve_with(
        vec![
            listed("on_hold"),
            Reply::message(400, "Something else is wrong"),
            listed("on_hold"),
        ],
        GATE,
    );

    assert_eq!(run.requests.len(), 3, "listed, posted, re-listed");
    let err = run.outcome.as_ref().expect_err("still on hold");
    assert_eq!(err.status(), Some(400));
    assert_eq!(
        err.to_string(),
        format!(
            "POST /api/v2/workflow/{WF}/approve/{GATE_ID} was rejected with status 400 after 1 attempt: Something else is wrong"
        )
    );
    run.assert_token_sent_and_never_printed();
}

#[test]
fn a_404_on_approve_is_reported_without_re_listing() {
    let run = approve_with(
        vec![listed("on_hold"), Reply::message(404, "Not found")],
        GATE,
    );
    assert_eq!(run.requests.len(), 2);
    assert_eq!(run.outcome.expect_err("404").status(), Some(404));
}
