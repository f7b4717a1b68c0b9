//! `ApiClient::continue_pipeline` against the scripted fake CircleCI: each
//! scenario checks the requests sent, the outcome, the attempt notes, and
//! that the continuation key shows up in none of the printed output.

use std::time::{Duration, Instant};

use cigen::api::{ApiClient, ApiConfig, ApiError, ContinueOutcome, Secret, body_json};
use serde_json::{Map, Value, json};

use crate::common::assert_like;
use crate::support::api_client::{fast_config, notes_of, observed};
use crate::support::fake_circleci::{FakeCircleCi, Reply};

const KEY: &str = "ck-7f3e9a1c-5b2d-4e8f-a6c0-secret";
const CONFIG: &str = "version: 2.1\nworkflows:\n  main:\n    jobs: [build]\n";

/// Five tries; a `Retry-After` honoured up to 30 s.
fn config(url: &str) -> ApiConfig {
    fast_config(url, 5, Duration::from_secs(30))
}

fn params() -> Map<String, Value> {
    let mut params = Map::new();
    params.insert("deploy".into(), json!(true));
    params
}

fn continue_with(client: &ApiClient) -> Result<ContinueOutcome, ApiError> {
    client.continue_pipeline(&Secret::new(KEY), CONFIG, &params())
}

/// The key must not leak through anything a user could see.
fn assert_no_key(outcome: &Result<ContinueOutcome, ApiError>, notes: &[String]) {
    let mut printed = format!("{outcome:?}\n");
    match outcome {
        Ok(done) => printed.push_str(&done.to_string()),
        Err(err) => printed.push_str(&err.to_string()),
    }
    printed.push_str(&notes.join("\n"));
    assert!(!printed.contains(KEY), "key leaked into: {printed}");
}

#[test]
fn success_on_first_attempt_sends_the_exact_body() {
    let server = FakeCircleCi::start(vec![Reply::message(200, "Pipeline continued")]);
    let (client, notes) = observed(config(server.url()));
    let outcome = continue_with(&client);
    let requests = server.finish();

    assert_eq!(
        outcome,
        Ok(ContinueOutcome::Continued {
            attempts: 1,
            message: "Pipeline continued".into()
        })
    );
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/api/v2/pipeline/continue");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("circle-token"), None);
    assert!(
        request
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("cigen/"))
    );
    assert_eq!(
        request.body,
        body_json(&Secret::new(KEY), CONFIG, &params()).into_bytes()
    );
    assert_eq!(
        request.json(),
        json!({"continuation-key": KEY, "configuration": CONFIG, "parameters": {"deploy": true}})
    );
    assert!(notes_of(&notes).is_empty());
    assert_no_key(&outcome, &notes_of(&notes));
}

#[test]
fn retries_503_twice_then_succeeds() {
    let server = FakeCircleCi::start(vec![
        Reply::message(503, "Service down"),
        Reply::message(503, "Service down"),
        Reply::message(200, "Pipeline continued"),
    ]);
    let (client, notes) = observed(config(server.url()));
    let outcome = continue_with(&client);
    let requests = server.finish();

    assert_eq!(outcome.as_ref().map(ContinueOutcome::attempts), Ok(3));
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r.body == requests[0].body));
    let notes = notes_of(&notes);
    assert_eq!(
        notes,
        [
            "attempt 1/5 (POST /api/v2/pipeline/continue): 503 Service Unavailable: Service down, retrying in 10ms",
            "attempt 2/5 (POST /api/v2/pipeline/continue): 503 Service Unavailable: Service down, retrying in 20ms",
        ]
    );
    assert_no_key(&outcome, &notes);
}

#[test]
fn honours_retry_after_on_429() {
    let server = FakeCircleCi::start(vec![
        Reply::message(429, "Too many requests").with_header("Retry-After", "1"),
        Reply::message(200, "Pipeline continued"),
    ]);
    let (client, notes) = observed(config(server.url()));
    let started = Instant::now();
    let outcome = continue_with(&client);
    let waited = started.elapsed();
    assert_eq!(server.finish().len(), 2);

    assert_eq!(outcome.as_ref().map(ContinueOutcome::attempts), Ok(2));
    assert!(waited >= Duration::from_secs(1), "waited only {waited:?}");
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    let notes = notes_of(&notes);
    assert_eq!(notes.len(), 1);
    assert_eq!(
        notes[0],
        "attempt 1/5 (POST /api/v2/pipeline/continue): 429 Too Many Requests: Too many requests (retry-after 1s), retrying in 1s"
    );
    assert_no_key(&outcome, &notes);
}

