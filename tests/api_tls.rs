//! TLS against a loopback HTTPS fake CircleCI whose certificate is signed by
//! a throwaway CA: untrusted by the system store, the call fails at once
//! (a TLS failure is not retried); trusted through `SSL_CERT_FILE`, the same
//! call succeeds. One test in its own binary, because it changes the process
//! environment.

mod support;

use std::time::Duration;

use cigen::api::{ApiClient, ApiConfig, ApiError, ContinueOutcome, RetryPolicy, Secret};
use serde_json::Map;
use support::fake_circleci::{FakeCircleCi, Reply};
use support::test_ca::TestCa;

const KEY: &str = "ck-tls-secret-key";

fn config(url: &str) -> ApiConfig {
    let mut config = ApiConfig::new(url);
    config.connect_timeout = Duration::from_secs(2);
    config.request_timeout = Duration::from_secs(5);
    config.retry = RetryPolicy {
        max_attempts: 3,
        backoff_base: Duration::from_millis(10),
        backoff_cap: Duration::from_millis(40),
        retry_after_cap: Duration::from_secs(1),
    };
    config
}

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
    let key = Secret::new(KEY);

    // SAFETY: the only test in this binary, and no other thread reads the
    // environment while it changes: the server threads never do.
    unsafe {
        std::env::remove_var("SSL_CERT_DIR");
        std::env::remove_var("SSL_CERT_FILE");
    }
    let untrusted = ApiClient::new(config(server.url()))
        .expect("system store loads")
        .continue_pipeline(&key, "version: 2.1\n", &Map::new());
    let err = untrusted.expect_err("the test ca is not in the system store");
    assert_eq!(
        err.attempts(),
        Some(1),
        "tls failures are not retried: {err}"
    );
    assert!(!matches!(err, ApiError::Exhausted { .. }));
    let text = err.to_string();
    assert!(text.contains("tls failure"), "{text}");
    assert!(text.contains("SSL_CERT_FILE"), "{text}");
    assert!(!text.contains(KEY));

    // SAFETY: as above.
    unsafe { std::env::set_var("SSL_CERT_FILE", ca.ca_pem()) };
    let trusted = ApiClient::new(config(server.url()))
        .expect("client trusts the test ca")
        .continue_pipeline(&key, "version: 2.1\n", &Map::new());
    assert_eq!(
        trusted,
        Ok(ContinueOutcome::Continued {
            attempts: 1,
            message: "Pipeline continued".into()
        })
    );

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
