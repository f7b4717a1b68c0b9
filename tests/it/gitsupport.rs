//! Git test scaffolding: real git repositories built with the git CLI, a
//! throwaway sshd, a token-checking smart-HTTP server, and a time limit for
//! network calls (`within`, and `Fixture::push` under it).

pub mod http;
pub mod sshd;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use cigen::git::{EnvSnapshot, GitError, PushOutcome, SelfCheckCommit, commit_and_push};

pub const FILE: &str = ".circleci/config.yml";
pub const OLD: &[u8] = b"version: 2.1\n# old\n";
pub const NEW: &[u8] = b"version: 2.1\n# regenerated\n";

/// Runs git in `dir` with no user or system config; panics on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Tester")
        .env("GIT_AUTHOR_EMAIL", "tester@example.com")
        .env("GIT_COMMITTER_NAME", "Tester")
        .env("GIT_COMMITTER_EMAIL", "tester@example.com")
        .stdin(Stdio::null())
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} in {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A bare `remote.git` and a clone `work/` on branch `main` with one commit
/// holding the stale config.
pub struct Fixture {
    pub remote: PathBuf,
    pub work: PathBuf,
}

impl Fixture {
    pub fn new(base: &Path) -> Self {
        let remote = base.join("remote.git");
        let work = base.join("work");
        git(
            base,
            &["init", "-q", "--bare", "-b", "main", path_str(&remote)],
        );
        git(base, &["init", "-q", "-b", "main", path_str(&work)]);
        std::fs::create_dir_all(work.join(".circleci")).expect("mkdir");
        std::fs::write(work.join(FILE), OLD).expect("write config");
        std::fs::write(work.join("README"), "hello\n").expect("write readme");
        git(&work, &["add", "."]);
        git(&work, &["commit", "-q", "-m", "initial"]);
        git(&work, &["remote", "add", "origin", path_str(&remote)]);
        git(&work, &["push", "-q", "origin", "main"]);
        Self { remote, work }
    }

    pub fn set_origin(&self, url: &str) {
        git(&self.work, &["remote", "set-url", "origin", url]);
    }

    pub fn remote_head(&self) -> String {
        git(&self.remote, &["rev-parse", "refs/heads/main"])
    }

    pub fn local_head(&self) -> String {
        git(&self.work, &["rev-parse", "HEAD"])
    }

    pub fn remote_file(&self) -> String {
        git(&self.remote, &["show", &format!("main:{FILE}")])
    }

    /// What the remote's tip commit says: author, committer, full message.
    pub fn remote_commit_summary(&self) -> (String, String, String) {
        let show = |format: &str| {
            git(
                &self.remote,
                &["log", "-1", &format!("--format={format}"), "main"],
            )
        };
        (show("%an <%ae>"), show("%cn <%ce>"), show("%B"))
    }

    /// cigen's commit-and-push of `NEW` into `FILE` from the work tree with
    /// `env`, given at most 60 s.
    pub fn push(&self, env: &EnvSnapshot) -> Result<PushOutcome, GitError> {
        let work = self.work.clone();
        let env = env.clone();
        within(Duration::from_secs(60), move || {
            commit_and_push(&SelfCheckCommit {
                repo_dir: &work,
                file: Path::new(FILE),
                contents: NEW,
                env: &env,
            })
        })
    }

    /// Asserts the work tree, index and HEAD are exactly as `new` left them.
    pub fn assert_untouched(&self, head: &str) {
        assert_eq!(self.local_head(), head, "HEAD moved");
        assert_eq!(
            std::fs::read(self.work.join(FILE)).expect("read"),
            OLD,
            "file rewritten"
        );
        assert_eq!(
            git(&self.work, &["status", "--porcelain"]),
            "",
            "work tree dirty"
        );
    }
}

pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

/// Generates an unencrypted key pair at `path` (+ `.pub`); returns the
/// public key line.
pub fn keygen(path: &Path, kind: &[&str]) -> String {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-N", "", "-C", "cigen-test", "-f", path_str(path)])
        .args(kind)
        .stdin(Stdio::null())
        .status()
        .expect("ssh-keygen runs");
    assert!(status.success(), "ssh-keygen failed for {}", path.display());
    std::fs::read_to_string(format!("{}.pub", path.display()))
        .expect("public key written")
        .trim()
        .to_string()
}

/// Runs `work` on its own thread and panics if it takes longer than
/// `limit`, so a hung network call fails the test instead of hanging it.
pub fn within<T: Send + 'static>(limit: Duration, work: impl FnOnce() -> T + Send + 'static) -> T {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(work());
    });
    match receiver.recv_timeout(limit) {
        Ok(value) => value,
        Err(_) => panic!("gave up after {limit:?}"),
    }
}
