//! The token path over smart HTTP (plain http on 127.0.0.1; libgit2 sends
//! the same Basic credentials it would send over https), and server-side
//! ref rejections, which libgit2's `file://` transport cannot produce
//! because it runs no hooks.

use std::path::Path;
use std::time::{Duration, Instant};

use cigen::git::{EnvSnapshot, GitError, PushOutcome};

use crate::gitsupport::http::GitHttp;
use crate::gitsupport::{self, Fixture};

const TOKEN: &str = "ghs_test_token_0123456789";

struct Setup {
    _temp: tempfile::TempDir,
    fixture: Fixture,
    server: GitHttp,
}

fn setup(read_only: bool) -> Setup {
    let temp = tempfile::tempdir().expect("tempdir");
    let fixture = Fixture::new(temp.path());
    gitsupport::git(&fixture.remote, &["config", "http.receivepack", "true"]);
    let server = GitHttp::start(temp.path(), TOKEN, read_only);
    fixture.set_origin(&server.url("remote.git"));
    Setup {
        _temp: temp,
        fixture,
        server,
    }
}

fn assert_no_secret(error: &GitError) {
    let shown = format!("{error} {error:?}");
    assert!(
        !shown.contains(TOKEN) && !shown.contains("wrong-token"),
        "{shown}"
    );
}

#[test]
fn a_token_from_the_environment_pushes() {
    let setup = setup(false);
    let env = EnvSnapshot::from_pairs([("GITHUB_TOKEN", TOKEN)]);
    let PushOutcome::Pushed {
        commit,
        remote_url_redacted,
        ..
    } = setup.fixture.push(&env).expect("push succeeds");
    assert_eq!(setup.fixture.remote_head(), commit);
    assert_eq!(remote_url_redacted, setup.server.url("remote.git"));
    let requests = setup.server.requests();
    assert!(requests[0].starts_with("401 "), "{requests:?}");
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("200 POST /remote.git/git-receive-pack"))
    );
}

#[test]
fn token_variables_are_tried_in_order_each_once() {
    let setup = setup(false);
    let env = EnvSnapshot::from_pairs([("CIGEN_GIT_TOKEN", "wrong-token"), ("GH_TOKEN", TOKEN)]);
    setup
        .fixture
        .push(&env)
        .expect("falls back from CIGEN_GIT_TOKEN to GH_TOKEN");
    let unauthorised = setup
        .server
        .requests()
        .iter()
        .filter(|r| r.starts_with("401"))
        .count();
    assert_eq!(unauthorised, 2, "{:?}", setup.server.requests());
}

#[test]
fn a_rejected_token_ends_quickly_with_no_credentials() {
    let setup = setup(false);
    let before = setup.fixture.remote_head();
    let env = EnvSnapshot::from_pairs([("GITHUB_TOKEN", "wrong-token")]);
    let started = Instant::now();
    let error = setup.fixture.push(&env).expect_err("rejected");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        error,
        GitError::NoCredentials {
            tried: vec!["token from GITHUB_TOKEN (not accepted)".into()]
        }
    );
    assert_no_secret(&error);
    assert_eq!(
        setup.server.requests().len(),
        2,
        "{:?}",
        setup.server.requests()
    );
    assert_eq!(setup.fixture.remote_head(), before);
}

#[test]
fn no_token_lists_the_variables_it_looked_for() {
    let setup = setup(false);
    let error = setup
        .fixture
        .push(&EnvSnapshot::default())
        .expect_err("rejected");
    let GitError::NoCredentials { tried } = &error else {
        panic!("expected NoCredentials, got {error:?}");
    };
    assert_eq!(
        tried,
        &["https token (CIGEN_GIT_TOKEN, GITHUB_TOKEN, GH_TOKEN not set)"]
    );
}

#[test]
fn userinfo_in_the_remote_url_is_never_shown() {
    let setup = setup(false);
    let url = format!(
        "http://x-access-token:{TOKEN}@127.0.0.1:{}/remote.git",
        setup.server.port
    );
    setup.fixture.set_origin(&url);
    let PushOutcome::Pushed {
        remote_url_redacted,
        ..
    } = setup
        .fixture
        .push(&EnvSnapshot::default())
        .expect("URL credentials push");
    let expected = format!("http://***@127.0.0.1:{}/remote.git", setup.server.port);
    assert_eq!(remote_url_redacted, expected);
}

#[test]
fn a_read_only_token_gets_permission_denied() {
    let setup = setup(true);
    let before = setup.fixture.remote_head();
    let env = EnvSnapshot::from_pairs([("GH_TOKEN", TOKEN)]);
    let error = setup.fixture.push(&env).expect_err("refused");
    assert!(
        matches!(error, GitError::PermissionDenied { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "origin refused the push: unexpected http status code: 403. The credentials may read but not push \
         (expected for pull requests from forks); run `cigen generate` and commit the result to the branch yourself"
    );
    assert_no_secret(&error);
    assert_eq!(setup.fixture.remote_head(), before);
}

#[test]
fn a_declining_hook_is_caught_through_push_update_reference() {
    let setup = setup(false);
    let hook = setup.fixture.remote.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho 'protected branch' >&2\nexit 1\n").expect("hook");
    make_executable(&hook);
    let before = setup.fixture.remote_head();
    let env = EnvSnapshot::from_pairs([("GITHUB_TOKEN", TOKEN)]);
    let error = setup.fixture.push(&env).expect_err("rejected");
    let GitError::PermissionDenied { message } = &error else {
        panic!("expected PermissionDenied, got {error:?}");
    };
    assert_eq!(
        message,
        "refs/heads/main was rejected: pre-receive hook declined"
    );
    assert_eq!(setup.fixture.remote_head(), before);
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}
