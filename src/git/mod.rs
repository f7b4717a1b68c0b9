//! The git edge: commit a regenerated file on the checked-out branch and
//! push it to `origin` through libgit2 (and find where a directory sits in
//! its work tree, for the file's path).
//!
//! Used by `cigen setup --self-check --commit-on-diff`. Input: a work tree,
//! a repo-relative path, the new bytes and an `EnvSnapshot`; output: the
//! pushed commit or a `GitError` that says why not. It refuses before
//! writing anything on tag builds, a detached HEAD, fork pull requests, or
//! when HEAD is already a self-check commit. It never force-pushes; when
//! the push fails, the commit is taken back off the branch (the new bytes
//! stay in the work tree). It prints nothing: callers decide what to show,
//! and nothing it returns contains a token, key or URL userinfo.
//!
//! libgit2 reads `HOME` (for `~/.ssh/known_hosts`) and `SSH_AUTH_SOCK`
//! from the process environment, not from `EnvSnapshot`; build the
//! snapshot with `EnvSnapshot::from_process()` in production so they agree.

mod commit;
mod credentials;
mod digest;
mod env;
mod error;
mod guard;
mod host_key;
mod known_hosts;
mod push;
mod remote_url;
mod ssh_keys;

use std::path::{Path, PathBuf};

use git2::Repository;

pub use commit::{AUTHOR_EMAIL, AUTHOR_NAME};
pub use env::EnvSnapshot;
pub(crate) use env::TOKEN_VARS;
pub use error::GitError;

/// A request to commit and push one regenerated file.
#[derive(Clone, Copy, Debug)]
pub struct SelfCheckCommit<'a> {
    /// Root of the work tree.
    pub repo_dir: &'a Path,
    /// Repository-relative path, e.g. `.circleci/config.yml`.
    pub file: &'a Path,
    /// The new contents.
    pub contents: &'a [u8],
    /// The environment variables this module may read.
    pub env: &'a EnvSnapshot,
}

/// What a successful `commit_and_push` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushOutcome {
    Pushed {
        branch: String,
        /// Hex id of the new commit.
        commit: String,
        remote_url_redacted: String,
    },
}

/// Writes, commits and pushes `req.file`; see the module docs for refusals.
pub fn commit_and_push(req: &SelfCheckCommit) -> Result<PushOutcome, GitError> {
    let env = req.env;
    let repo = open(req.repo_dir, env)?;
    let branch = guard::preflight(&repo, env)?;
    if req.file.is_absolute() || req.file.components().any(|c| c.as_os_str() == "..") {
        return Err(GitError::Other(format!(
            "{} must be a path inside the repository",
            req.file.display()
        )));
    }
    commit::write_atomically(req.repo_dir, req.file, req.contents)?;
    let commit = commit::commit_file(&repo, req.file, req.contents, env)?;
    match push::push_branch(&repo, &branch, env) {
        Ok(remote_url_redacted) => Ok(PushOutcome::Pushed {
            branch,
            commit: commit.to_string(),
            remote_url_redacted,
        }),
        Err(error) => {
            commit::undo(&repo, &branch, commit, req.file);
            Err(error)
        }
    }
}

/// The root of the work tree holding directory `dir`, and `dir` relative to
/// it (both resolved through symlinks).
pub(crate) fn work_tree_of(dir: &Path) -> Result<(PathBuf, PathBuf), GitError> {
    let env = EnvSnapshot::default();
    let resolve = |path: &Path| {
        std::fs::canonicalize(path)
            .map_err(|err| GitError::Other(format!("cannot resolve {}: {err}", path.display())))
    };
    let dir = resolve(dir)?;
    let repo =
        Repository::discover(&dir).map_err(|e| error::other("not a git repository", &e, &env))?;
    let Some(workdir) = repo.workdir() else {
        return Err(GitError::Other("the repository has no work tree".into()));
    };
    let workdir = resolve(workdir)?;
    let relative = dir.strip_prefix(&workdir).map_err(|_| {
        GitError::Other(format!(
            "{} is outside the work tree {}",
            dir.display(),
            workdir.display()
        ))
    })?;
    Ok((workdir.clone(), relative.to_path_buf()))
}

fn open(repo_dir: &Path, env: &EnvSnapshot) -> Result<Repository, GitError> {
    Repository::open(repo_dir).map_err(|e| {
        error::other(
            &format!("cannot open the git repository at {}", repo_dir.display()),
            &e,
            env,
        )
    })
}
