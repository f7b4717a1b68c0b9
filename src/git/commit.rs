//! Writes the regenerated file and records it as one commit on the branch.
//!
//! The file is written atomically (temporary file in the same directory,
//! then rename) keeping the old file's permissions. The commit's tree is
//! HEAD's tree with only this one path replaced, so anything else that
//! happens to be staged is never swept into cigen's commit; the index entry
//! is refreshed so `git status` stays clean for the file. Author and
//! committer are fixed; the message ends with the self-check trailer.
//! `undo` takes the commit back off the branch when the push fails, so a
//! rerun is not mistaken for a loop.

use std::fs;
use std::io::Write;
use std::path::Path;

use git2::build::TreeUpdateBuilder;
use git2::{FileMode, Oid, Repository, Signature};

use super::env::EnvSnapshot;
use super::error::{GitError, other};
use super::guard::TRAILER_KEY;

pub const AUTHOR_NAME: &str = "cigen";
pub const AUTHOR_EMAIL: &str = "cigen@users.noreply.github.com";

/// Commit message for regenerating `file`, ending with the trailer.
pub(super) fn message(file: &str) -> String {
    format!(
        "ci: regenerate {file}\n\n\
         The committed {file} was stale: `cigen setup --self-check --commit-on-diff`\n\
         regenerated it from .cigen/ in CI and committed the result so that a new\n\
         pipeline runs with the up-to-date configuration.\n\n\
         {TRAILER_KEY}: true\n"
    )
}

/// Writes `contents` to `repo_dir/file` atomically.
pub(super) fn write_atomically(
    repo_dir: &Path,
    file: &Path,
    contents: &[u8],
) -> Result<(), GitError> {
    let target = repo_dir.join(file);
    let fail = |what: &str, err: std::io::Error| {
        GitError::Other(format!("cannot {what} {}: {err}", target.display()))
    };
    let dir = target
        .parent()
        .ok_or_else(|| GitError::Other(format!("{} has no parent directory", target.display())))?;
    fs::create_dir_all(dir).map_err(|e| fail("create the directory of", e))?;
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(|e| fail("write", e))?;
    temp.write_all(contents).map_err(|e| fail("write", e))?;
    temp.as_file().sync_all().map_err(|e| fail("write", e))?;
    match fs::metadata(&target) {
        Ok(meta) => fs::set_permissions(temp.path(), meta.permissions()),
        Err(_) => set_new_file_permissions(temp.path()),
    }
    .map_err(|e| fail("write", e))?;
    temp.persist(&target)
        .map_err(|e| fail("replace", e.error))?;
    Ok(())
}

/// A temporary file is created `0600`; a new tracked file should be `0644`.
#[cfg(unix)]
fn set_new_file_permissions(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn set_new_file_permissions(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Commits `contents` as `file` on top of HEAD; returns the new commit id.
pub(super) fn commit_file(
    repo: &Repository,
    file: &Path,
    contents: &[u8],
    env: &EnvSnapshot,
) -> Result<Oid, GitError> {
    let git = |context: &'static str| move |e: git2::Error| other(context, &e, env);
    let path = file
        .to_str()
        .ok_or_else(|| GitError::Other(format!("{} is not valid UTF-8", file.display())))?
        .replace('\\', "/");
    let parent = repo
        .head()
        .and_then(|head| head.peel_to_commit())
        .map_err(git("cannot read the HEAD commit"))?;
    let base = parent.tree().map_err(git("cannot read the HEAD tree"))?;
    let mode = match base.get_path(file) {
        Ok(entry) if entry.filemode() == i32::from(FileMode::BlobExecutable) => {
            FileMode::BlobExecutable
        }
        _ => FileMode::Blob,
    };
    let blob = repo.blob(contents).map_err(git("cannot store the file"))?;
    let tree_id = TreeUpdateBuilder::new()
        .upsert(path.as_str(), blob, mode)
        .create_updated(repo, &base)
        .map_err(git("cannot build the commit tree"))?;
    if tree_id == base.id() {
        return Err(GitError::Other(format!(
            "{path} in HEAD already has these contents; there is nothing to commit"
        )));
    }
    refresh_index(repo, &path, env)?;
    let tree = repo
        .find_tree(tree_id)
        .map_err(git("cannot read the new tree"))?;
    let signature =
        Signature::now(AUTHOR_NAME, AUTHOR_EMAIL).map_err(git("cannot build the signature"))?;
    let commit = repo
        .commit(
            Some("HEAD"),
            &signature,
            &signature,
            &message(&path),
            &tree,
            &[&parent],
        )
        .map_err(git("cannot commit"))?;
    Ok(commit)
}

/// Stages the new file so the work tree, index and HEAD agree.
fn refresh_index(repo: &Repository, path: &str, env: &EnvSnapshot) -> Result<(), GitError> {
    let mut index = repo
        .index()
        .map_err(|e| other("cannot open the index", &e, env))?;
    index
        .add_path(Path::new(path))
        .and_then(|()| index.write())
        .map_err(|e| other("cannot stage the file", &e, env))
}

/// Moves `branch` back to `commit`'s parent and unstages `file`, keeping the
/// regenerated bytes in the work tree. Best effort: the push error matters
/// more than a failure here, which only makes the next run hit the loop
/// guard.
pub(super) fn undo(repo: &Repository, branch: &str, commit: Oid, file: &Path) {
    let Ok(parent) = repo.find_commit(commit).and_then(|c| c.parent(0)) else {
        return;
    };
    let Ok(mut reference) = repo.find_reference(&format!("refs/heads/{branch}")) else {
        return;
    };
    if reference.target() != Some(commit) {
        return;
    }
    if reference
        .set_target(parent.id(), "cigen: undo unpushed self-check commit")
        .is_ok()
    {
        let _ = repo.reset_default(Some(parent.as_object()), [file]);
    }
}
