//! A small CircleCI for the pipeline simulation test: a directory-backed
//! cache with CircleCI's semantics, cache-key templates and parameter
//! substitution (here), a workflow runner (`workflow`) and a step runner
//! (`steps`) that execute the jobs of a (continued) config — their real
//! `run` steps in `bash` with `/tmp` moved into a per-container sandbox,
//! their `save_cache`/`restore_cache` against the fake cache — and the
//! simulated project (`fixture`). It never decides anything about cigen's
//! hashes: it only runs what the config says.
//!
//! CircleCI semantics it follows (https://circleci.com/docs/caching/):
//! caches are immutable on write (the first save of a key wins, later ones
//! are no-ops); `restore_cache` tries its keys in order, each matching
//! saved keys by prefix, and restores the most recently saved match of the
//! first key that matches anything. `{{ checksum "FILE" }}` is "a base64
//! encoded SHA256 hash of the given filename's contents"
//! (https://circleci.com/docs/reference/configuration-reference/#save_cache).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use serde_yaml::{Mapping, Value};
use sha2::{Digest, Sha256};

pub mod fixture;
pub mod steps;
pub mod workflow;

/// The fake cache: one directory per saved key, numbered in save order.
pub struct FakeCache {
    dir: PathBuf,
    saved: u64,
}

impl FakeCache {
    pub fn new(dir: PathBuf) -> FakeCache {
        std::fs::create_dir_all(&dir).expect("cache dir");
        FakeCache { dir, saved: 0 }
    }

    /// `save_cache`: stores `paths` (as `/tmp/…` names, read under `tmp`)
    /// under `key` unless the key exists already. True when stored.
    pub fn save(&mut self, key: &str, paths: &[String], tmp: &Path) -> bool {
        if self.entries().iter().any(|(_, saved)| saved == key) {
            return false;
        }
        self.saved += 1;
        let entry = self.dir.join(format!("{:06}", self.saved));
        std::fs::create_dir_all(entry.join("tree")).expect("entry");
        std::fs::write(entry.join("key"), key).expect("key");
        for path in paths {
            let from = local(tmp, path);
            if from.exists() {
                copy_tree(
                    &from,
                    &entry.join("tree").join(path.trim_start_matches('/')),
                );
            }
        }
        true
    }

    /// `restore_cache`: the first of `keys` that prefixes any saved key
    /// restores the most recent such entry under `tmp`. Returns its key.
    pub fn restore(&self, keys: &[String], tmp: &Path) -> Option<String> {
        let entries = self.entries();
        for key in keys {
            if let Some((entry, saved)) = entries
                .iter()
                .filter(|(_, saved)| saved.starts_with(key.as_str()))
                .max_by_key(|(entry, _)| entry.clone())
            {
                let tree = entry.join("tree");
                for top in read_dir(&tree) {
                    let name = top
                        .file_name()
                        .expect("name")
                        .to_string_lossy()
                        .into_owned();
                    let target = local(tmp, &format!("/{name}"));
                    copy_tree(&top, &target);
                }
                return Some(saved.clone());
            }
        }
        None
    }

    /// How many keys are stored.
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    /// `(entry dir, key)`, oldest first.
    fn entries(&self) -> Vec<(PathBuf, String)> {
        let mut entries: Vec<(PathBuf, String)> = read_dir(&self.dir)
            .into_iter()
            .map(|entry| {
                let key = std::fs::read_to_string(entry.join("key")).expect("key");
                (entry, key)
            })
            .collect();
        entries.sort();
        entries
    }
}

/// A `/tmp/…` path of the config, under the sandbox's `tmp` root; any
/// other absolute path is outside what the simulation can run.
pub fn local(tmp: &Path, path: &str) -> PathBuf {
    let rest = path
        .strip_prefix("/tmp/")
        .or_else(|| (path == "/tmp").then_some(""))
        .unwrap_or_else(|| panic!("path {path} is not under /tmp: the simulation cannot run it"));
    tmp.join(rest)
}

/// Moves every `/tmp/` of a command or value into the sandbox.
pub fn sandboxed(text: &str, tmp: &Path) -> String {
    text.replace("/tmp/", &format!("{}/", tmp.display()))
}

/// Renders a cache key template: `{{ checksum "F" }}` and `{{ .Branch }}`.
pub fn render_key(template: &str, tmp: &Path, branch: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("closed template") + start;
        let inner = rest[start + 2..end].trim();
        if let Some(file) = inner.strip_prefix("checksum ") {
            let file = file.trim().trim_matches('"');
            let bytes = std::fs::read(local(tmp, file))
                .unwrap_or_else(|err| panic!("checksum of {file}: {err}"));
            out.push_str(&base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes)));
        } else if inner == ".Branch" {
            out.push_str(branch);
        } else {
            panic!("cache key template `{{{{ {inner} }}}}` is not simulated");
        }
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Substitutes `<< pipeline.parameters.P >>`, `<< pipeline.git.branch >>`
/// and `<< parameters.X >>` (from `job_params`) in `text`.
pub fn substitute(text: &str, pipeline: &Pipeline, job_params: &Mapping) -> String {
    let pattern = regex::Regex::new(r"<<\s*([^<>]+?)\s*>>").expect("regex");
    pattern
        .replace_all(text, |caps: &regex::Captures| {
            let name = &caps[1];
            if let Some(parameter) = name.strip_prefix("pipeline.parameters.") {
                return pipeline
                    .parameters
                    .get(parameter)
                    .cloned()
                    .unwrap_or_else(|| panic!("pipeline parameter {parameter} has no value"));
            }
            if name == "pipeline.git.branch" {
                return pipeline.branch.clone();
            }
            if let Some(parameter) = name.strip_prefix("parameters.") {
                return scalar(
                    job_params
                        .get(parameter)
                        .unwrap_or_else(|| panic!("job parameter {parameter} has no value")),
                );
            }
            panic!("`<< {name} >>` is not simulated")
        })
        .into_owned()
}

/// What one pipeline has: its parameter values (defaults filled in), its
/// branch, and where cigen's binary is.
pub struct Pipeline {
    pub parameters: BTreeMap<String, String>,
    pub branch: String,
    pub bin_dir: PathBuf,
}

impl Pipeline {
    /// A clean environment for a step: PATH with cigen first, HOME.
    pub fn command(&self, home: &Path) -> Command {
        let mut command = Command::new("bash");
        command.env_clear();
        let path = std::env::var("PATH").unwrap_or_default();
        command.env("PATH", format!("{}:{path}", self.bin_dir.display()));
        command.env("HOME", home);
        command.env("CIRCLECI", "true");
        command.env("CIRCLE_BRANCH", &self.branch);
        command
    }
}

/// A scalar YAML value as text, as CircleCI substitutes it.
pub fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// File names (relative) under a directory, sorted; empty when absent.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = read_dir(dir)
        .into_iter()
        .filter(|path| path.is_file())
        .map(|path| {
            path.file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

pub(crate) fn read_dir(dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|entry| entry.expect("entry").path()).collect(),
        Err(_) => vec![],
    }
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).expect("mkdir");
        for entry in read_dir(from) {
            copy_tree(&entry, &to.join(entry.file_name().expect("name")));
        }
    } else {
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(from, to).expect("copy");
    }
}
