//! Evidence for how libgit2 1.9 (vendored by git2 0.20) treats SSH host
//! keys on its own, pushing with raw git2 calls instead of cigen's code:
//! with no `certificate_check` callback, or one returning
//! `CertificatePassthrough`, it checks `$HOME/.ssh/known_hosts` itself,
//! accepts a listed key, and rejects unknown and changed keys alike with
//! one message. Also shows that cigen's passthrough leaves it the last word.

// Evidence is printed for the test log; the harness owns stdout here.
#![allow(clippy::disallowed_macros)]

use std::cell::Cell;
use std::fs;
use std::path::Path;

use cigen::git::{EnvSnapshot, GitError};
use git2::{CertificateCheckStatus, Cred, ErrorCode, PushOptions, RemoteCallbacks, Repository};

use super::scenarios::{ED25519, Key, World};
use crate::gitsupport::{git, keygen, path_str};

const LIBGIT2_REJECTION: &str = "invalid or unknown remote ssh hostkey";

#[derive(Clone, Copy, Debug)]
enum CertMode {
    NoCallback,
    Passthrough,
}

/// A fresh commit on main, pushed with plain git2; the key is offered once.
fn raw_push(world: &World, mode: CertMode) -> Result<(), git2::Error> {
    let readme = world.fixture.work.join("README");
    let text = fs::read_to_string(&readme).expect("read README") + "more\n";
    fs::write(&readme, text).expect("write README");
    git(&world.fixture.work, &["commit", "-q", "-am", "probe"]);

    let repo = Repository::open(&world.fixture.work)?;
    let mut remote = repo.find_remote("origin")?;
    let key = world.home.join(".ssh/id_ed25519");
    let offered = Cell::new(false);
    let mut callbacks = RemoteCallbacks::new();
    callbacks.credentials(|_, _, _| {
        if offered.replace(true) {
            return Err(git2::Error::from_str("key already offered"));
        }
        Cred::ssh_key("root", None, &key, None)
    });
    if let CertMode::Passthrough = mode {
        callbacks.certificate_check(|cert, _| {
            assert!(cert.as_hostkey().is_some(), "ssh gives a host key");
            Ok(CertificateCheckStatus::CertificatePassthrough)
        });
    }
    let mut options = PushOptions::new();
    options.remote_callbacks(callbacks);
    remote.push(&["refs/heads/main:refs/heads/main"], Some(&mut options))
}

fn assert_rejected(world: &World, mode: CertMode, case: &str) {
    let before = world.fixture.remote_head();
    let error = raw_push(world, mode).expect_err(case);
    println!(
        "{case} / {mode:?}: code={:?} class={:?} message={:?}",
        error.code(),
        error.class(),
        error.message()
    );
    assert_eq!(error.code(), ErrorCode::Certificate, "{case}: {error}");
    assert_eq!(error.message(), LIBGIT2_REJECTION, "{case}");
    assert_eq!(world.fixture.remote_head(), before, "{case}: remote moved");
}

fn assert_pushed(world: &World, mode: CertMode, case: &str) {
    raw_push(world, mode).unwrap_or_else(|e| panic!("{case} / {mode:?}: {e}"));
    assert_eq!(
        world.fixture.remote_head(),
        world.fixture.local_head(),
        "{case}"
    );
    println!("{case} / {mode:?}: pushed");
}

pub fn builtin_check(home: &Path) {
    let world = World::new(home, &[Key::in_ssh_dir(home, "id_ed25519", ED25519, true)]);
    let known_hosts = home.join(".ssh/known_hosts");
    let impostor = keygen(&home.join("impostor_host_key"), ED25519);
    for mode in [CertMode::NoCallback, CertMode::Passthrough] {
        let _ = fs::remove_file(&known_hosts);
        assert_rejected(&world, mode, "no known_hosts file");
        world.write_known_hosts("");
        assert_rejected(&world, mode, "empty known_hosts");
        world.write_known_hosts(&format!("{} {impostor}\n", world.host()));
        assert_rejected(&world, mode, "different key for the host");
        // Plain `127.0.0.1` for a non-22 port: libssh2 falls back to it.
        world.write_known_hosts(&format!("127.0.0.1 {}\n", world.sshd.host_key_pub));
        assert_pushed(&world, mode, "bare host name entry for a non-22 port");
        world.write_known_hosts(&world.sshd.known_hosts_line());
        assert_pushed(&world, mode, "[host]:port entry");
        let status = std::process::Command::new("ssh-keygen")
            .args(["-q", "-H", "-f", path_str(&known_hosts)])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("ssh-keygen -H");
        assert!(status.success());
        assert_pushed(&world, mode, "hashed entry");
    }
    // Lines libssh2 does not use are skipped, but one it cannot parse makes
    // it load nothing, so every host is refused.
    for (case, line) in [
        (
            "@cert-authority line",
            format!("@cert-authority *.example.com {impostor}\n"),
        ),
        (
            "security-key line",
            format!(
                "h.example sk-ssh-ed25519@openssh.com {}\n",
                key_body(&impostor)
            ),
        ),
    ] {
        world.write_known_hosts(&(line + &world.sshd.known_hosts_line()));
        assert_pushed(&world, CertMode::NoCallback, case);
    }
    world.write_known_hosts(&format!("h.example\n{}", world.sshd.known_hosts_line()));
    let error = raw_push(&world, CertMode::NoCallback).expect_err("malformed line");
    assert_eq!(
        error.message(),
        "error loading known_hosts: Failed to parse known hosts file"
    );
    let error = world.push_err(&world.env());
    let GitError::Other(message) = &error else {
        panic!("expected Other, got {error:?}");
    };
    assert_eq!(
        message,
        "error loading known_hosts: Failed to parse known hosts file: a line in $HOME/.ssh/known_hosts is malformed, \
         and libssh2 then trusts no host at all; fix or remove that line"
    );
}

fn key_body(public: &str) -> &str {
    public
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("no key body in {public:?}"))
}

/// cigen's own lookup (snapshot HOME) matches, but the process HOME that
/// libgit2 read at start-up has no entry: passthrough lets libgit2 refuse.
pub fn last_word(home: &Path) {
    let world = World::new(home, &[Key::in_ssh_dir(home, "id_ed25519", ED25519, true)]);
    world.write_known_hosts("");
    let other_home = home.join("snapshot_home");
    fs::create_dir_all(other_home.join(".ssh")).expect("mkdir");
    fs::copy(
        home.join(".ssh/id_ed25519"),
        other_home.join(".ssh/id_ed25519"),
    )
    .expect("copy key");
    fs::write(
        other_home.join(".ssh/known_hosts"),
        world.sshd.known_hosts_line(),
    )
    .expect("write");
    let env = EnvSnapshot::from_pairs([("HOME", path_str(&other_home))]);

    let error = world.push_host_refused(&env);
    let GitError::Other(message) = &error else {
        panic!("expected Other, got {error:?}");
    };
    assert_eq!(
        message,
        &format!(
            "the host key of {} matches $HOME/.ssh/known_hosts but libgit2 rejected it: {LIBGIT2_REJECTION} \
             (libgit2 reads known_hosts under the HOME the process started with)",
            world.host()
        )
    );
}
