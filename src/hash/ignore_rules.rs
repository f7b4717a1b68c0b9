//! Git's exclude rules for untracked files: the `.gitignore` of every
//! directory from the file's own up to the root (deeper files win), then
//! `.git/info/exclude`, then the global excludes file (`core.excludesFile`
//! or `~/.config/git/ignore`, as the `ignore` crate finds it). Within one
//! file the last matching line wins, and `!` re-includes. A file inside an
//! excluded directory is excluded whatever its own rules say; the walk
//! gets that by never entering excluded directories. Input: relative byte
//! paths; output: ignored or not. Parsing lines is the `ignore` crate's.

use std::path::Path;
use std::sync::Arc;

use ignore::Match;
use ignore::gitignore::Gitignore;

use super::path_bytes;

/// The repository-wide rules: `info/exclude` and the global file.
pub(crate) struct Excludes {
    repo: Gitignore,
    global: Gitignore,
}

/// The `.gitignore` rules in effect for one directory: its own file (if
/// any) and, through `parent`, those of every directory above it.
pub(crate) struct DirRules {
    /// Directory holding the `.gitignore`, relative, "" for the root.
    dir: Vec<u8>,
    rules: Gitignore,
    parent: Option<Arc<DirRules>>,
}

/// The chain for one directory; `None` when no `.gitignore` applies.
pub(crate) type Chain = Option<Arc<DirRules>>;

impl Excludes {
    /// `exclude_file` is `info/exclude` inside a work tree, `None` outside.
    pub(super) fn load(root: &Path, exclude_file: Option<&Path>) -> Excludes {
        // Unreadable or malformed lines are skipped, as git skips them.
        let repo = match exclude_file {
            Some(file) if file.is_file() => {
                let mut builder = ignore::gitignore::GitignoreBuilder::new(root);
                let _ = builder.add(file);
                builder.build().unwrap_or_else(|_| Gitignore::empty())
            }
            _ => Gitignore::empty(),
        };
        let (global, _) = Gitignore::global();
        Excludes { repo, global }
    }

    /// No rules at all (tests).
    #[cfg(test)]
    pub(super) fn none() -> Excludes {
        Excludes {
            repo: Gitignore::empty(),
            global: Gitignore::empty(),
        }
    }

    /// Whether the untracked `rel` (a directory if `is_dir`) is ignored
    /// under `chain`.
    pub(super) fn is_ignored(&self, chain: &Chain, rel: &[u8], is_dir: bool) -> bool {
        let mut node = chain.as_deref();
        while let Some(rules) = node {
            let below = if rules.dir.is_empty() {
                rel
            } else {
                rel.get(rules.dir.len() + 1..).unwrap_or(rel)
            };
            if let Some(decided) = decide(&rules.rules, below, is_dir) {
                return decided;
            }
            node = rules.parent.as_deref();
        }
        decide(&self.repo, rel, is_dir)
            .or_else(|| decide(&self.global, rel, is_dir))
            .unwrap_or(false)
    }
}

/// `Some(true)` ignored, `Some(false)` re-included, `None` no rule matched.
fn decide(rules: &Gitignore, rel: &[u8], is_dir: bool) -> Option<bool> {
    if rules.is_empty() {
        return None;
    }
    let path = path_bytes::join(Path::new(""), rel)?;
    match rules.matched(&path, is_dir) {
        Match::None => None,
        Match::Ignore(_) => Some(true),
        Match::Whitelist(_) => Some(false),
    }
}

/// `chain` extended by the `.gitignore` in `dir` (absolute `abs`).
pub(crate) fn with_gitignore(chain: &Chain, dir: &[u8], abs: &Path) -> Chain {
    let (rules, _partial_errors) = Gitignore::new(abs.join(".gitignore"));
    if rules.is_empty() {
        return chain.clone();
    }
    Some(Arc::new(DirRules {
        dir: dir.to_vec(),
        rules,
        parent: chain.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deeper_files_win_and_bang_reincludes() -> Result<(), Box<dyn std::error::Error>> {
        let root = tempfile::tempdir()?;
        std::fs::create_dir_all(root.path().join("a/b"))?;
        std::fs::write(root.path().join(".gitignore"), "*.log\nbuild/\n/top.txt\n")?;
        std::fs::write(root.path().join("a/.gitignore"), "!keep.log\n")?;
        let top = with_gitignore(&None, b"", root.path());
        let a = with_gitignore(&top, b"a", &root.path().join("a"));
        let b = with_gitignore(&a, b"a/b", &root.path().join("a/b"));
        let x = Excludes::none();
        assert!(x.is_ignored(&top, b"x.log", false));
        assert!(x.is_ignored(&b, b"a/b/x.log", false));
        assert!(!x.is_ignored(&b, b"a/b/keep.log", false));
        assert!(x.is_ignored(&top, b"build", true));
        assert!(!x.is_ignored(&top, b"build", false));
        assert!(x.is_ignored(&top, b"top.txt", false));
        assert!(!x.is_ignored(&a, b"a/top.txt", false));
        assert!(!x.is_ignored(&top, b"x.rb", false));
        Ok(())
    }

    #[test]
    fn info_exclude_applies_below_gitignore() -> Result<(), Box<dyn std::error::Error>> {
        let root = tempfile::tempdir()?;
        let exclude = root.path().join("exclude");
        std::fs::write(&exclude, "*.tmp\nsecret\n")?;
        std::fs::write(root.path().join(".gitignore"), "!x.tmp\n")?;
        let x = Excludes::load(root.path(), Some(&exclude));
        let top = with_gitignore(&None, b"", root.path());
        assert!(x.is_ignored(&top, b"y.tmp", false));
        assert!(!x.is_ignored(&top, b"x.tmp", false));
        assert!(x.is_ignored(&top, b"d/secret", false));
        Ok(())
    }
}
