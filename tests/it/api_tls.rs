//! TLS against a loopback HTTPS fake CircleCI whose certificate is signed by
//! a throwaway CA: untrusted by the system store, the call fails at once
//! (a TLS failure is not retried); trusted through `SSL_CERT_FILE`, the same
//! call succeeds. The server runs in the test; each call runs in a child
//! process (`crate::child`) whose environment names the CA or not, so the
//! shared test process's environment never changes.

use std::time::Duration;

use cigen::api::{ApiClient, ApiError, ContinueOutcome, Secret};
use serde_json::Map;

use crate::child;
use crate::support::api_client::fast_config;
use crate::support::fake_circleci::{FakeCircleCi, Reply};
use crate::support::test_ca::TestCa;

const KEY: &str = "ck-tls-secret-key";
const ENTRY: &str = "api_tls::child_entry";
const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn trusts_a_ca_named_by_ssl_cert_file_and_only_then() {
    let ca = TestCa::generate();
    let server = FakeCircleCi::start_tls(
        vec![
            Reply::message(200, "never read"),
            Reply::message(200, "Pipeline continued"),
        ],
        &ca.server_cert(),
        &ca.server_key(),
    );
    assert!(server.url().starts_with("https://127.0.0.1:"));

    let untrusted = [("CIGEN_TEST_URL", server.url()), ("CIGEN_TEST_CA", "none")];
    child::run(ENTRY, &untrusted, &["SSL_CERT_DIR", "SSL_CERT_FILE"], LIMIT);
    let ca_pem = ca.ca_pem();
    let ca_pem = ca_pem.to_str().expect("utf-8 temp path");
    let trusted = [
        ("CIGEN_TEST_URL", server.url()),
        ("CIGEN_TEST_CA", "ssl_cert_file"),
        ("SSL_CERT_FILE", ca_pem),
    ];
    child::run(ENTRY, &trusted, &["SSL_CERT_DIR"], LIMIT);

    assert_eq!(server.connections(), 2);
    let requests = server.finish();
    assert_eq!(
        requests.len(),
        1,
        "the rejected handshake carried no request"
    );
    assert_eq!(requests[0].target, "/api/v2/pipeline/continue");
    assert_eq!(requests[0].json()["continuation-key"], KEY);
}

/// One call to the server at `CIGEN_TEST_URL`: with `CIGEN_TEST_CA=none`
/// (and no `SSL_CERT_*`) it must fail at once, naming `SSL_CERT_FILE`; with
/// `ssl_cert_file` it must go through.
#[test]
#[ignore = "runs only in the child processes of trusts_a_ca_named_by_ssl_cert_file_and_only_then (tests/it/child.rs)"]
fn child_entry() {
    let url = child::env("CIGEN_TEST_URL");
    let key = Secret::new(KEY);
    let outcome = ApiClient::new(fast_config(&url, 3, Duration::from_secs(1)))
        .expect("system store loads")
        .continue_pipeline(&key, "version: 2.1\n", &Map::new());
    match child::env("CIGEN_TEST_CA").as_str() {
        "none" => untrusted(outcome.expect_err("the test ca is not in the system store")),
        "ssl_cert_file" => assert_eq!(
            outcome,
            Ok(ContinueOutcome::Continued {
                attempts: 1,
                message: "Pipeline continued".into()
            })
        ),
        other => panic!("unknown CIGEN_TEST_CA {other:?}"),
    }
}

fn untrusted(err: ApiError) {
    assert_eq!(
        err.attempts(),
        Some(1),
        "tls failures are not retried: {err}"
    );
    assert!(!matches!(err, ApiError::Exhausted { .. }));
    let text = err.to_string();
    assert_eq!(
        text,
        "POST /api/v2/pipeline/continue failed after 1 attempt and cannot be retried: \
         tls failure: io: invalid peer certificate: UnknownIssuer (the server certificate must chain to a ca in \
         the system store; SSL_CERT_FILE can name a pem bundle to trust instead)"
    );
    assert!(!text.contains(KEY));
}
