//! Checks of whole messages: a failing command's exit code, exact stderr
//! and untouched files (`Repo::fails_with`, `assert_failed`), the same with
//! the configuration's own warnings set apart, and `assert_like` where part
//! of a message is the operating system's.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use super::{Repo, stderr, stdout};

impl Repo {
    /// Runs `cigen ARGS` and asserts it exits with `code`, prints nothing on
    /// stdout and exactly `expected` on stderr, and writes, changes or
    /// removes no file of the repository.
    pub fn fails_with(&self, args: &[&str], code: i32, expected: &str) {
        let before = self.files();
        let output = self.cigen().args(args).output().expect("runs");
        assert_failed(&output, code, expected);
        let after = self.files();
        let changed: BTreeSet<&PathBuf> = (before.keys().chain(after.keys()))
            .filter(|path| before.get(*path) != after.get(*path))
            .collect();
        assert!(
            changed.is_empty(),
            "cigen {args:?} failed but wrote {changed:?}"
        );
    }

    /// Every file, directory and link under the repository but `.git/`.
    pub fn files(&self) -> BTreeMap<PathBuf, Entry> {
        files_under(self.path())
    }
}

/// Every file, directory and link under `dir` but a `.git/` directory in it.
pub fn files_under(dir: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut files = BTreeMap::new();
    collect_files(dir, dir, &mut files);
    files
}

/// One entry of `Repo::files`.
#[derive(Debug, PartialEq, Eq)]
pub enum Entry {
    Dir,
    File(Vec<u8>),
    Link(PathBuf),
}

fn collect_files(root: &Path, dir: &Path, files: &mut BTreeMap<PathBuf, Entry>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let entry = entry.expect("entry");
        let path = entry.path();
        let kind = entry.file_type().expect("file type");
        let relative = path.strip_prefix(root).expect("under root").to_path_buf();
        if kind.is_dir() {
            if path != root.join(".git") {
                files.insert(relative, Entry::Dir);
                collect_files(root, &path, files);
            }
        } else if kind.is_symlink() {
            let target = std::fs::read_link(&path).expect("read link");
            files.insert(relative, Entry::Link(target));
        } else {
            files.insert(
                relative,
                Entry::File(std::fs::read(&path).expect("read file")),
            );
        }
    }
}

/// Asserts a command exited with `code`, printed nothing on stdout and
/// exactly `expected` on stderr; a mismatch shows all three side by side.
pub fn assert_failed(output: &Output, code: i32, expected: &str) {
    assert_eq!(
        (
            output.status.code(),
            stdout(output).as_str(),
            stderr(output).as_str()
        ),
        (Some(code), "", expected),
        "(exit code, stdout, stderr)"
    );
}

/// Asserts `continue` refused the state file the setup job wrote under
/// `rt`: exit code 1 and exactly `error: RT/cigen/state.json{rest}` and a
/// newline on stderr.
pub fn assert_state_refused(output: &Output, rt: &Path, rest: &str) {
    let expected = format!("error: {}/cigen/state.json{rest}\n", rt.display());
    assert_failed(output, 1, &expected);
}

/// `stderr` without the warnings about the configuration's own files
/// (`warning: .cigen/…`, e.g. the seed example's `$CIRCLE_SHA1` ones, which
/// `everyday` pins), so a test compares everything else exactly.
pub fn without_config_warnings(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|line| !line.starts_with("warning: .cigen/"))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// Asserts `actual` is `template` with each `{any}` standing for some text
/// (an operating system's error text, a temporary path): everything else
/// must match exactly.
pub fn assert_like(actual: &str, template: &str) {
    let mut parts = template.split("{any}");
    let first = parts.next().expect("split yields at least one part");
    let mut rest = actual.strip_prefix(first);
    let parts: Vec<&str> = parts.collect();
    for (index, part) in parts.iter().enumerate() {
        rest = rest.and_then(|rest| match index + 1 == parts.len() {
            true => rest.ends_with(part).then_some(""),
            false => rest.find(part).map(|at| &rest[at + part.len()..]),
        });
    }
    assert!(
        rest == Some(""),
        "not like the template:\n  actual: {actual:?}\ntemplate: {template:?}"
    );
}

#[test]
fn assert_like_matches_the_template_and_nothing_else() {
    assert_like("io: reset (os error 104), retrying", "io: {any}, retrying");
    assert_like("a  b", "a {any} b");
    assert_like("exact", "exact");
    for (actual, template) in [
        ("io: reset, retrying later", "io: {any}, retrying"),
        ("xio: reset, retrying", "io: {any}, retrying"),
        ("exact!", "exact"),
        ("a b", "a {any} b {any} c"),
    ] {
        let caught = std::panic::catch_unwind(|| assert_like(actual, template));
        assert!(caught.is_err(), "{actual:?} passed as {template:?}");
    }
}

#[test]
fn files_sees_a_changed_added_or_removed_file_or_directory_but_not_git() {
    let repo = Repo::new().file("a/b.txt", "x");
    let before = repo.files();
    repo.write("a/b.txt", "y");
    assert_ne!(repo.files(), before, "changed contents");
    repo.write("a/b.txt", "x");
    assert_eq!(repo.files(), before);
    repo.write("a/c.txt", "x");
    assert_ne!(repo.files(), before, "added file");
    repo.remove("a/c.txt");
    std::fs::create_dir(repo.path().join(".circleci")).expect("mkdir");
    assert_ne!(repo.files(), before, "added directory");
    repo.remove(".circleci");
    repo.commit_all();
    assert_eq!(repo.files(), before, "`.git/` is not compared");
}
