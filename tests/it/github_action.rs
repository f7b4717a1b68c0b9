//! `action.yml` (cigen as a GitHub Action): it passes the GitHub Actions
//! metadata schema, every `run` is bash, shellcheck-clean and takes
//! expressions only through `env`, and its steps, run for real as the
//! runner runs a composite action (`bash --noprofile --norc -eo pipefail`,
//! `RUNNER_ARCH`, `RUNNER_TEMP`, `GITHUB_PATH`, `GITHUB_ACTION_PATH`),
//! install the release for the runner's arch from a fake release server on
//! 127.0.0.1 (`tests/release_server.py`, assets packed by
//! `scripts/package-release.sh`): checksum verified, a bad checksum
//! refused, the install directory added to `$GITHUB_PATH`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_yaml::Value;

use crate::common::{optional_mapping, stderr, stdout};

/// Releases on the fake server; `0.9.9` has a wrong checksum.
const REF_VERSION: &str = "0.7.0";
const INPUT_VERSION: &str = "0.8.0";
const CORRUPT_VERSION: &str = "0.9.9";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn action() -> Value {
    let text = std::fs::read_to_string(root().join("action.yml")).expect("action.yml");
    serde_yaml::from_str(&text).expect("action.yml parses")
}

fn steps() -> Vec<Value> {
    action()["runs"]["steps"]
        .as_sequence()
        .expect("runs.steps")
        .clone()
}

#[test]
fn action_yml_passes_the_github_actions_schema() {
    let output = Command::new("check-jsonschema")
        .args(["--builtin-schema", "vendor.github-actions"])
        .arg(root().join("action.yml"))
        .output()
        .expect("check-jsonschema runs (the test command installs it)");
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert_eq!(action()["runs"]["using"], "composite");
    assert_eq!(action()["inputs"]["version"]["required"], false);
}

#[test]
fn every_run_is_bash_shellcheck_clean_and_takes_expressions_through_env() {
    let dir = tempfile::tempdir().expect("dir");
    for (at, step) in steps().iter().enumerate() {
        let Some(script) = step["run"].as_str() else {
            continue;
        };
        assert_eq!(step["shell"], "bash", "step {at}");
        assert!(!script.contains("${{"), "step {at} splices an expression");
        let file = dir.path().join(format!("step{at}.sh"));
        std::fs::write(&file, script).expect("write");
        let output = Command::new("shellcheck")
            .args(["-s", "bash"])
            .arg(&file)
            .output()
            .expect("shellcheck runs (the test command installs it)");
        assert!(output.status.success(), "step {at}: {}", stdout(&output));
    }
}

/// A fake release server with releases of the crate's version, the ref's,
/// the input's, and a corrupt one, each for amd64 and arm64.
struct Releases {
    server: Child,
    base: String,
    dir: tempfile::TempDir,
}

