//! One configuration file as read from disk: its display path and text, and
//! the YAML-aware line lookup that lets later stages point errors at the
//! line of a key. It reads files; it does not interpret them.

use std::path::{Path, PathBuf};

use crate::error::{ConfigError, Error, Result};

/// Larger inputs are refused before parsing: no real `.cigen/` file is close.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, Clone)]
pub(crate) struct Source {
    /// Path as shown to the user (relative to the working directory when possible).
    pub path: PathBuf,
    pub text: String,
}

impl Source {
    pub(crate) fn read(path: &Path, shown: PathBuf) -> Result<Source> {
        let meta = std::fs::metadata(path).map_err(|err| Error::io(&shown, err))?;
        if meta.len() > MAX_FILE_BYTES {
            return Err(ConfigError::new(&shown, "(file)", "file is larger than 4 MiB").into());
        }
        let bytes = std::fs::read(path).map_err(|err| Error::io(&shown, err))?;
        let text = String::from_utf8(bytes).map_err(|err| {
            let offset = err.utf8_error().valid_up_to();
            let line = err.as_bytes()[..offset]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            ConfigError::new(&shown, "(file)", "file is not valid UTF-8").line(Some(line))
        })?;
        Ok(Source { path: shown, text })
    }

    pub(crate) fn inline(path: PathBuf, text: String) -> Source {
        Source { path, text }
    }

    /// Line (1-based) of the value `needle` under the key path `keys`, or of
    /// the last key found. A best-effort scan by indentation: good enough to
    /// point at the right line in hand-written YAML, never an error itself.
    pub(crate) fn line_of(&self, keys: &[&str], needle: Option<&str>) -> Option<usize> {
        let lines: Vec<&str> = self.text.lines().collect();
        let mut start = 0;
        let mut indent: isize = -1;
        let mut found = None;
        for key in keys {
            match find_key(&lines, start, indent, key) {
                Some((index, key_indent)) => {
                    found = Some(index);
                    start = index + 1;
                    indent = key_indent as isize;
                }
                // A flow mapping (`trigger: {parameter: x}`) holds the key on its parent's line.
                None => {
                    let parent = found?;
                    if !lines[parent].contains(&format!("{key}:")) {
                        return None;
                    }
                    break;
                }
            }
        }
        if let Some(needle) = needle {
            let from = found.unwrap_or(0);
            for (index, line) in lines.iter().enumerate().skip(from) {
                if index > from && indentation(line) as isize <= indent && !line.trim().is_empty() {
                    break;
                }
                if contains_token(line, needle) {
                    return Some(index + 1);
                }
            }
        }
        found.map(|index| index + 1)
    }
}

impl Source {
    /// Line (1-based) of the first occurrence of `needle` as plain text in
    /// the block under the key path `keys` (the whole file when `keys` is
    /// empty): the line of the key and the lines indented deeper than it.
    pub(crate) fn line_containing(&self, keys: &[&str], needle: &str) -> Option<usize> {
        if keys.is_empty() {
            return self.line_in_block(None, needle);
        }
        self.line_in_block(Some(self.line_of(keys, None)?), needle)
    }

    /// As `line_containing`, for the block whose key is on line `start`
    /// (1-based; `None`: the whole file).
    pub(crate) fn line_in_block(&self, start: Option<usize>, needle: &str) -> Option<usize> {
        let lines: Vec<&str> = self.text.lines().collect();
        let (from, indent) = match start {
            None => (0, None),
            Some(line) => {
                let at = line.checked_sub(1)?;
                (at, Some(indentation(lines.get(at)?)))
            }
        };
        for (index, line) in lines.iter().enumerate().skip(from) {
            let outside = indent.is_some_and(|indent| indentation(line) <= indent);
            if index > from && outside && !line.trim().is_empty() {
                return None;
            }
            if line.contains(needle) {
                return Some(index + 1);
            }
        }
        None
    }
}

fn find_key(lines: &[&str], start: usize, parent: isize, key: &str) -> Option<(usize, usize)> {
    for (index, line) in lines.iter().enumerate().skip(start) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = indentation(line);
        if index > start && indent as isize <= parent && parent >= 0 {
            return None;
        }
        let body = trimmed.trim_start_matches("- ");
        let body = body.trim_start_matches(['"', '\'']);
        if let Some(rest) = body.strip_prefix(key) {
            let rest = rest.trim_start_matches(['"', '\'']);
            if rest.trim_start().starts_with(':') {
                return Some((index, indent + (trimmed.len() - body.len())));
            }
        }
    }
    None
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn contains_token(line: &str, needle: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '-' || c == '@';
    line.match_indices(needle).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + needle.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> Source {
        Source::inline(PathBuf::from("x.yml"), text.to_string())
    }

    #[test]
    fn finds_nested_keys_and_values() {
        let s = source("image: a\nrequires:\n  - test\n  - build\nsteps:\n  - run: x\n");
        assert_eq!(s.line_of(&["requires"], Some("build")), Some(4));
        assert_eq!(s.line_of(&["requires"], Some("test")), Some(3));
        assert_eq!(s.line_of(&["steps"], None), Some(5));
        assert_eq!(s.line_of(&["nope"], None), None);
    }

    #[test]
    fn value_must_be_a_whole_word() {
        let s = source("requires: [test_rspec, test]\n");
        assert_eq!(s.line_of(&["requires"], Some("test")), Some(1));
        let s = source("requires:\n  - test_rspec\n  - test\n");
        assert_eq!(s.line_of(&["requires"], Some("test")), Some(3));
    }

    #[test]
    fn text_is_found_inside_its_block_only() {
        let s = source(
            "jobs:\n  a:\n    run: echo $X\n  b:\n    run: |\n      echo $Y\n\n      echo $X\n",
        );
        assert_eq!(s.line_containing(&[], "$X"), Some(3));
        assert_eq!(s.line_containing(&["jobs", "b"], "$X"), Some(8));
        assert_eq!(s.line_containing(&["jobs", "a"], "$Y"), None);
        assert_eq!(s.line_containing(&["jobs", "c"], "$X"), None);
    }

    #[test]
    fn nested_paths_stay_inside_their_parent() {
        let s = source(
            "workflows:\n  main:\n    jobs:\n      a:\n        image: x\n  other:\n    jobs:\n      b:\n        image: y\n",
        );
        assert_eq!(
            s.line_of(&["workflows", "other", "jobs", "b", "image"], None),
            Some(9)
        );
        assert_eq!(s.line_of(&["workflows", "main", "jobs", "b"], None), None);
        let s = source("image: x\ntrigger: {parameter: nightly}\n");
        assert_eq!(s.line_of(&["trigger", "parameter"], None), Some(2));
    }
}
