//! `cigen setup|continue --provider github` end to end through the real
//! binary, against the stand-in of GitHub's cache listing on 127.0.0.1:
//! which markers are believed (this run's ref, the pull request's base,
//! the default branch — never another pull request's, so a fork cannot
//! plant one), the workspace-producer rule, pages followed, retries,
//! `CIGEN_SKIP_CACHE`, the exact `$GITHUB_OUTPUT`, and the token in no
//! output and no file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::*;
use crate::support::fake_circleci::Reply;
use crate::support::fake_github::{Cache, FakeGitHub, Repository};

const TOKEN: &str = "ghs_s3cret-token-0123456789abcdef";

/// The project line that makes github a provider.
const PROVIDERS: &str = "providers: [circleci, github]\n";

/// build (hashed) persists a workspace that test (hashed) attaches; lint
/// is hashed and stands alone; docs is not hashed.
fn project() -> Repo {
    let repo = Repo::new()
        .file(".cigen/config.yml", PROVIDERS)
        .file(
            ".cigen/workflows/main/jobs/build.yml",
            "image: x\nsource_files: [src/**]\nsteps:\n  - run: make\n  - persist_to_workspace: {root: ., paths: [out]}\n",
        )
        .file(
            ".cigen/workflows/main/jobs/test.yml",
            "image: x\nrequires: [build]\nsource_files: [test/**]\nsteps:\n  - attach_workspace: {at: .}\n  - run: make test\n",
        )
        .file(
            ".cigen/workflows/main/jobs/lint.yml",
            "image: x\nsource_files: [src/**]\nsteps: [{run: make lint}]\n",
        )
        .file(
            ".cigen/workflows/main/jobs/docs.yml",
            "image: x\nsteps: [{run: make docs}]\n",
        )
        .file("src/main.c", "int main() {}\n")
        .file("test/t.sh", "true\n");
    repo.commit_all();
    repo
}

/// A set-up GitHub run of `project()`: its runtime directory, its
/// `$GITHUB_OUTPUT` and its event payload.
struct Run {
    repo: Repo,
    rt: tempfile::TempDir,
    hashes: serde_json::Map<String, serde_json::Value>,
}

/// A report row of a job whose marker on `git_ref` was believed.
fn skipped_on(git_ref: &str) -> (&'static str, String) {
    (
        "skip",
        format!("inputs already passed (marker on {git_ref})"),
    )
}

/// A report row of a job that runs, and why.
fn runs(why: &str) -> (&'static str, String) {
    ("run", why.to_string())
}

/// The listing of `octo/repo`'s caches, served to `TOKEN`.
fn repository(caches: Vec<Cache>) -> Repository {
    Repository::new("octo/repo", TOKEN, caches)
}

/// The stand-in of GitHub serving `repository(caches)`.
fn github(caches: Vec<Cache>) -> FakeGitHub {
    FakeGitHub::start(repository(caches))
}

const NO_RECORD: &str = "no record of these inputs passing on a ref this run may read";
const SKIP_CACHE: &str = "cigen_skip_cache is set";

impl Run {
    fn new() -> Run {
        let repo = project();
        let rt = tempfile::tempdir().expect("rt");
        let run = Run {
            repo,
            rt,
            hashes: serde_json::Map::new(),
        };
        let output = run.cigen(&["setup", "--provider", "github"], &[]);
        assert!(output.status.success(), "setup: {}", stderr(&output));
        let output = run.cigen(&["hash", "--provider", "github", "--json"], &[]);
        assert!(output.status.success(), "hash: {}", stderr(&output));
        Run {
            hashes: serde_json::from_slice(&output.stdout).expect("json"),
            ..run
        }
    }

    fn hash(&self, variant: &str) -> &str {
        self.hashes[variant].as_str().expect("hash")
    }