impl Releases {
    fn start() -> Releases {
        let dir = tempfile::tempdir().expect("dir");
        let releases = dir.path().join("releases");
        for version in [
            env!("CARGO_PKG_VERSION"),
            REF_VERSION,
            INPUT_VERSION,
            CORRUPT_VERSION,
        ] {
            for arch in ["amd64", "arm64"] {
                package(dir.path(), &releases, version, arch);
            }
        }
        let port_file = dir.path().join("port");
        let server = Command::new("python3")
            .arg(root().join("tests/release_server.py"))
            .arg(dir.path())
            .arg(&port_file)
            .args(["v0.0.0", "60"])
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs");
        let started = Instant::now();
        let port = loop {
            if let Ok(port) = std::fs::read_to_string(&port_file) {
                break port;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no release server"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Releases {
            server,
            base: format!("http://127.0.0.1:{}/releases", port.trim()),
            dir,
        }
    }

    /// The sha256 of a release's archive as served (`sha256sum`), whatever
    /// its `.sha256` file says.
    fn sum(&self, version: &str, arch: &str) -> String {
        let asset = self.dir.path().join(format!(
            "releases/download/v{version}/cigen_{version}_linux_{arch}.tar.gz"
        ));
        let output = Command::new("sha256sum")
            .arg(&asset)
            .output()
            .expect("sha256sum runs");
        assert!(output.status.success(), "{}", stderr(&output));
        let text = stdout(&output);
        let (sum, _) = text.split_once(' ').expect("sha256sum prints SUM  FILE");
        sum.to_string()
    }
}

impl Drop for Releases {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// Packs a fake `cigen` that prints `cigen VERSION` and, with `--arch`, its arch.
fn package(work: &Path, releases: &Path, version: &str, arch: &str) {
    let stage = work.join(format!("stage-{version}-{arch}"));
    std::fs::create_dir_all(&stage).expect("mkdir");
    let binary = stage.join("cigen");
    std::fs::write(
        &binary,
        format!("#!/bin/sh\nif [ \"$1\" = --arch ]; then echo {arch}; else echo \"cigen {version}\"; fi\n"),
    )
    .expect("write");
    let out = releases.join(format!("download/v{version}"));
    let output = Command::new("bash")
        .arg(root().join("scripts/package-release.sh"))
        .args([path_str(&binary), version, arch, path_str(&out)])
        .output()
        .expect("bash runs");
    assert!(output.status.success(), "{}", stderr(&output));
    if version == CORRUPT_VERSION {
        let asset = format!("cigen_{version}_linux_{arch}.tar.gz");
        std::fs::write(
            out.join(format!("{asset}.sha256")),
            format!("{}  {asset}\n", "0".repeat(64)),
        )
        .expect("write");
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// One job's runner: its temp directory and `$GITHUB_PATH` file.
struct Runner {
    temp: tempfile::TempDir,
}

impl Runner {
    fn new() -> Runner {
        Runner {
            temp: tempfile::tempdir().expect("runner temp"),
        }
    }

    fn github_path(&self) -> PathBuf {
        self.temp.path().join("github_path")
    }

    fn installed(&self) -> PathBuf {
        self.temp.path().join("cigen/cigen")
    }

    /// Runs the action's steps as the runner would for `uses:
    /// DocSpring/cigen@<action_ref>` with `with: {version: <input>}`.
    fn run_action(
        &self,
        releases: &Releases,
        runner_arch: &str,
        input: &str,
        action_ref: &str,
    ) -> Output {
        let mut last = None;
        for step in steps() {
            let script = step["run"].as_str().expect("a run step");
            let mut command = Command::new("bash");
            command
                .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("RUNNER_ARCH", runner_arch)
                .env("RUNNER_TEMP", self.temp.path())
                .env("GITHUB_PATH", self.github_path())
                .env("GITHUB_ACTION_PATH", root())
                .env("CIGEN_DOWNLOAD_BASE", &releases.base);
            for (name, value) in optional_mapping(&step, "env", "an action step") {
                let value = expand(value.as_str().expect("string env"), input, action_ref);
                command.env(name.as_str().expect("name"), value);
            }
            let output = command.output().expect("bash runs");
            if !output.status.success() {
                return output;
            }
            last = Some(output);
        }
        last.expect("the action has steps")
    }

    fn version_and_arch(&self) -> (String, String) {
        let run = |arg: &str| {
            let output = Command::new(self.installed())
                .arg(arg)
                .output()
                .expect("installed");
            stdout(&output).trim().to_string()
        };
        (run("--version"), run("--arch"))
    }
}

/// The expressions the action's `env` may use, evaluated as the runner would.
fn expand(value: &str, input: &str, action_ref: &str) -> String {
    let expanded = value
        .replace("${{ inputs.version }}", input)
        .replace("${{ github.action_ref }}", action_ref);
    assert!(
        !expanded.contains("${{"),
        "an expression the test does not know: {value}"
    );
    expanded
}

#[test]
fn installs_the_version_of_the_ref_for_an_x64_runner_and_adds_it_to_github_path() {
    let releases = Releases::start();
    let runner = Runner::new();
    let output = runner.run_action(&releases, "X64", "", &format!("v{REF_VERSION}"));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        (stdout(&output), stderr(&output)),
        (
            format!(
                "cigen install: installed cigen {REF_VERSION} (linux/amd64, sha256 {}) to {}\ncigen {REF_VERSION}\n",
                releases.sum(REF_VERSION, "amd64"),
                runner.installed().display()
            ),
            String::new()
        )
    );
    assert_eq!(
        runner.version_and_arch(),
        (format!("cigen {REF_VERSION}"), "amd64".into())
    );
    assert_eq!(
        std::fs::read_to_string(runner.github_path()).expect("GITHUB_PATH"),
        format!("{}\n", runner.temp.path().join("cigen").display())
    );
}

#[test]
fn the_version_input_wins_and_an_arm64_runner_gets_the_arm64_release() {
    let releases = Releases::start();
    let runner = Runner::new();
    let output = runner.run_action(&releases, "ARM64", INPUT_VERSION, "v0.7.0");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        runner.version_and_arch(),
        (format!("cigen {INPUT_VERSION}"), "arm64".into())
    );
}

/// `github.action_ref` can be empty in a composite action; a branch names
/// no release. Either way the action's own Cargo.toml says the version.
#[test]
fn without_a_version_ref_the_actions_own_version_is_installed() {
    let releases = Releases::start();
    for action_ref in ["", "main"] {
        let runner = Runner::new();
        let output = runner.run_action(&releases, "X64", "", action_ref);
        assert!(output.status.success(), "{}", stderr(&output));
        assert_eq!(
            runner.version_and_arch().0,
            format!("cigen {}", env!("CARGO_PKG_VERSION")),
            "ref `{action_ref}`"
        );
    }
}

#[test]
fn a_bad_checksum_installs_nothing_and_adds_nothing_to_the_path() {
    let releases = Releases::start();
    let runner = Runner::new();
    let output = runner.run_action(&releases, "X64", CORRUPT_VERSION, "");
    assert!(!output.status.success());
    assert_eq!(
        (stdout(&output), stderr(&output)),
        (
            String::new(),
            format!(
                "cigen install: error: checksum mismatch for cigen_{CORRUPT_VERSION}_linux_amd64.tar.gz: expected {}, got {}; nothing installed\n",
                "0".repeat(64),
                releases.sum(CORRUPT_VERSION, "amd64")
            )
        )
    );
    assert!(!runner.installed().exists());
    assert!(!runner.github_path().exists());
}

#[test]
fn a_runner_arch_without_a_release_is_a_clear_error() {
    let releases = Releases::start();
    let runner = Runner::new();
    let output = runner.run_action(&releases, "X86", "", "v0.7.0");
    assert!(!output.status.success());
    assert_eq!(
        stdout(&output),
        "::error title=cigen::no cigen release for runner arch 'X86': releases exist for X64 (amd64) and ARM64 (arm64)\n"
    );
    assert!(!runner.github_path().exists());
}
