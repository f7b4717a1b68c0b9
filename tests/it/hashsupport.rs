//! Test harness: temp git repositories driven by the real `git` CLI, and an
//! independent implementation of the documented hash format fed with what
//! git itself reports, so a test compares cigen's hash with "what the hash
//! must be according to git and mod.rs", never with cigen's own output.

use std::path::{Path, PathBuf};
use std::process::Command;

use cigen::hash::{self, HashError, HashInput, HashOptions, HashReport};
use sha2::{Digest, Sha256};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A git work tree in a temp directory.
pub struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    /// `git init` with a fixed identity, no global config influence.
    pub fn new() -> Repo {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = Repo { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "test"]);
        repo.git(&["config", "user.email", "test@example.com"]);
        repo.git(&["config", "core.autocrlf", "false"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, content: &str) -> &Repo {
        let path = self.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, content).expect("write");
        self
    }

    pub fn chmod(&self, rel: &str, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(self.join(rel), std::fs::Permissions::from_mode(mode))
            .expect("chmod");
    }

    pub fn symlink(&self, target: &str, rel: &str) {
        std::os::unix::fs::symlink(target, self.join(rel)).expect("symlink");
    }

    /// Runs git in the work tree; panics with its stderr on failure.
    pub fn git(&self, args: &[&str]) -> String {
        run_git(self.path(), args, &[])
    }

    /// Stages and commits everything. Waits a moment first so no entry is
    /// racy (same timestamp as the index write) by accident.
    pub fn commit_all(&self) {
        std::thread::sleep(std::time::Duration::from_millis(30));
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", "commit", "--allow-empty"]);
    }

    /// `(path, mode, id)` for every entry of the real index, stage 0.
    pub fn index_entries(&self) -> Vec<GitFile> {
        parse_ls_files(&self.git(&["ls-files", "-s", "-z"]))
    }

    /// What git would record for every tracked and untracked, not-ignored
    /// file if `git add -A` ran now — computed in a throwaway index, so
    /// the real one is untouched.
    pub fn as_git_sees_it(&self) -> Vec<GitFile> {
        let scratch = tempfile::tempdir().expect("temp dir");
        let index = scratch.path().join("index");
        let real = self.join(".git/index");
        if real.exists() {
            std::fs::copy(real, &index).expect("copy index");
        }
        let env = [("GIT_INDEX_FILE", index.as_os_str())];
        run_git(self.path(), &["add", "-A"], &env);
        parse_ls_files(&run_git(self.path(), &["ls-files", "-s", "-z"], &env))
    }
}

pub fn run_git(dir: &Path, args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> String {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .args(["-c", "protocol.file.allow=always"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE");
    for (key, value) in env {
        cmd.env(key, value);
    }
    let out = cmd.output().expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One file as git reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitFile {
    pub path: String,
    pub mode: u32,
    pub id: String,
}

fn parse_ls_files(out: &str) -> Vec<GitFile> {
    out.split('\0')
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (meta, path) = line.split_once('\t').expect("tab in ls-files line");
            let mut fields = meta.split(' ');
            let mode = u32::from_str_radix(fields.next().expect("mode"), 8).expect("octal mode");
            let id = fields.next().expect("id").to_string();
            GitFile {
                path: path.to_string(),
                mode,
                id,
            }
        })
        .collect()
}

/// `git hash-object` of a file's bytes, without filters.
pub fn hash_object(repo: &Repo, rel: &str) -> String {
    repo.git(&["hash-object", "--no-filters", rel])
        .trim()
        .to_string()
}

pub fn input(id: &str, arch: &str, patterns: &[&str], upstream: &[&str]) -> HashInput {
    HashInput {
        variant_id: id.to_string(),
        arch: arch.to_string(),
        canonical_job: format!("{{\"job\":\"{id}\"}}").into_bytes(),
        patterns: patterns.iter().map(|p| p.to_string()).collect(),
        upstream: upstream.iter().map(|u| u.to_string()).collect(),
        walked: Vec::new(),
        values: Vec::new(),
    }
}

pub fn compute(root: &Path, inputs: &[HashInput]) -> Result<HashReport, HashError> {
    hash::compute(root, inputs, &HashOptions::default())
}

/// The hash of `input` per the format in `src/hash/mod.rs`, from files
/// git reports (already filtered to what the patterns match).
pub fn expected(
    input: &HashInput,
    files: &[GitFile],
    upstream: &[(&str, &str)],
    salt: Option<&str>,
) -> String {
    let mut files = files.to_vec();
    files.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    let mut list = Sha256::new();
    field(&mut list, b'V', b"cigen-files/1");
    for file in &files {
        list.update([b'f']);
        list.update((file.path.len() as u32).to_be_bytes());
        list.update(file.path.as_bytes());
        list.update(file.mode.to_be_bytes());
        list.update(unhex(&file.id));
    }
    field(&mut list, b'N', &(files.len() as u64).to_be_bytes());
    let files_digest: [u8; 32] = list.finalize().into();

    let mut h = Sha256::new();
    field(&mut h, b'V', b"cigen-job-hash/2");
    field(&mut h, b'I', input.variant_id.as_bytes());
    field(&mut h, b'A', input.arch.as_bytes());
    field(&mut h, b'J', &input.canonical_job);
    field(&mut h, b'F', &files_digest);
    let mut upstream = upstream.to_vec();
    upstream.sort();
    for (id, hash) in upstream {
        let mut value = (id.len() as u64).to_be_bytes().to_vec();
        value.extend_from_slice(id.as_bytes());
        value.extend_from_slice(&unhex(hash));
        field(&mut h, b'U', &value);
    }
    let mut walked = input.walked.clone();
    walked.sort();
    for (id, job) in walked {
        let mut bytes = (id.len() as u64).to_be_bytes().to_vec();
        bytes.extend_from_slice(id.as_bytes());
        bytes.extend_from_slice(&job);
        field(&mut h, b'W', &bytes);
    }
    let mut values = input.values.clone();
    values.sort();
    for (name, value) in values {
        let mut bytes = (name.len() as u64).to_be_bytes().to_vec();
        bytes.extend_from_slice(name.as_bytes());
        bytes.extend_from_slice(value.as_bytes());
        field(&mut h, b'P', &bytes);
    }
    if let Some(salt) = salt {
        field(&mut h, b'S', salt.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn field(h: &mut Sha256, tag: u8, bytes: &[u8]) {
    h.update([tag]);
    h.update((bytes.len() as u64).to_be_bytes());
    h.update(bytes);
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Files whose path satisfies `keep`.
pub fn only(files: &[GitFile], keep: impl Fn(&str) -> bool) -> Vec<GitFile> {
    files.iter().filter(|f| keep(&f.path)).cloned().collect()
}