    fn marker(&self, variant: &str, git_ref: &str) -> Cache {
        Cache::new(
            format!("cigen-job-{variant}-{}", self.hash(variant)),
            git_ref,
        )
    }

    fn output_file(&self) -> PathBuf {
        self.rt.path().join("github_output")
    }

    fn event_file(&self) -> PathBuf {
        self.rt.path().join("event.json")
    }

    /// `cigen ARGS` with only the GitHub variables given in `env`.
    fn cigen(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = self.repo.cigen();
        command.args(args);
        clean_env(&mut command);
        command
            .env("CIGEN_TMP", self.rt.path())
            .env("CIGEN_API_BACKOFF_MS", "10");
        for (key, value) in env {
            command.env(key, value);
        }
        command.output().expect("runs")
    }

    /// `cigen continue --provider github` as GitHub runs it for `git_ref`
    /// (a pull request when `base` is given), the default branch `main`.
    fn continue_on(&self, server: &FakeGitHub, git_ref: &str, base: Option<&str>) -> Output {
        std::fs::write(
            self.event_file(),
            r#"{"repository": {"full_name": "octo/repo", "default_branch": "main"}}"#,
        )
        .expect("event");
        self.continue_reading(server, git_ref, base, &self.event_file())
    }

    /// `continue_on` with `event` as the event payload's path.
    fn continue_reading(
        &self,
        server: &FakeGitHub,
        git_ref: &str,
        base: Option<&str>,
        event: &Path,
    ) -> Output {
        let output = self.output_file();
        let mut env = vec![
            ("GITHUB_API_URL", server.url()),
            ("GITHUB_TOKEN", TOKEN),
            ("GITHUB_REPOSITORY", "octo/repo"),
            ("GITHUB_REF", git_ref),
            ("GITHUB_EVENT_PATH", path_str(event)),
            ("GITHUB_OUTPUT", path_str(&output)),
        ];
        if let Some(base) = base {
            env.push(("GITHUB_BASE_REF", base));
        }
        self.cigen(&["continue", "--provider", "github"], &env)
    }

    /// The `$GITHUB_OUTPUT` a decision writes: `run_`/`hash_` per hashed variant.
    /// `cigen continue --provider github` on `git_ref` (a pull request's
    /// `base`) against a listing of `caches`, which must succeed.
    fn decide(&self, caches: Vec<Cache>, git_ref: &str, base: Option<&str>) -> Output {
        let server = github(caches);
        let output = self.continue_on(&server, git_ref, base);
        server.finish();
        assert_ok(&output);
        output
    }

    fn expected_outputs(&self, skipped: &[&str]) -> String {
        ["build", "lint", "test"]
            .iter()
            .map(|v| {
                let runs = !skipped.contains(v);
                format!("run_{v}={runs}\nhash_{v}={}\n", self.hash(v))
            })
            .collect()
    }

    fn outputs(&self) -> String {
        std::fs::read_to_string(self.output_file()).expect("$GITHUB_OUTPUT was written")
    }

    fn short(&self, variant: &str) -> &str {
        &self.hash(variant)[..12]
    }

    /// The whole report `continue` prints: `head`, the table with the
    /// decision and reason of build, lint and test (docs is not hashed),
    /// then the tally.
    fn report(&self, head: &str, rows: [(&str, String); 3]) -> String {
        let mut text = format!("{head}\nJOB    RUN?  HASH          WHY\n");
        let mut lines: Vec<String> = ["build", "lint", "test"]
            .iter()
            .zip(&rows)
            .map(|(job, (decision, why))| {
                format!("{job:<5}  {decision:<4}  {}  {why}\n", self.short(job))
            })
            .collect();
        lines.insert(
            1,
            "docs   run   -             not hashed (no source_files)\n".into(),
        );
        text.extend(lines);
        let skipped = rows
            .iter()
            .filter(|(decision, _)| *decision == "skip")
            .count();
        text + &format!("{} to run, {skipped} skipped\n", 4 - skipped)
    }

