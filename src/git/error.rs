//! `GitError`: every way the self-check commit-and-push can stop.
//!
//! Messages are lowercase, say what happened and what to do next, and never
//! contain a token, key material or URL userinfo: text that came from
//! libgit2 passes through `scrub` first. All variants are runtime failures
//! (exit code 1 in cigen's scheme).

use std::fmt;

use super::env::EnvSnapshot;
use super::remote_url::redact;

/// Why `commit_and_push` did not push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GitError {
    /// HEAD is not on a branch, so there is nothing safe to push.
    DetachedHead,
    /// `CIRCLE_TAG` is set; the value is the tag name.
    TagBuild(String),
    /// HEAD already carries the self-check trailer.
    LoopGuard,
    /// origin's branch has commits we do not have; we never force.
    NonFastForward { branch: String },
    /// Every credential source was missing or rejected; one line per source.
    NoCredentials { tried: Vec<String> },
    /// Authenticated but not allowed to push (e.g. a fork's pull request).
    PermissionDenied { message: String },
    /// `~/.ssh/known_hosts` has no key of the presented type for the host.
    HostKeyUnknown { host: String },
    /// `~/.ssh/known_hosts` has a different key for the host (or revoked it).
    HostKeyMismatch { host: String },
    /// Anything else, already scrubbed of secrets.
    Other(String),
}

impl fmt::Display for GitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DetachedHead => write!(
                f,
                "HEAD is detached, so there is no branch to commit the regenerated config to; \
                 run `cigen generate` on a branch and commit the result"
            ),
            Self::TagBuild(tag) => write!(
                f,
                "refusing to commit during a tag build (CIRCLE_TAG={tag}); \
                 regenerate the config on a branch, commit it, and tag that commit"
            ),
            Self::LoopGuard => write!(
                f,
                "HEAD is already a cigen self-check commit but the config is still stale; \
                 refusing to push again to avoid a commit loop. Run `cigen generate` locally, \
                 commit, and check that generation is deterministic"
            ),
            Self::NonFastForward { branch } => write!(
                f,
                "origin rejected the push to {branch}: the remote branch has commits this \
                 checkout does not (non-fast-forward); cigen never force-pushes. The newer \
                 pipeline for that branch will run the self-check again"
            ),
            Self::NoCredentials { tried } => write!(
                f,
                "no credentials could push to origin (tried: {}); add a deploy key with write \
                 access to the project (CircleCI: Project Settings > SSH Keys) or set \
                 CIGEN_GIT_TOKEN for an https remote",
                if tried.is_empty() {
                    "nothing".to_string()
                } else {
                    tried.join("; ")
                }
            ),
            Self::PermissionDenied { message } => write!(
                f,
                "origin refused the push: {message}. The credentials may read but not push \
                 (expected for pull requests from forks); run `cigen generate` and commit the \
                 result to the branch yourself"
            ),
            Self::HostKeyUnknown { host } => write!(
                f,
                "the ssh host key of {host} is not in $HOME/.ssh/known_hosts; add the host's \
                 published key there (verify its fingerprint) before pushing"
            ),
            Self::HostKeyMismatch { host } => write!(
                f,
                "the ssh host key presented by {host} does not match $HOME/.ssh/known_hosts \
                 (or is revoked); refusing to push. The key may have been rotated, or someone \
                 may be intercepting the connection"
            ),
            Self::Other(message) => write!(f, "git: {message}"),
        }
    }
}

impl std::error::Error for GitError {}

/// Removes URL userinfo and every token value in `env` from `text`.
pub(super) fn scrub(text: &str, env: &EnvSnapshot) -> String {
    let mut out = redact(text);
    for secret in env.secrets() {
        out = out.replace(secret, "***");
    }
    out
}

/// Wraps a libgit2 error as `Other`, with context, scrubbed.
pub(super) fn other(context: &str, error: &git2::Error, env: &EnvSnapshot) -> GitError {
    GitError::Other(scrub(&format!("{context}: {}", error.message()), env))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_tokens_and_userinfo() {
        let env = EnvSnapshot::from_pairs([("GH_TOKEN", "ghs_123")]);
        let text = scrub("bad token ghs_123 for https://x:ghs_123@h/r", &env);
        assert!(!text.contains("ghs_123"), "{text}");
    }

    #[test]
    fn messages_start_lowercase_or_with_a_name() {
        let message = GitError::NoCredentials { tried: vec![] }.to_string();
        assert!(message.starts_with("no credentials") && message.contains("nothing"));
    }
}
