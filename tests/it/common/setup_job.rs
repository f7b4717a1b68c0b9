//! CircleCI's setup job for a committed repository, as the scenario tests
//! run it: one runtime directory (`CIGEN_TMP`), `cigen` run there with none
//! of the test process's skip-cache, tag, branch or pipeline values, the
//! markers its probes would restore, and the continuation it writes
//! (checked against CircleCI's schema and the reference check).

use serde_yaml::Value;

use super::{Repo, assert_circleci_schema, assert_references_resolve, clear_pipeline_values};
use super::{stderr, stdout};

pub struct SetupJob<'a> {
    repo: &'a Repo,
    pub rt: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl<'a> SetupJob<'a> {
    /// A setup job of a pipeline whose variables are `env`
    /// (`CIRCLE_BRANCH`, `CIRCLE_TAG`, …).
    pub fn new(repo: &'a Repo, env: &[(&str, &str)]) -> SetupJob<'a> {
        SetupJob {
            repo,
            rt: tempfile::tempdir().expect("rt"),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// `cigen ARGS` in the job; it must succeed. Returns its stdout.
    pub fn run(&self, args: &[&str]) -> String {
        let mut command = self.repo.cigen();
        command
            .args(args)
            .env("CIGEN_TMP", self.rt.path())
            .env_remove("CIGEN_SKIP_CACHE")
            .env_remove("CIRCLE_TAG")
            .env_remove("CIRCLE_BRANCH");
        clear_pipeline_values(&mut command);
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        let output = command.output().expect("runs");
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        stdout(&output)
    }

    /// The hash `cigen setup` put in `variant`'s job key.
    pub fn key_hash(&self, variant: &str) -> String {
        let key = self.rt.path().join(format!("setup_keys/{variant}/job-key"));
        let key = std::fs::read_to_string(key).expect("key file");
        key.rsplit('-').next().expect("hash").to_string()
    }

    /// Leaves the marker the probes restore when inputs of `hash` passed.
    pub fn mark_passed(&self, hash: &str) {
        let dir = self.rt.path().join("cigen_job_exists");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(format!("done_{hash}")), "").expect("marker");
    }

    /// `cigen continue --dry-run`: its table and the continuation it wrote.
    /// The continuation is valid and every reference in it resolves.
    pub fn continue_dry_run(&self) -> (String, Value) {
        let table = self.run(&["continue", "--dry-run"]);
        let path = self.rt.path().join("cigen/continuation.yml");
        assert_circleci_schema(std::slice::from_ref(&path));
        let text = std::fs::read_to_string(&path).expect("continuation");
        let doc: Value = serde_yaml::from_str(&text).expect("yaml");
        assert_references_resolve(&doc);
        (table, doc)
    }
}