    /// `output` is exactly the report of `head` and `rows`, with nothing on stderr.
    fn assert_reported(&self, output: &Output, head: &str, rows: [(&str, String); 3]) {
        assert_eq!(
            (stdout(output), stderr(output)),
            (self.report(head, rows), String::new())
        );
    }

    /// The report of a run with `CIGEN_SKIP_CACHE` set.
    fn skip_cache_report(&self) -> String {
        self.report(
            "CIGEN_SKIP_CACHE is set: no markers listed, every job runs",
            [runs(SKIP_CACHE), runs(SKIP_CACHE), runs(SKIP_CACHE)],
        )
    }

    /// No file the run left (runtime directory, repository) holds the token.
    fn assert_token_nowhere(&self, output: &Output) {
        assert!(
            !stdout(output).contains(TOKEN) && !stderr(output).contains(TOKEN),
            "the token was printed"
        );
        for dir in [self.rt.path(), self.repo.path()] {
            for file in files_under(dir) {
                let bytes = std::fs::read(&file).expect("read");
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(TOKEN),
                    "the token is in {}",
                    file.display()
                );
            }
        }
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Removes what the test process may have of GitHub's and cigen's variables.
fn clean_env(command: &mut Command) {
    for (key, _) in std::env::vars() {
        if key.starts_with("GITHUB_") || key.starts_with("RUNNER_") {
            command.env_remove(key);
        }
    }
    command.env_remove("CIGEN_SKIP_CACHE");
    clear_pipeline_values(command);
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = vec![];
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn assert_ok(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        stdout(output),
        stderr(output)
    );
}

#[test]
fn a_push_skips_what_passed_on_this_branch_or_the_default_branch_and_writes_the_outputs() {
    let run = Run::new();
    let server = github(vec![
        run.marker("lint", "refs/heads/main"),
        run.marker("build", "refs/heads/feature"),
        run.marker("test", "refs/heads/feature"),
        Cache::new("npm-linux-x64-0123", "refs/heads/feature"),
    ]);
    let output = run.continue_on(&server, "refs/heads/feature", None);
    assert_eq!(server.finish().len(), 1);
    assert_ok(&output);
    assert_eq!(
        run.outputs(),
        run.expected_outputs(&["build", "lint", "test"])
    );
    assert_eq!(
        stdout(&output),
        format!(
            "markers: 3 listed (1 page, 1 request), 3 on refs this run may restore from: refs/heads/feature, refs/heads/main\n\
             JOB    RUN?  HASH          WHY\n\
             build  skip  {}  inputs already passed (marker on refs/heads/feature)\n\
             docs   run   -             not hashed (no source_files)\n\
             lint   skip  {}  inputs already passed (marker on refs/heads/main)\n\
             test   skip  {}  inputs already passed (marker on refs/heads/feature)\n\
             1 to run, 3 skipped\n",
            run.short("build"),
            run.short("lint"),
            run.short("test")
        )
    );
    assert_eq!(stderr(&output), "");
    run.assert_token_nowhere(&output);
}

#[test]
fn a_pull_request_reads_its_own_ref_its_base_and_the_default_branch() {
    let run = Run::new();
    let output = run.decide(
        vec![
            run.marker("build", "refs/pull/7/merge"),
            run.marker("test", "refs/heads/release"),
            run.marker("lint", "refs/heads/main"),
        ],
        "refs/pull/7/merge",
        Some("release"),
    );
    assert_eq!(
        run.outputs(),
        run.expected_outputs(&["build", "lint", "test"])
    );
    run.assert_reported(
        &output,
        "markers: 3 listed (1 page, 1 request), 3 on refs this run may restore from: refs/pull/7/merge, refs/heads/release, refs/heads/main",
        [
            skipped_on("refs/pull/7/merge"),
            skipped_on("refs/heads/main"),
            skipped_on("refs/heads/release"),
        ],
    );
}

/// A false skip if believed: markers under the right keys, saved by runs
/// of refs this run may not restore from (another pull request — a fork's
/// included —, a sibling branch, a tag).
#[test]
fn false_skip_markers_of_refs_this_run_may_not_read_are_ignored() {
    let run = Run::new();
    let output = run.decide(
        vec![
            run.marker("build", "refs/pull/5/merge"),
            run.marker("test", "refs/heads/feature"),
            run.marker("lint", "refs/tags/v1.0.0"),
            run.marker("lint", "main"),
        ],
        "refs/heads/main",
        None,
    );
    assert_eq!(run.outputs(), run.expected_outputs(&[]));
    run.assert_reported(
        &output,
        "markers: 4 listed (1 page, 1 request), 0 on refs this run may restore from: refs/heads/main",
        [runs(NO_RECORD), runs(NO_RECORD), runs(NO_RECORD)],
    );
}

/// A false skip if believed: the pull request's base is only readable by
/// runs of that pull request.
#[test]
fn false_skip_a_base_branch_marker_does_not_count_on_a_push() {
    let run = Run::new();
    run.decide(
        vec![run.marker("lint", "refs/heads/release")],
        "refs/heads/feature",
        None,
    );
    assert_eq!(run.outputs(), run.expected_outputs(&[]));
}

#[test]
fn the_producer_of_a_workspace_a_running_job_attaches_runs() {
    let run = Run::new();
    let output = run.decide(
        vec![run.marker("build", "refs/heads/main")],
        "refs/heads/main",
        None,
    );
    assert_eq!(run.outputs(), run.expected_outputs(&[]));
    run.assert_reported(
        &output,
        "markers: 1 listed (1 page, 1 request), 1 on refs this run may restore from: refs/heads/main",
        [
            runs("un-skipped: workspace producer for test"),
            runs(NO_RECORD),
            runs(NO_RECORD),
        ],
    );
}

#[test]
fn markers_on_later_pages_are_found() {
    let run = Run::new();
    let mut caches: Vec<Cache> = (0..9)
        .map(|i| Cache::new(format!("cigen-job-old-{i:064x}"), "refs/heads/main"))
        .collect();
    caches.push(run.marker("lint", "refs/heads/main"));
    let mut listing = repository(caches);
    listing.page_size = 3;
    let server = FakeGitHub::start(listing);
    let output = run.continue_on(&server, "refs/heads/main", None);
    assert_eq!(server.finish().len(), 4);
    assert_ok(&output);
    assert_eq!(run.outputs(), run.expected_outputs(&["lint"]));
    run.assert_reported(
        &output,
        "markers: 10 listed (4 pages, 4 requests), 10 on refs this run may restore from: refs/heads/main",
        [runs(NO_RECORD), skipped_on("refs/heads/main"), runs(NO_RECORD)],
    );
}

#[test]
fn a_listing_cut_at_the_page_limit_warns_and_skips_only_what_it_read() {
    let run = Run::new();
    let mut caches: Vec<Cache> = (0..50)
        .map(|i| Cache::new(format!("cigen-job-old-{i:064x}"), "refs/heads/main"))
        .collect();
    caches.insert(0, run.marker("build", "refs/heads/main"));
    caches.push(run.marker("lint", "refs/heads/main"));
    let mut listing = repository(caches);
    listing.page_size = 1;
    let server = FakeGitHub::start(listing);
    let output = run.continue_on(&server, "refs/heads/main", None);
    assert_eq!(server.finish().len(), 50, "50 pages at most");
    assert_ok(&output);
    // build's marker was read (but test attaches its workspace); lint's was on page 52.
    assert_eq!(run.outputs(), run.expected_outputs(&[]));
    assert_eq!(
        stderr(&output),
        "warning: the cache listing stopped after 50 pages; markers on later pages were not read, so their jobs run\n"
    );
}

#[test]
fn a_5xx_and_a_429_are_retried_and_noted() {
    let run = Run::new();
    let mut listing = repository(vec![run.marker("lint", "refs/heads/main")]);
    listing.faults = vec![
        Reply::message(500, "boom"),
        Reply::message(429, "slow down").with_header("Retry-After", "1"),
    ];
    let server = FakeGitHub::start(listing);
    let output = run.continue_on(&server, "refs/heads/main", None);
    assert_eq!(server.finish().len(), 3);
    assert_ok(&output);
    assert_eq!(run.outputs(), run.expected_outputs(&["lint"]));
    // The backoff is 10 ms here (CIGEN_API_BACKOFF_MS), Retry-After capped at 30× that.
    assert_eq!(
        stderr(&output),
        "attempt 1/5 (GET /repos/octo/repo/actions/caches): 500 Internal Server Error: boom, retrying in 10ms\n\
         attempt 2/5 (GET /repos/octo/repo/actions/caches): 429 Too Many Requests: slow down (retry-after 1s), retrying in 300ms\n"
    );
    run.assert_token_nowhere(&output);
}

#[test]
fn a_refused_token_fails_the_step_without_printing_the_token() {
    let run = Run::new();
    let server = FakeGitHub::start(Repository::new("octo/repo", "the-right-token-42", vec![]));
    let output = run.continue_on(&server, "refs/heads/main", None);
    server.finish();
    assert_failed(
        &output,
        1,
        "error: listing the job markers failed: GET /repos/octo/repo/actions/caches was rejected with status 401 after 1 attempt: Bad credentials\nhint: GITHUB_TOKEN was not accepted: pass the job's token to the step (`env: GITHUB_TOKEN: ${{ github.token }}`)\n",
    );
    assert!(!run.output_file().exists(), "no output on failure");
    run.assert_token_nowhere(&output);
}

#[test]
fn a_token_without_actions_read_fails_naming_the_permission() {
    let run = Run::new();
    let mut listing = repository(vec![]);
    listing.forbidden = true;
    let server = FakeGitHub::start(listing);
    let output = run.continue_on(&server, "refs/heads/main", None);
    server.finish();
    assert_failed(
        &output,
        1,
        "error: listing the job markers failed: GET /repos/octo/repo/actions/caches was rejected with status 403 after 1 attempt: Resource not accessible by integration\nhint: GITHUB_TOKEN may not read the repository's caches: give the job `permissions: actions: read`\n",
    );
    run.assert_token_nowhere(&output);
}

#[test]
fn skip_cache_lists_nothing_and_runs_everything() {
    let run = Run::new();
    let server = github(vec![run.marker("lint", "refs/heads/main")]);
    let output_file = run.output_file();
    let output = run.cigen(
        &["continue", "--provider", "github"],
        &[
            ("CIGEN_SKIP_CACHE", "true"),
            ("GITHUB_API_URL", server.url()),
            ("GITHUB_OUTPUT", path_str(&output_file)),
        ],
    );
    assert!(server.finish().is_empty(), "no request without need");
    assert_ok(&output);
    assert_eq!(run.outputs(), run.expected_outputs(&[]));
    assert_eq!(stdout(&output), run.skip_cache_report());
}

#[test]
fn outputs_are_appended_to_what_the_step_already_wrote() {
    let run = Run::new();
    std::fs::write(run.output_file(), "earlier=1\n").expect("write");
    let output_file = run.output_file();
    let output = run.cigen(
        &["continue", "--provider", "github"],
        &[
            ("CIGEN_SKIP_CACHE", "true"),
            ("GITHUB_OUTPUT", path_str(&output_file)),
        ],
    );
    assert_ok(&output);
    assert_eq!(
        run.outputs(),
        format!("earlier=1\n{}", run.expected_outputs(&[]))
    );
}

#[test]
fn without_github_output_the_outputs_are_printed() {
    let run = Run::new();
    let output = run.cigen(
        &["continue", "--provider", "github"],
        &[("CIGEN_SKIP_CACHE", "true")],
    );
    assert_ok(&output);
    assert_eq!(
        stdout(&output),
        format!(
            "{}GITHUB_OUTPUT is not set; the job outputs:\n{}",
            run.skip_cache_report(),
            run.expected_outputs(&[])
        )
    );
}

#[test]
fn a_missing_token_is_a_usage_error_naming_it() {
    let run = Run::new();
    let output = run.cigen(
        &["continue", "--provider", "github"],
        &[
            ("GITHUB_REPOSITORY", "octo/repo"),
            ("GITHUB_REF", "refs/heads/main"),
        ],
    );
    assert_failed(
        &output,
        2,
        "error: `GITHUB_TOKEN` is not set: give the step the job's token (`env: GITHUB_TOKEN: ${{ github.token }}`), or set CIGEN_SKIP_CACHE=true to run every job\n",
    );
}

#[test]
fn an_unreadable_event_payload_only_drops_the_default_branch() {
    let run = Run::new();
    let server = github(vec![
        run.marker("lint", "refs/heads/main"),
        run.marker("test", "refs/heads/feature"),
        run.marker("build", "refs/heads/feature"),
    ]);
    let output = run.continue_reading(
        &server,
        "refs/heads/feature",
        None,
        Path::new("/nonexistent/event.json"),
    );
    server.finish();
    assert_ok(&output);
    assert_eq!(run.outputs(), run.expected_outputs(&["build", "test"]));
    assert_eq!(
        stdout(&output),
        run.report(
            "markers: 3 listed (1 page, 1 request), 2 on refs this run may restore from: refs/heads/feature",
            [
                skipped_on("refs/heads/feature"),
                runs(NO_RECORD),
                skipped_on("refs/heads/feature"),
            ]
        )
    );
    // Why the file cannot be read is the operating system's text.
    assert_like(
        &stderr(&output),
        "warning: /nonexistent/event.json: {any}; markers saved on the default branch are not used\n",
    );
}

#[test]
fn continue_refuses_the_state_of_another_provider() {
    let run = Run::new();
    let output = run.cigen(&["setup", "--provider", "circleci"], &[]);
    assert_ok(&output);
    let output = run.cigen(
        &["continue", "--provider", "github"],
        &[("CIGEN_SKIP_CACHE", "true")],
    );
    let state = run.rt.path().join("cigen/state.json");
    assert_failed(
        &output,
        1,
        &format!(
            "error: {} was written by `cigen setup --provider circleci`, not for github: run `cigen setup --provider github` first\n",
            state.display()
        ),
    );
}

#[test]
fn github_setup_writes_the_state_and_no_key_files() {
    let run = Run::new();
    assert!(!run.rt.path().join("setup_keys").exists());
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run.rt.path().join("cigen/state.json")).expect("state"),
    )
    .expect("json");
    assert_eq!(state["provider"], "github");
    assert_eq!(state["format"], 3);
    assert_eq!(
        state["hashes"].as_object().expect("hashes"),
        &run.hashes,
        "setup and hash: one code path"
    );
}

#[test]
fn circleci_only_flags_are_refused_for_github() {
    let run = Run::new();
    let output = run.cigen(&["setup", "--provider", "github", "--commit-on-diff"], &[]);
    assert_failed(
        &output,
        2,
        "error: `--commit-on-diff` is for CircleCI only: on GitHub the self-check reports drift and fails without committing (a push made with GITHUB_TOKEN starts no workflow run, and pull request checkouts are detached)\n",
    );
    let output = run.cigen(&["continue", "--provider", "github", "--dry-run"], &[]);
    assert_failed(
        &output,
        2,
        "error: `--dry-run` is for CircleCI only: on GitHub `continue` sends nothing (it only lists caches)\n",
    );
}
