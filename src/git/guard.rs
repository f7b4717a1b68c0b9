//! The refusals checked before anything is written.
//!
//! A self-check commit is only safe on a checked-out branch, outside tag
//! builds and fork pull requests (CircleCI checks those out as
//! `pull/<number>`, a branch origin does not have), and when HEAD is not
//! itself a self-check commit (otherwise a non-deterministic generator
//! would push forever). `preflight` returns the
//! branch name to push, or the reason to refuse; it reads the repository and
//! the env snapshot and writes nothing.

use git2::Repository;

use super::env::EnvSnapshot;
use super::error::{GitError, other};

/// Trailer key marking cigen's own commits; value `true`.
pub(crate) const TRAILER_KEY: &str = "Cigen-Self-Check";

/// The short name of the checked-out branch, once every refusal has passed.
pub(super) fn preflight(repo: &Repository, env: &EnvSnapshot) -> Result<String, GitError> {
    if let Some(tag) = env.get("CIRCLE_TAG") {
        return Err(GitError::TagBuild(tag.to_string()));
    }
    if repo
        .head_detached()
        .map_err(|e| other("cannot read HEAD", &e, env))?
    {
        return Err(GitError::DetachedHead);
    }
    let head = repo
        .head()
        .map_err(|e| other("cannot read HEAD", &e, env))?;
    let branch = head
        .shorthand()
        .filter(|_| head.is_branch())
        .ok_or(GitError::DetachedHead)?
        .to_string();
    if let Some(fork_branch) = [env.get("CIRCLE_BRANCH"), Some(branch.as_str())]
        .into_iter()
        .flatten()
        .find(|name| is_fork_pr_branch(name))
    {
        return Err(GitError::PermissionDenied {
            message: format!(
                "this is a build of a pull request from a fork (branch {fork_branch}); \
                 its branch lives in the fork, and pushing it to origin would only create \
                 a stray branch there"
            ),
        });
    }
    if is_self_check_message(head_message(repo, env)?.as_str()) {
        return Err(GitError::LoopGuard);
    }
    Ok(branch)
}

/// CircleCI names fork pull request builds' branch `pull/<number>`.
fn is_fork_pr_branch(name: &str) -> bool {
    name.strip_prefix("pull/")
        .is_some_and(|number| !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()))
}

/// The message of the commit HEAD points to.
pub(super) fn head_message(repo: &Repository, env: &EnvSnapshot) -> Result<String, GitError> {
    let commit = repo
        .head()
        .and_then(|head| head.peel_to_commit())
        .map_err(|e| other("cannot read the HEAD commit", &e, env))?;
    Ok(String::from_utf8_lossy(commit.message_bytes()).into_owned())
}

/// True when `message` ends with a `Cigen-Self-Check: true` trailer.
pub(super) fn is_self_check_message(message: &str) -> bool {
    git2::message_trailers_strs(message).is_ok_and(|trailers| {
        trailers.iter().any(|(key, value)| {
            key.eq_ignore_ascii_case(TRAILER_KEY) && value.trim().eq_ignore_ascii_case("true")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_circleci_fork_branches() {
        assert!(is_fork_pr_branch("pull/123"));
        assert!(!is_fork_pr_branch("pull/"));
        assert!(!is_fork_pr_branch("pull/feature"));
        assert!(!is_fork_pr_branch("main"));
    }

    #[test]
    fn recognises_the_trailer_only_in_the_trailer_block() {
        assert!(is_self_check_message(
            "ci: x\n\nwhy\n\nCigen-Self-Check: true\n"
        ));
        assert!(is_self_check_message(
            "ci: x\n\nSigned-off-by: a <a@b>\ncigen-self-check: TRUE"
        ));
        assert!(!is_self_check_message(
            "ci: x\n\nCigen-Self-Check: true\n\nmore prose\n"
        ));
        assert!(!is_self_check_message("Cigen-Self-Check: false\n"));
        assert!(!is_self_check_message(
            "fix: mention Cigen-Self-Check: true inline\n"
        ));
    }
}
