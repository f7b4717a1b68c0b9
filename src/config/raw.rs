//! Raw serde types for everything a user writes in `.cigen/` or `cigen.yml`.
//! Unknown fields are errors (`deny_unknown_fields`); values CircleCI owns
//! (steps, filters, images) stay as YAML values and pass through untouched.
//! Validation beyond shape happens in `model`, not here.

use indexmap::IndexMap;
use serde::Deserialize;
use serde_yaml::Value;

use super::forms::{RawRequire, StringOrList};

#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping of cigen settings (`provider`, `setup`, `parameters`, …)"
)]
pub(crate) struct RawProject {
    pub provider: Option<String>,
    /// `providers: [circleci, github]`: several at once (instead of `provider`).
    pub providers: Option<Vec<String>>,
    pub dynamic: Option<bool>,
    pub dynamic_workflow: Option<String>,
    pub setup: Option<RawSetup>,
    #[serde(default)]
    pub parameters: IndexMap<String, RawParameter>,
    #[serde(default)]
    pub architectures: IndexMap<String, RawArch>,
    #[serde(default)]
    pub source_file_groups: IndexMap<String, Vec<String>>,
    pub hash_salt: Option<String>,
    #[serde(default)]
    pub orbs: IndexMap<String, String>,
    /// Inline form (`cigen.yml`): what `.cigen/commands/` holds.
    #[serde(default)]
    pub commands: IndexMap<String, Value>,
    /// Inline form (`cigen.yml`): what `.cigen/workflows/` holds.
    #[serde(default)]
    pub workflows: IndexMap<String, RawInlineWorkflow>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping of setup job settings (`image`, `resource_class`, …)"
)]
pub(crate) struct RawSetup {
    pub image: Option<String>,
    pub resource_class: Option<String>,
    pub self_check: Option<RawSelfCheck>,
    /// Context(s) giving the OR-dependency shim jobs `CIRCLE_TOKEN`.
    pub approve_context: Option<StringOrList>,
    pub on_all_skipped: Option<RawAllSkipped>,
    /// Write the setup job as the orb's `cigen/setup` job instead of inline.
    pub use_orb: Option<bool>,
    /// Version of the `docspring/cigen` orb when `use_orb` is set.
    pub orb_version: Option<String>,
    /// `no_op` (default) or `remove`: what the continuation makes of a skipped job.
    pub skipped_jobs: Option<String>,
    /// Name of the `type: no-op` job requiring every job not behind an approval.
    pub required_check: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `enabled` and `commit_on_diff`"
)]
pub(crate) struct RawSelfCheck {
    pub enabled: Option<bool>,
    pub commit_on_diff: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `job_name` and `message`"
)]
pub(crate) struct RawAllSkipped {
    pub job_name: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping such as `{type: boolean, default: false}`"
)]
pub(crate) struct RawParameter {
    #[serde(rename = "type")]
    pub kind: String,
    pub default: Option<Value>,
    pub description: Option<String>,
    #[serde(rename = "enum")]
    pub values: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `resource_class` (CircleCI) and `runs_on` (GitHub)"
)]
pub(crate) struct RawArch {
    /// CircleCI's resource class: required when circleci is a provider.
    pub resource_class: Option<String>,
    /// GitHub's `runs-on` (a label or a list of labels).
    pub runs_on: Option<StringOrList>,
}

/// A workflow's `github:` settings (GitHub Actions only).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `on` and `full_run_on`"
)]
pub(crate) struct RawWorkflowGithub {
    /// GitHub's `on:` map, replacing cigen's default events.
    pub on: Option<Value>,
    /// Events whose runs skip nothing (the marker cache is not read).
    #[serde(default)]
    pub full_run_on: Vec<String>,
}

/// `.cigen/workflows/<wf>/config.yml`.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping of workflow settings (`trigger`, `stages`, `when`, `github`)"
)]
pub(crate) struct RawWorkflow {
    pub trigger: Option<RawTrigger>,
    #[serde(default)]
    pub stages: Vec<RawStage>,
    pub when: Option<Value>,
    pub github: Option<RawWorkflowGithub>,
}

