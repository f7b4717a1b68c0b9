//! The work-tree walk, the only place that looks at the work tree's
//! directories. It enters only directories on the way to or inside a
//! pattern's scope and reports, for the files there:
//! - each tracked file that a pattern matched, `lstat`ed relative to its
//!   open directory (cheaper than a full-path `lstat`), as fresh (the index
//!   id holds) or changed (hash it); a matched tracked file it never meets
//!   is deleted and drops out;
//! - each untracked, not-ignored file that a pattern matches (outside a
//!   git work tree, every file is untracked).
//!
//! Excluded directories are skipped unless they hold tracked files, which
//! are then still checked; `.git`, submodules and nested repositories are
//! never entered and symlinks never followed. Directories are read on all
//! cores as soon as they are found. Computing ids is `files.rs`'s job.

use std::fs::DirEntry;
use std::ops::Range;
use std::path::Path;

use super::blob::{MODE_GITLINK, git_mode};
use super::error::HashError;
use super::freshness;
use super::ignore_rules::{self, Chain, Excludes};
use super::index::{GitIndex, Tracking};
use super::parallel;
use super::path_bytes;
use super::pattern::Patterns;

/// A file the walk found worth hashing.
pub(crate) enum Seen {
    /// Tracked entry (by index position) whose recorded id holds.
    Fresh(usize),
    /// Tracked entry whose file must be hashed, with its current mode.
    Changed(usize, u32),
    /// Untracked file: relative path, mode, matching pattern ids.
    Untracked(Vec<u8>, u32, Vec<usize>),
}

/// What the walk needs to know, shared by all directories.
pub(crate) struct Context<'a> {
    pub root: &'a Path,
    pub patterns: &'a Patterns,
    pub index: Option<&'a GitIndex>,
    /// Per index entry: matched by a pattern and needing a look at the file.
    pub check: &'a [bool],
    pub excludes: &'a Excludes,
}

/// A directory still to read.
struct Pending {
    rel: Vec<u8>,
    /// Index entries below this directory (empty outside a work tree).
    tracked: Range<usize>,
    rules: Chain,
    /// Excluded or inside a nested repository: only tracked files count.
    tracked_only: bool,
}

/// Walks the root; results in no particular order.
pub(crate) fn walk(cx: &Context<'_>) -> Result<Vec<Seen>, HashError> {
    let root = Pending {
        rel: Vec::new(),
        tracked: 0..cx.index.map_or(0, |index| index.entries.len()),
        rules: None,
        tracked_only: false,
    };
    let scans = parallel::drain(vec![root], |dir, subdirs| {
        let (found, more) = scan_dir(cx, &dir)?;
        subdirs.extend(more);
        Ok::<_, HashError>(found)
    })?;
    Ok(scans.into_iter().flatten().collect())
}

/// Reads one directory: what it holds, and the subdirectories to enter.
fn scan_dir(cx: &Context<'_>, dir: &Pending) -> Result<(Vec<Seen>, Vec<Pending>), HashError> {
    let abs =
        path_bytes::join(cx.root, &dir.rel).ok_or_else(|| unrepresentable(cx.root, &dir.rel))?;
    let listing = match std::fs::read_dir(&abs) {
        Ok(listing) => listing,
        // Removed or replaced while we walk: nothing left to find there.
        Err(err) if is_gone(&err) => return Ok((Vec::new(), Vec::new())),
        Err(err) => return Err(HashError::io(&abs, &err)),
    };
    let mut entries: Vec<(Vec<u8>, DirEntry)> = Vec::new();
    for entry in listing {
        let entry = entry.map_err(|err| HashError::io(&abs, &err))?;
        let name = path_bytes::os_into_bytes(entry.file_name())
            .ok_or_else(|| unrepresentable(&abs, b"?"))?;
        entries.push((name, entry));
    }
    let is_root = dir.rel.is_empty();
    // A `.git` below the root marks a submodule or nested repository whose
    // files belong to that repository, not to this one.
    let nested = !is_root && entries.iter().any(|(name, _)| name == b".git");
    let tracked_only = dir.tracked_only || nested;
    let rules = if !tracked_only && entries.iter().any(|(name, _)| name == b".gitignore") {
        ignore_rules::with_gitignore(&dir.rules, &dir.rel, &abs)
    } else {
        dir.rules.clone()
    };
    let name_at = if is_root { 0 } else { dir.rel.len() + 1 };
    let children = match cx.index {
        Some(index) => Children::of(index, dir.tracked.clone(), name_at),
        None => Children::default(),
    };
    let files_may_match = cx.patterns.may_hold_files_in(&dir.rel);

    let mut found = Vec::new();
    let mut subdirs = Vec::new();
    let mut hits = Vec::new();
    for (name, entry) in entries {
        if is_root && name == b".git" {
            continue;
        }
        let kind = match entry.file_type() {
            Ok(kind) => kind,
            Err(err) if is_gone(&err) => continue,
            Err(err) => return Err(HashError::io(entry.path(), &err)),
        };
        let tracked_file = children.file(&name);
        if kind.is_dir() {
            // A submodule: its recorded commit id stands for it.
            let gitlink = tracked_file.and_then(|at| cx.index.map(|i| i.entries[at].mode))
                == Some(MODE_GITLINK);
            if !gitlink {
                let tracked = children.dir(&name);
                let rel = child(&dir.rel, &name);
                subdirs.extend(subdir(cx, rel, tracked, &rules, tracked_only));
            }
            continue;
        }
        if !files_may_match {
            continue;
        }
        if let Some(at) = tracked_file {
            if cx.check[at] {
                let meta = match entry.metadata() {
                    Ok(meta) => meta,
                    Err(err) if is_gone(&err) => continue,
                    Err(err) => return Err(HashError::io(entry.path(), &err)),
                };
                found.extend(classify(cx, at, &meta));
            }
            continue;
        }
        if tracked_only {
            continue;
        }
        let rel = child(&dir.rel, &name);
        cx.patterns.matches_into(&rel, &mut hits);
        if hits.is_empty() || cx.excludes.is_ignored(&rules, &rel, false) {
            continue;
        }
        let meta = match entry.metadata() {
            Ok(meta) => meta,
            Err(err) if is_gone(&err) => continue,
            Err(err) => return Err(HashError::io(entry.path(), &err)),
        };
        if let Some(mode) = git_mode(&meta) {
            found.push(Seen::Untracked(rel, mode, hits.clone()));
        }
    }
    Ok((found, subdirs))
}