#[test]
fn caps_a_long_retry_after() {
    let server = FakeCircleCi::start(vec![
        Reply::message(429, "slow down").with_header("Retry-After", "120"),
        Reply::message(200, "Pipeline continued"),
    ]);
    let mut config = config(server.url());
    config.retry.retry_after_cap = Duration::from_millis(300);
    let (client, notes) = observed(config);
    let started = Instant::now();
    let outcome = continue_with(&client);
    let waited = started.elapsed();
    assert_eq!(server.finish().len(), 2);

    assert!(outcome.is_ok(), "{outcome:?}");
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    assert_eq!(
        notes_of(&notes),
        [
            "attempt 1/5 (POST /api/v2/pipeline/continue): 429 Too Many Requests: slow down (retry-after 120s), retrying in 300ms"
        ]
    );
}

#[test]
fn a_400_fails_fast_with_the_server_message() {
    let server = FakeCircleCi::start(vec![
        Reply::message(400, "Config is invalid: unknown job `nope`"),
        Reply::message(200, "must not be reached"),
    ]);
    let (client, notes) = observed(config(server.url()));
    let outcome = continue_with(&client);
    assert_eq!(server.finish().len(), 1);

    let err = outcome.as_ref().expect_err("a 400 is an error");
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.attempts(), Some(1));
    assert!(!matches!(err, ApiError::Exhausted { .. }));
    assert_eq!(
        err.to_string(),
        "POST /api/v2/pipeline/continue was rejected with status 400 after 1 attempt: Config is invalid: unknown job `nope`"
    );
    assert!(notes_of(&notes).is_empty());
    assert_no_key(&outcome, &notes_of(&notes));
}

#[test]
fn setup_state_answer_without_a_lost_attempt_is_an_error_with_a_hint() {
    let server = FakeCircleCi::start(vec![Reply::message(400, "Pipeline is not in setup state.")]);
    let (client, _notes) = observed(config(server.url()));
    let outcome = continue_with(&client);
    assert_eq!(server.finish().len(), 1);

    let err = outcome.expect_err("first-attempt setup-state answer is an error");
    assert_eq!(err.status(), Some(400));
    assert_eq!(
        err.to_string(),
        "POST /api/v2/pipeline/continue was rejected with status 400 after 1 attempt: Pipeline is not in setup state.\n\
         hint: a pipeline can be continued only once; rerunning the setup workflow cannot continue it again, trigger a new pipeline instead"
    );
}

#[test]
fn a_reset_connection_is_retried() {
    let server = FakeCircleCi::start(vec![
        Reply::Reset,
        Reply::message(200, "Pipeline continued"),
    ]);
    let (client, notes) = observed(config(server.url()));
    let outcome = continue_with(&client);
    assert_eq!(server.connections(), 2);
    let requests = server.finish();

    assert_eq!(outcome.as_ref().map(ContinueOutcome::attempts), Ok(2));
    assert_eq!(requests.len(), 1, "the reset connection reads no request");
    let notes = notes_of(&notes);
    assert_eq!(notes.len(), 1);
    // The reason after `io:` is the operating system's.
    assert_like(
        &notes[0],
        "attempt 1/5 (POST /api/v2/pipeline/continue): no answer: io: {any}, retrying in 10ms",
    );
    assert_no_key(&outcome, &notes);
}

#[test]
fn a_response_that_never_comes_times_out_and_is_retried() {
    let server = FakeCircleCi::start(vec![
        // Far longer than the bound below, which leaves room for a loaded machine.
        Reply::Stall(Duration::from_millis(3000)),
        Reply::message(200, "Pipeline continued"),
    ]);
    let mut config = config(server.url());
    config.request_timeout = Duration::from_millis(300);
    let (client, notes) = observed(config);
    let started = Instant::now();
    let outcome = continue_with(&client);
    let waited = started.elapsed();
    let requests = server.finish();

    assert_eq!(outcome.as_ref().map(ContinueOutcome::attempts), Ok(2));
    assert_eq!(requests.len(), 2);
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_millis(2500),
        "{waited:?}"
    );
    let notes = notes_of(&notes);
    assert_eq!(
        notes,
        [
            "attempt 1/5 (POST /api/v2/pipeline/continue): no answer in time: timeout: global, retrying in 10ms"
        ]
    );
    assert_no_key(&outcome, &notes);
}

#[test]
fn a_lost_answer_then_setup_state_means_probably_already_continued() {
    let server = FakeCircleCi::start(vec![
        Reply::Drop,
        Reply::message(400, "Pipeline is not in setup state."),
    ]);
    let (client, notes) = observed(config(server.url()));
    let outcome = continue_with(&client);
    let requests = server.finish();

    assert_eq!(
        outcome,
        Ok(ContinueOutcome::ProbablyAlreadyContinued {
            attempts: 2,
            server_message: "Pipeline is not in setup state.".into()
        })
    );
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body);
    let text = outcome.as_ref().expect("probably continued").to_string();
    assert_eq!(
        text,
        "an earlier attempt got no answer and the api now says \"Pipeline is not in setup state.\": \
         that earlier attempt most likely continued the pipeline (2 attempts)"
    );
    assert_no_key(&outcome, &notes_of(&notes));
}

