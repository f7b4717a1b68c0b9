//! `cigen approve --job NAME` through the real binary against a scripted
//! CircleCI stand-in on 127.0.0.1: what an OR-dependency shim job runs.

use serde_json::json;

use crate::common::*;
use crate::support::fake_circleci::{FakeCircleCi, Reply};

const TOKEN: &str = "circle-token-5ecret-value";
const WF: &str = "5c8b2d3e-0000-4000-8000-00000000abcd";

fn page(status: &str) -> Reply {
    Reply::json(
        200,
        json!({"items": [
            {"name": "build", "type": "build", "status": "success", "id": "b-1"},
            {"name": "approve_build_app_image", "type": "approval", "status": status, "approval_request_id": "req-1", "id": "req-1"}
        ], "next_page_token": null}),
    )
}

fn approve(server: &FakeCircleCi, job: &str) -> std::process::Output {
    Repo::new()
        .cigen()
        .args(["approve", "--job", job, "--api-url", server.url()])
        .env("CIRCLE_TOKEN", TOKEN)
        .env("CIRCLE_WORKFLOW_ID", WF)
        .env("CIGEN_API_BACKOFF_MS", "10")
        .output()
        .expect("runs")
}

fn assert_no_token(output: &std::process::Output) {
    assert!(
        !stdout(output).contains(TOKEN) && !stderr(output).contains(TOKEN),
        "token leaked"
    );
}

#[test]
fn approves_a_pending_gate() {
    let server = FakeCircleCi::start(vec![
        page("on_hold"),
        Reply::json(202, json!({"message": "Accepted."})),
    ]);
    let output = approve(&server, "approve_build_app_image");
    let requests = server.finish();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_no_token(&output);
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path(), format!("/api/v2/workflow/{WF}/job"));
    assert_eq!(requests[0].header("circle-token"), Some(TOKEN));
    assert_eq!(requests[1].method, "POST");
    assert_eq!(
        requests[1].path(),
        format!("/api/v2/workflow/{WF}/approve/req-1")
    );
}

#[test]
fn an_already_approved_gate_is_success_and_retries_are_printed() {
    let server = FakeCircleCi::start(vec![Reply::message(503, "busy"), page("success")]);
    let output = approve(&server, "approve_build_app_image");
    let requests = server.finish();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        (output.status.code(), stdout(&output), stderr(&output)),
        (
            Some(0),
            "`approve_build_app_image` is no longer on hold (status `success`): nothing to approve\n"
                .to_string(),
            format!(
                "attempt 1/5 (GET /api/v2/workflow/{WF}/job): 503 Service Unavailable: busy, retrying in 10ms\n"
            )
        )
    );
    assert_no_token(&output);
}

#[test]
fn unknown_gate_fails_with_the_gates_it_found() {
    let server = FakeCircleCi::start(vec![page("on_hold")]);
    let output = approve(&server, "approve_nothing");
    server.finish();
    assert_failed(
        &output,
        1,
        &format!(
            "error: no approval job named `approve_nothing` in workflow {WF}; approval jobs found: approve_build_app_image\n"
        ),
    );
    assert_no_token(&output);
}

#[test]
fn missing_token_is_a_usage_error_and_sends_nothing() {
    let server = FakeCircleCi::start(vec![]);
    let output = Repo::new()
        .cigen()
        .args(["approve", "--job", "x", "--api-url", server.url()])
        .env_remove("CIRCLE_TOKEN")
        .env("CIRCLE_WORKFLOW_ID", WF)
        .output()
        .expect("runs");
    assert_failed(
        &output,
        2,
        "error: `CIRCLE_TOKEN` is not set\n  hint: the OR-dependency shims get `CIRCLE_TOKEN` from the context(s) in `setup.approve_context` (a CircleCI personal API token)\n",
    );
    assert!(server.finish().is_empty());
}

#[test]
fn a_token_too_short_to_mask_is_refused_and_sends_nothing() {
    let server = FakeCircleCi::start(vec![]);
    let output = Repo::new()
        .cigen()
        .args(["approve", "--job", "x", "--api-url", server.url()])
        .env("CIRCLE_TOKEN", "t")
        .env("CIRCLE_WORKFLOW_ID", WF)
        .output()
        .expect("runs");
    assert_failed(
        &output,
        2,
        "error: `CIRCLE_TOKEN` is too short (1 characters): expected a real key or token of at least 8; cigen refuses it rather than mask every occurrence of it in its messages\n  hint: the OR-dependency shims get `CIRCLE_TOKEN` from the context(s) in `setup.approve_context` (a CircleCI personal API token)\n",
    );
    assert!(server.finish().is_empty());
}