/// The index entries directly in one directory: files by name, and each
/// subdirectory's range, both sorted by name.
#[derive(Default)]
struct Children<'a> {
    files: Vec<(&'a [u8], usize)>,
    dirs: Vec<(&'a [u8], Range<usize>)>,
}

impl<'a> Children<'a> {
    fn of(index: &'a GitIndex, range: Range<usize>, name_at: usize) -> Children<'a> {
        let mut children = Children::default();
        let mut at = range.start;
        while at < range.end {
            let path = index.path(at);
            let rest = path.get(name_at..).unwrap_or_default();
            match rest.iter().position(|&b| b == b'/') {
                None => {
                    children.files.push((rest, at));
                    at += 1;
                }
                Some(slash) => {
                    let prefix = &path[..=(name_at + slash)];
                    let end = index.end_of_prefix(at, range.end, prefix).max(at + 1);
                    children.dirs.push((&rest[..slash], at..end));
                    at = end;
                }
            }
        }
        children
    }

    fn file(&self, name: &[u8]) -> Option<usize> {
        let at = self.files.binary_search_by(|(n, _)| (*n).cmp(name)).ok()?;
        Some(self.files[at].1)
    }

    fn dir(&self, name: &[u8]) -> Range<usize> {
        match self.dirs.binary_search_by(|(n, _)| (*n).cmp(name)) {
            Ok(at) => self.dirs[at].1.clone(),
            Err(_) => 0..0,
        }
    }
}

/// Whether and how to enter the subdirectory `rel`.
fn subdir(
    cx: &Context<'_>,
    rel: Vec<u8>,
    tracked: Range<usize>,
    rules: &Chain,
    tracked_only: bool,
) -> Option<Pending> {
    if !cx.patterns.wants_dir(&rel) {
        return None;
    }
    let excluded = tracked_only || cx.excludes.is_ignored(rules, &rel, true);
    if excluded && tracked.is_empty() {
        return None;
    }
    Some(Pending {
        rel,
        tracked,
        rules: rules.clone(),
        tracked_only: excluded,
    })
}

/// Fresh or changed, for a matched tracked entry found in the work tree.
fn classify(cx: &Context<'_>, at: usize, meta: &std::fs::Metadata) -> Option<Seen> {
    let index = cx.index?;
    let entry = &index.entries[at];
    if entry.tracking == Tracking::Normal
        && freshness::is_fresh(&entry.stat, entry.mode, meta, index.written)
    {
        return Some(Seen::Fresh(at));
    }
    // Anything but a file or symlink (say, a directory now) is not a blob.
    git_mode(meta).map(|mode| Seen::Changed(at, mode))
}

fn child(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut rel = Vec::with_capacity(dir.len() + 1 + name.len());
    if !dir.is_empty() {
        rel.extend_from_slice(dir);
        rel.push(b'/');
    }
    rel.extend_from_slice(name);
    rel
}

fn unrepresentable(base: &Path, rel: &[u8]) -> HashError {
    HashError::Io {
        path: base.join(path_bytes::display(rel)),
        message: "the path cannot be represented on this platform".into(),
    }
}

/// Deleted, or a parent directory replaced by a file.
fn is_gone(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
}