#[test]
fn a_gateway_timeout_then_setup_state_also_means_probably_already_continued() {
    let server = FakeCircleCi::start(vec![
        Reply::message(504, "upstream timed out"),
        Reply::message(409, "Pipeline is NOT in setup-state"),
    ]);
    let (client, _notes) = observed(config(server.url()));
    let outcome = continue_with(&client);
    assert_eq!(server.finish().len(), 2);
    assert!(
        matches!(
            outcome,
            Ok(ContinueOutcome::ProbablyAlreadyContinued { attempts: 2, .. })
        ),
        "{outcome:?}"
    );
}

#[test]
fn a_503_then_setup_state_is_not_taken_as_success() {
    let server = FakeCircleCi::start(vec![
        Reply::message(503, "down"),
        Reply::message(400, "Pipeline is not in setup state."),
    ]);
    let (client, _notes) = observed(config(server.url()));
    let outcome = continue_with(&client);
    assert_eq!(server.finish().len(), 2);
    assert_eq!(outcome.expect_err("503 was an answer").status(), Some(400));
}

#[test]
fn gives_up_after_max_attempts_and_says_how_many() {
    let server = FakeCircleCi::start(vec![
        Reply::message(500, "boom"),
        Reply::message(502, "bad gateway"),
        Reply::message(503, "down"),
    ]);
    let mut config = config(server.url());
    config.retry.max_attempts = 3;
    let (client, notes) = observed(config);
    let outcome = continue_with(&client);
    assert_eq!(server.finish().len(), 3);

    let err = outcome.as_ref().expect_err("all attempts failed");
    assert!(matches!(err, ApiError::Exhausted { .. }));
    assert_eq!(err.attempts(), Some(3));
    assert_eq!(
        err.to_string(),
        "POST /api/v2/pipeline/continue failed after 3 attempts: 503 Service Unavailable: down"
    );
    assert_eq!(notes_of(&notes).len(), 2);
    assert_no_key(&outcome, &notes_of(&notes));
}

#[test]
fn connection_refused_is_retried_then_reported() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let mut config = config(&format!("http://127.0.0.1:{port}"));
    config.retry.max_attempts = 2;
    let (client, notes) = observed(config);
    let outcome = continue_with(&client);

    let err = outcome.as_ref().expect_err("nothing listens");
    assert!(matches!(err, ApiError::Exhausted { .. }));
    assert_eq!(err.attempts(), Some(2));
    assert_like(
        &err.to_string(),
        "POST /api/v2/pipeline/continue failed after 2 attempts: could not connect: io: {any}",
    );
    assert_eq!(notes_of(&notes).len(), 1);
    assert_like(
        &notes_of(&notes)[0],
        "attempt 1/2 (POST /api/v2/pipeline/continue): could not connect: io: {any}, retrying in 10ms",
    );
    assert_no_key(&outcome, &notes_of(&notes));
}

#[test]
fn an_echoed_key_is_scrubbed_from_errors() {
    let server = FakeCircleCi::start(vec![Reply::message(
        401,
        &format!("invalid continuation key {KEY}"),
    )]);
    let (client, notes) = observed(config(server.url()));
    let outcome = continue_with(&client);
    assert_eq!(server.finish().len(), 1);

    let err = outcome.as_ref().expect_err("401");
    assert_eq!(
        err.to_string(),
        "POST /api/v2/pipeline/continue was rejected with status 401 after 1 attempt: invalid continuation key ***"
    );
    assert_no_key(&outcome, &notes_of(&notes));
}

#[test]
fn an_empty_key_sends_nothing() {
    let server = FakeCircleCi::start(vec![]);
    let (client, _notes) = observed(config(server.url()));
    let outcome = client.continue_pipeline(&Secret::new(" "), CONFIG, &params());
    assert_eq!(server.finish().len(), 0);
    assert_eq!(
        outcome.expect_err("empty key").to_string(),
        "the continuation key (CIRCLE_CONTINUATION_KEY) is empty"
    );
}

#[test]
fn a_redirect_is_not_followed() {
    let server = FakeCircleCi::start(vec![
        Reply::message(301, "moved").with_header("Location", "http://127.0.0.1:1/elsewhere"),
    ]);
    let (client, _notes) = observed(config(server.url()));
    let outcome = continue_with(&client);
    assert_eq!(server.finish().len(), 1);
    let err = outcome.expect_err("redirects are refused");
    assert_eq!(err.status(), Some(301));
    assert_eq!(
        err.to_string(),
        "POST /api/v2/pipeline/continue was rejected with status 301 after 1 attempt: moved\n\
         hint: the api url redirects; set CIRCLECI_API_URL to the final address"
    );
}
