//! Where the git files of a work tree live: `root/.git` as a directory, or
//! a `.git` file (`gitdir: …`, as in linked worktrees and submodules)
//! pointing at one, plus the common directory that holds `info/exclude`.
//! Input: the hash root; output: `GitDirs` or "not a work tree". It reads
//! only `.git` and `commondir`; `GIT_DIR`, `GIT_INDEX_FILE` and
//! `core.worktree` are not consulted (cigen always runs at the root).

use std::path::{Path, PathBuf};

use super::error::HashError;

/// The directories of a work tree's repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GitDirs {
    /// Holds `index` (per worktree).
    pub git_dir: PathBuf,
    /// Holds `info/exclude` (shared by all worktrees).
    pub common_dir: PathBuf,
}

impl GitDirs {
    pub(super) fn index_file(&self) -> PathBuf {
        self.git_dir.join("index")
    }

    pub(super) fn exclude_file(&self) -> PathBuf {
        self.common_dir.join("info").join("exclude")
    }
}

/// The git directories of the work tree at `root`, or `None` when `root`
/// has no `.git` (then the caller hashes a plain directory).
pub(crate) fn locate(root: &Path) -> Result<Option<GitDirs>, HashError> {
    let dot_git = root.join(".git");
    let meta = match std::fs::metadata(&dot_git) {
        Ok(meta) => meta,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(HashError::io(&dot_git, &err)),
    };
    let git_dir = if meta.is_dir() {
        dot_git
    } else {
        let text =
            std::fs::read_to_string(&dot_git).map_err(|err| HashError::io(&dot_git, &err))?;
        let Some(target) = text
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("gitdir:"))
        else {
            return Err(HashError::Git(format!(
                "`{}` is a file but does not start with `gitdir:`",
                dot_git.display()
            )));
        };
        root.join(target.trim())
    };
    if !git_dir.is_dir() {
        return Err(HashError::Git(format!(
            "the git directory `{}` does not exist",
            git_dir.display()
        )));
    }
    let common_dir = match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(text) => git_dir.join(text.trim()),
        Err(_) => git_dir.clone(),
    };
    Ok(Some(GitDirs {
        git_dir,
        common_dir,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_directory_is_not_a_work_tree() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        assert_eq!(locate(dir.path())?, None);
        Ok(())
    }

    #[test]
    fn a_gitdir_file_and_commondir_are_followed() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let main_git = dir.path().join("main/.git");
        let linked = main_git.join("worktrees/wt");
        std::fs::create_dir_all(&linked)?;
        std::fs::write(linked.join("commondir"), "../..\n")?;
        let wt = dir.path().join("wt");
        std::fs::create_dir_all(&wt)?;
        std::fs::write(wt.join(".git"), format!("gitdir: {}\n", linked.display()))?;
        let dirs = locate(&wt)?.ok_or("expected a work tree")?;
        assert_eq!(dirs.index_file(), linked.join("index"));
        assert_eq!(
            dirs.exclude_file(),
            linked.join("../..").join("info/exclude")
        );
        std::fs::write(wt.join(".git"), "nonsense\n")?;
        assert!(matches!(locate(&wt), Err(HashError::Git(_))));
        Ok(())
    }
}
