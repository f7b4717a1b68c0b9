//! Pushes one branch to `origin`, never forced, and explains failures.
//!
//! Installs three callbacks: credentials (`Credentials`, each source once),
//! certificate check (`HostKeyCheck`) and `push_update_reference`, because
//! libgit2 reports a ref the server refused there rather than as an error.
//! Every failure is mapped to a `GitError` variant; libgit2 text is scrubbed
//! of tokens and URL userinfo before it can reach the user.

use std::cell::RefCell;

use git2::{ErrorClass, ErrorCode, PushOptions, RemoteCallbacks, Repository};

use super::credentials::Credentials;
use super::env::EnvSnapshot;
use super::error::{GitError, other, scrub};
use super::host_key::HostKeyCheck;
use super::known_hosts::HostKeyVerdict;
use super::remote_url::RemoteUrl;

/// The remote cigen pushes to.
pub(super) const REMOTE: &str = "origin";

/// Pushes `refs/heads/<branch>` to the same name on origin; returns the
/// redacted push URL.
pub(super) fn push_branch(
    repo: &Repository,
    branch: &str,
    env: &EnvSnapshot,
) -> Result<String, GitError> {
    let mut remote = repo
        .find_remote(REMOTE)
        .map_err(|e| other("cannot find the remote named origin", &e, env))?;
    let raw_url = remote
        .pushurl()
        .or(remote.url())
        .unwrap_or_default()
        .to_string();
    let url = RemoteUrl::parse(&raw_url);
    let refname = format!("refs/heads/{branch}");

    let credentials = RefCell::new(Credentials::plan(&url, env));
    let host_check = RefCell::new(HostKeyCheck::new(&url, env));
    let rejections: RefCell<Vec<(String, String)>> = RefCell::new(Vec::new());

    let mut callbacks = RemoteCallbacks::new();
    callbacks
        .credentials(|_url, user, allowed| credentials.borrow_mut().next_credential(user, allowed));
    callbacks.certificate_check(|cert, _host| host_check.borrow_mut().check(cert));
    callbacks.push_update_reference(|name, status| {
        if let Some(status) = status {
            rejections
                .borrow_mut()
                .push((name.to_string(), status.to_string()));
        }
        Ok(())
    });
    let mut options = PushOptions::new();
    options.remote_callbacks(callbacks);

    // No leading '+': libgit2 refuses non-fast-forward updates itself.
    let refspec = format!("{refname}:{refname}");
    let pushed = remote.push(&[refspec.as_str()], Some(&mut options));
    drop(options);

    if let Err(error) = pushed {
        let failure = Failure {
            error: &error,
            branch,
            url: &url,
            credentials: &credentials.borrow(),
            host_check: &host_check.borrow(),
            env,
        };
        return Err(failure.classify());
    }
    if let Some((name, status)) = rejections.into_inner().into_iter().next() {
        return Err(rejected(branch, &name, &status, env));
    }
    Ok(url.redacted())
}

/// Everything known about a failed push.
struct Failure<'a> {
    error: &'a git2::Error,
    branch: &'a str,
    url: &'a RemoteUrl,
    credentials: &'a Credentials,
    host_check: &'a HostKeyCheck,
    env: &'a EnvSnapshot,
}

impl Failure<'_> {
    fn classify(&self) -> GitError {
        if let Some((host, verdict)) = self.host_check.verdict() {
            let host = host.to_string();
            match verdict {
                HostKeyVerdict::Unknown => return GitError::HostKeyUnknown { host },
                HostKeyVerdict::Mismatch | HostKeyVerdict::Revoked => {
                    return GitError::HostKeyMismatch { host };
                }
                HostKeyVerdict::Match if self.error.code() == ErrorCode::Certificate => {
                    return GitError::Other(format!(
                        "the host key of {host} matches $HOME/.ssh/known_hosts but libgit2 \
                         rejected it: {} (libgit2 reads known_hosts under the HOME the \
                         process started with)",
                        self.message()
                    ));
                }
                HostKeyVerdict::Match => {}
            }
        }
        if self.credentials.exhausted() || self.error.code() == ErrorCode::Auth {
            return GitError::NoCredentials {
                tried: self.credentials.tried(),
            };
        }
        if self.error.code() == ErrorCode::NotFastForward {
            return GitError::NonFastForward {
                branch: self.branch.to_string(),
            };
        }
        let message = self.message();
        if looks_like_permission_denied(&message) {
            return GitError::PermissionDenied { message };
        }
        if self.error.class() == ErrorClass::Ssh && message.contains("known_hosts") {
            return GitError::Other(format!(
                "{message}: a line in $HOME/.ssh/known_hosts is malformed, and libssh2 then \
                 trusts no host at all; fix or remove that line"
            ));
        }
        GitError::Other(format!("cannot push to {}: {message}", self.url.redacted()))
    }

    fn message(&self) -> String {
        scrub(self.error.message(), self.env)
    }
}

/// The server refused `name` with `status` although the push itself ran.
fn rejected(branch: &str, name: &str, status: &str, env: &EnvSnapshot) -> GitError {
    let lower = status.to_ascii_lowercase();
    if ["non-fast-forward", "fetch first", "stale info"]
        .iter()
        .any(|s| lower.contains(s))
    {
        return GitError::NonFastForward {
            branch: branch.to_string(),
        };
    }
    let message = scrub(&format!("{name} was rejected: {status}"), env);
    if looks_like_permission_denied(&lower) || lower.contains("declined") {
        return GitError::PermissionDenied { message };
    }
    GitError::Other(message)
}

/// Server texts for "you may read but not write" (GitHub, GitLab, Bitbucket).
fn looks_like_permission_denied(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    [
        "permission",
        "denied",
        "status code: 403",
        "read only",
        "read-only",
        "not allowed",
        "write access",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ref_rejections_are_classified() {
        let env = EnvSnapshot::default();
        let nff = rejected("main", "refs/heads/main", "fetch first", &env);
        assert_eq!(
            nff,
            GitError::NonFastForward {
                branch: "main".into()
            }
        );
        let hook = rejected(
            "main",
            "refs/heads/main",
            "protected branch hook declined",
            &env,
        );
        assert!(
            matches!(hook, GitError::PermissionDenied { .. }),
            "{hook:?}"
        );
        let odd = rejected("main", "refs/heads/main", "funny refname", &env);
        assert!(matches!(odd, GitError::Other(_)), "{odd:?}");
    }
}
