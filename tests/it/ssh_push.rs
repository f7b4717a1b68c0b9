//! Pushes over real SSH to a throwaway sshd on 127.0.0.1.
//!
//! libgit2 reads `HOME` once per process (for known_hosts too), so every
//! scenario runs in a child process of the test binary with its own `HOME`
//! (`crate::child`): the `#[test]` in the parent creates the directory and
//! waits at most `LIMIT`; the ignored `child_entry` runs the scenario named
//! by `CIGEN_TEST_SCENARIO` there.

mod scenarios;
mod scenarios_libgit2;

use std::path::Path;
use std::time::Duration;

use crate::child;
use crate::gitsupport::{path_str, sshd};

const LIMIT: Duration = Duration::from_secs(90);
const ENTRY: &str = "ssh_push::child_entry";

fn run(scenario: &str) {
    sshd::ensure_installed();
    let home = tempfile::tempdir().expect("tempdir");
    let _cleanup = Leftovers(home.path());
    let env = [
        ("CIGEN_TEST_SCENARIO", scenario),
        ("HOME", path_str(home.path())),
    ];
    child::run(ENTRY, &env, &["SSH_AUTH_SOCK"], LIMIT);
}

/// The child starts ssh-agent on `$HOME/agent.sock`; `SSH_AUTH_SOCK` must
/// be in its environment from the start because libssh2 reads it there.
fn run_with_agent(scenario: &str) {
    sshd::ensure_installed();
    let home = tempfile::tempdir().expect("tempdir");
    let _cleanup = Leftovers(home.path());
    let socket = home.path().join("agent.sock");
    let env = [
        ("CIGEN_TEST_SCENARIO", scenario),
        ("HOME", path_str(home.path())),
        ("SSH_AUTH_SOCK", path_str(&socket)),
    ];
    child::run(ENTRY, &env, &[], LIMIT);
}

/// Kills what a child killed on timeout left running (sshd, ssh-agent),
/// also when the test fails.
struct Leftovers<'a>(&'a Path);

impl Drop for Leftovers<'_> {
    fn drop(&mut self) {
        sshd::kill_leftover(self.0);
    }
}

#[test]
#[ignore = "runs only in the child process each ssh_push test starts (tests/it/child.rs)"]
fn child_entry() {
    scenarios::run(&child::env("CIGEN_TEST_SCENARIO"));
}

#[test]
fn pushes_with_id_ed25519_and_a_known_host() {
    run("push_succeeds");
}

#[test]
fn hashed_known_hosts_entries_work() {
    run("hashed_known_hosts");
}

#[test]
fn unknown_host_is_refused_before_authenticating() {
    run("unknown_host");
}

#[test]
fn changed_host_key_is_refused() {
    run("host_key_mismatch");
}

#[test]
fn no_keys_and_no_agent_fail_fast_with_no_credentials() {
    run("no_credentials");
}

#[test]
fn each_rejected_key_is_offered_once() {
    run("rejected_key_exhausts");
}

#[test]
fn circleci_id_rsa_fingerprint_key_is_used_after_a_rejected_key() {
    run("circleci_key_name");
}

#[test]
fn passphrase_protected_keys_are_skipped() {
    run("encrypted_key_skipped");
}

#[test]
fn ssh_agent_key_is_used() {
    run_with_agent("agent");
}

#[test]
fn a_refused_agent_key_falls_back_to_key_files() {
    run_with_agent("agent_falls_back_to_key_file");
}

#[test]
fn libgit2_checks_known_hosts_itself_when_passed_through() {
    run("libgit2_builtin_check");
}

#[test]
fn a_matching_snapshot_cannot_override_libgit2s_verdict() {
    run("libgit2_has_the_last_word");
}