/// A workflow written inline in `cigen.yml`: the workflow config plus its
/// jobs keyed `<job>` (default stage) or `<stage>/<job>`.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping of workflow settings (`trigger`, `stages`, `when`, `github`) and `jobs`"
)]
pub(crate) struct RawInlineWorkflow {
    pub trigger: Option<RawTrigger>,
    #[serde(default)]
    pub stages: Vec<RawStage>,
    pub when: Option<Value>,
    pub github: Option<RawWorkflowGithub>,
    #[serde(default)]
    pub jobs: IndexMap<String, RawJob>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping `{parameter: NAME}` naming a boolean pipeline parameter"
)]
pub(crate) struct RawTrigger {
    pub parameter: String,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping such as `{name: test}` for each stage (with optional `requires` and `approval`)"
)]
pub(crate) struct RawStage {
    pub name: String,
    #[serde(default)]
    pub requires: Vec<String>,
    #[serde(default)]
    pub approval: bool,
}

/// `.cigen/workflows/<wf>/jobs/[<stage>/]<job>.yml`.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping of job settings (`image`, `steps`, …)"
)]
pub(crate) struct RawJob {
    #[expect(
        dead_code,
        reason = "for people reading the job file: accepted, never rendered"
    )]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "super::strict::string")]
    pub image: Option<String>,
    pub docker: Option<Vec<Value>>,
    pub machine: Option<Value>,
    pub macos: Option<Value>,
    #[serde(default)]
    pub services: Vec<Value>,
    #[serde(default, deserialize_with = "super::strict::string")]
    pub resource_class: Option<String>,
    pub architectures: Option<Vec<String>>,
    /// Any form CircleCI's schema accepts (map, `NAME=VALUE` list, …):
    /// checked by `model::job_shapes`, normalised by `model::environment`.
    pub environment: Option<Value>,
    pub context: Option<StringOrList>,
    pub parallelism: Option<Value>,
    #[serde(default, deserialize_with = "super::strict::string")]
    pub working_directory: Option<String>,
    /// A string or a list (CircleCI's schema allows both).
    pub shell: Option<Value>,
    /// Prepend a `checkout` step (default true) unless the steps start with one.
    pub checkout: Option<bool>,
    #[serde(default)]
    pub steps: Vec<Value>,
    #[serde(default)]
    pub source_files: Vec<String>,
    #[serde(default)]
    pub requires: Vec<RawRequire>,
    /// `None` when absent: an empty list is an error, not "no OR-dependency".
    pub requires_any: Option<Vec<String>>,
    #[serde(default)]
    pub approval: bool,
    pub filters: Option<Value>,
    /// Silences the warning about a job name repeating a word of its stage.
    #[serde(default)]
    pub allow_stage_noun: bool,
    /// GitHub Actions keys merged last into the job's GitHub job.
    pub github: Option<Value>,
}

#[cfg(test)]
mod tests {
    use serde::de::DeserializeOwned;

    use super::*;

    /// serde's message for `text` read as `T`.
    fn message<T: DeserializeOwned + std::fmt::Debug>(text: &str) -> String {
        serde_yaml::from_str::<T>(text)
            .expect_err("a wrong kind of value")
            .to_string()
    }

    #[test]
    fn a_wrong_kind_of_value_never_names_a_rust_type() {
        let messages = [
            message::<RawProject>("[a]"),
            message::<RawSetup>("large"),
            message::<RawSelfCheck>("5"),
            message::<RawAllSkipped>("true"),
            message::<RawParameter>("boolean"),
            message::<RawArch>("5"),
            message::<RawWorkflowGithub>("5"),
            message::<RawWorkflow>("[a]"),
            message::<RawInlineWorkflow>("[a]"),
            message::<RawTrigger>("nightly"),
            message::<RawStage>("test"),
            message::<RawJob>("[a]"),
            message::<StringOrList>("{a: b}"),
            message::<RawRequire>("5"),
        ];
        for message in messages {
            assert!(message.contains("expected a "), "{message}");
            for internal in ["Raw", "struct", "enum", "StringOrList", "variant"] {
                assert!(!message.contains(internal), "{message}");
            }
        }
    }
}
