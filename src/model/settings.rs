//! Project-level settings validated from the raw config: setup options,
//! pipeline parameters, architectures, source-file groups, orbs. Output is
//! fully defaulted: no `Option` is left for the emitter to interpret.

use indexmap::IndexMap;
use serde_yaml::{Mapping, Value};

use crate::config::{Loaded, RawParameter};
use crate::error::{Result, suggest};

/// The image the setup job and OR-dependency shims run on by default.
pub const DEFAULT_SETUP_IMAGE: &str = concat!("docspringcom/cigen:", env!("CARGO_PKG_VERSION"));
/// The orb `setup.use_orb` invokes, and its default version (this crate's).
pub const ORB: &str = "docspring/cigen";
pub const ORB_ALIAS: &str = "cigen";
pub const DEFAULT_ORB_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Job names cigen defines itself (re-exported by `plan`).
pub const SETUP_JOB: &str = "cigen_setup";
pub const APPROVE_JOB: &str = "cigen_approve";
/// Pipeline parameter that forces every job to run (no skip).
pub const SKIP_CACHE_PARAMETER: &str = "cigen_skip_cache";

#[derive(Debug, Clone)]
pub struct Settings {
    pub dynamic_workflow: String,
    pub setup: Setup,
    /// Parameter name -> CircleCI parameter definition, declared order.
    pub parameters: IndexMap<String, Value>,
    pub boolean_parameters: Vec<String>,
    /// Architecture -> resource class, declared order (the first is the default arch).
    pub architectures: IndexMap<String, String>,
    pub groups: IndexMap<String, Vec<String>>,
    pub hash_salt: Option<String>,
    pub orbs: IndexMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Setup {
    pub image: String,
    pub resource_class: String,
    pub self_check: bool,
    pub commit_on_diff: bool,
    pub approve_context: Vec<String>,
    pub all_skipped_job: String,
    pub all_skipped_message: String,
    /// The setup job is the orb's `cigen/setup` job (`setup.use_orb`).
    pub use_orb: bool,
    pub orb_version: String,
    pub skipped_jobs: SkippedJobs,
    /// `setup.required_check`: the no-op job requiring every job not behind an approval.
    pub required_check: Option<String>,
}

/// What the continuation makes of a skipped job (`setup.skipped_jobs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkippedJobs {
    /// A `type: no-op` stand-in under the same name: nothing is rewired.
    NoOp,
    /// Removed, its dependents rewired to its nearest kept ancestors
    /// (CircleCI Server installs without no-op jobs).
    Remove,
}

impl Settings {
    pub fn default_arch(&self) -> String {
        self.architectures
            .keys()
            .next()
            .cloned()
            .unwrap_or_else(|| "amd64".to_string())
    }
}

pub fn build(loaded: &Loaded) -> Result<Settings> {
    let raw = &loaded.project;
    if let Some(provider) = &raw.provider
        && provider != "circleci"
    {
        return Err(loaded
            .project_error(&["provider"], None)
            .message(format!(
                "unsupported provider `{provider}`: expected `circleci`"
            ))
            .into());
    }
    if raw.dynamic == Some(false) {
        return Err(loaded
            .project_error(&["dynamic"], None)
            .message("only dynamic mode (`dynamic: true`) is supported: cigen prunes jobs in the setup job")
            .into());
    }
    let setup = raw.setup.as_ref();
    let self_check = setup.and_then(|s| s.self_check.as_ref());
    let skipped = setup.and_then(|s| s.on_all_skipped.as_ref());
    let all_skipped_job = skipped
        .and_then(|s| s.job_name.clone())
        .unwrap_or_else(|| "cigen_all_skipped".to_string());
    if !super::is_valid_name(&all_skipped_job) {
        return Err(loaded
            .project_error(&["setup", "on_all_skipped", "job_name"], None)
            .message(format!(
                "`{all_skipped_job}` is not a valid CircleCI job name"
            ))
            .into());
    }
    let skipped_jobs = skipped_jobs(loaded)?;
    let required_check = required_check(loaded, &all_skipped_job)?;
    let setup = Setup {
        image: setup
            .and_then(|s| s.image.clone())
            .unwrap_or_else(|| DEFAULT_SETUP_IMAGE.to_string()),
        resource_class: setup
            .and_then(|s| s.resource_class.clone())
            .unwrap_or_else(|| "small".to_string()),
        self_check: self_check.and_then(|s| s.enabled).unwrap_or(true),
        commit_on_diff: self_check.and_then(|s| s.commit_on_diff).unwrap_or(false),
        approve_context: setup
            .and_then(|s| s.approve_context.clone())
            .map(|c| c.into_vec())
            .unwrap_or_default(),
        all_skipped_job,
        all_skipped_message: skipped
            .and_then(|s| s.message.clone())
            .unwrap_or_else(|| "Every job's inputs already passed: nothing to run.".to_string()),
        use_orb: setup.and_then(|s| s.use_orb).unwrap_or(false),
        orb_version: setup
            .and_then(|s| s.orb_version.clone())
            .unwrap_or_else(|| DEFAULT_ORB_VERSION.to_string()),
        skipped_jobs,
        required_check,
    };
    check_orb(loaded, &setup)?;

    let mut parameters = IndexMap::new();
    let mut boolean_parameters = vec![];
    for (name, parameter) in &raw.parameters {
        if name == SKIP_CACHE_PARAMETER {
            return Err(loaded
                .project_error(&["parameters", name], None)
                .message(format!(
                    "`{SKIP_CACHE_PARAMETER}` is declared by cigen itself"
                ))
                .into());
        }
        if !super::is_valid_name(name) {
            return Err(loaded
                .project_error(&["parameters", name], None)
                .message("parameter names must start with a letter and hold only letters, digits, `_` and `-`")
                .into());
        }
        parameters.insert(name.clone(), parameter_definition(loaded, name, parameter)?);
        if parameter.kind == "boolean" {
            boolean_parameters.push(name.clone());
        }
    }
    parameters.insert(
        SKIP_CACHE_PARAMETER.to_string(),
        mapping(&[
            ("type", Value::from("boolean")),
            ("default", Value::from(false)),
            (
                "description",
                Value::from("Run every job, even those whose inputs already passed."),
            ),
        ]),
    );

    for name in raw.architectures.keys() {
        if !super::is_valid_name(name) {
            return Err(loaded
                .project_error(&["architectures", name], None)
                .message(format!(
                    "`{name}` is not a valid architecture name: it ends job ids (`<id>_{name}`), so it starts with a letter and holds only letters, digits, `_` and `-`"
                ))
                .into());
        }
    }
    let architectures = raw
        .architectures
        .iter()
        .map(|(name, arch)| (name.clone(), arch.resource_class.clone()))
        .collect();

    for (group, patterns) in &raw.source_file_groups {
        for pattern in patterns {
            if pattern.starts_with('@') || pattern.trim().is_empty() {
                return Err(loaded
                    .project_error(&["source_file_groups", group], Some(pattern))
                    .message("a group holds glob patterns; it cannot be empty or reference another group")
                    .into());
            }
            if let Err((message, hint)) = super::source_pattern::check(pattern) {
                return Err(loaded
                    .project_error(&["source_file_groups", group], Some(pattern))
                    .message(message)
                    .hint(hint)
                    .into());
            }
        }
    }

    Ok(Settings {
        dynamic_workflow: raw
            .dynamic_workflow
            .clone()
            .unwrap_or_else(|| "main".to_string()),
        setup,
        parameters,
        boolean_parameters,
        architectures,
        groups: raw.source_file_groups.clone(),
        hash_salt: raw.hash_salt.clone(),
        orbs: raw.orbs.clone(),
    })
}

/// `setup.skipped_jobs`: `no_op` (default) or `remove`.
fn skipped_jobs(loaded: &Loaded) -> Result<SkippedJobs> {
    let value = loaded
        .project
        .setup
        .as_ref()
        .and_then(|s| s.skipped_jobs.as_deref());
    match value {
        None | Some("no_op") => Ok(SkippedJobs::NoOp),
        Some("remove") => Ok(SkippedJobs::Remove),
        Some(other) => Err(loaded
            .project_error(&["setup", "skipped_jobs"], None)
            .message(format!(
                "unknown value `{other}`: expected `no_op` (skipped jobs become no-op stand-ins) or `remove` (removed, dependents rewired)"
            ))
            .hint(suggest(other, ["no_op", "remove"]))
            .into()),
    }
}

/// `setup.required_check`: a valid job name that none of cigen's own jobs uses
/// (a user job of the same id is refused when the workflow is planned).
fn required_check(loaded: &Loaded, all_skipped_job: &str) -> Result<Option<String>> {
    let Some(name) = loaded
        .project
        .setup
        .as_ref()
        .and_then(|s| s.required_check.clone())
    else {
        return Ok(None);
    };
    let error = |message: String| {
        Err(loaded
            .project_error(&["setup", "required_check"], None)
            .message(message)
            .into())
    };
    if !super::is_valid_name(&name) {
        return error(format!(
            "`{name}` is not a valid CircleCI job name: a letter, then letters, digits, `_` or `-`"
        ));
    }
    let taken = [SETUP_JOB, APPROVE_JOB, all_skipped_job];
    if taken.contains(&name.as_str()) {
        return error(format!(
            "`{name}` is already the name of a job cigen adds: pick another name"
        ));
    }
    Ok(Some(name))
}

/// With `use_orb` the setup job runs on the orb's executor, which takes only
/// a tag of `docspringcom/cigen`, and the orb takes the alias `cigen`.
fn check_orb(loaded: &Loaded, setup: &Setup) -> Result<()> {
    let raw = &loaded.project;
    let version = &setup.orb_version;
    if version.is_empty() || version.contains(|c: char| c.is_whitespace() || c == '@') {
        return Err(loaded
            .project_error(&["setup", "orb_version"], None)
            .message(format!(
                "`{version}` is not an orb version: expected e.g. `{DEFAULT_ORB_VERSION}`"
            ))
            .into());
    }
    if !setup.use_orb {
        return Ok(());
    }
    if raw.orbs.contains_key(ORB_ALIAS) {
        return Err(loaded
            .project_error(&["orbs", ORB_ALIAS], None)
            .message(format!(
                "the orb alias `{ORB_ALIAS}` is taken by `setup.use_orb` ({ORB}): pick another alias"
            ))
            .into());
    }
    if setup_image_tag(&setup.image).is_none() {
        return Err(loaded
            .project_error(&["setup", "image"], None)
            .message(format!(
                "with `use_orb: true` the setup job runs on the orb's executor: expected `docspringcom/cigen:<tag>`, not `{}`",
                setup.image
            ))
            .into());
    }
    Ok(())
}

/// The tag of a `docspringcom/cigen:<tag>` image.
pub fn setup_image_tag(image: &str) -> Option<&str> {
    image
        .strip_prefix("docspringcom/cigen:")
        .filter(|tag| !tag.is_empty())
}

fn parameter_definition(loaded: &Loaded, name: &str, parameter: &RawParameter) -> Result<Value> {
    let error = |message: String| {
        loaded
            .project_error(&["parameters", name], None)
            .message(message)
    };
    let kinds = ["boolean", "string", "integer", "enum"];
    if !kinds.contains(&parameter.kind.as_str()) {
        let hint = suggest(&parameter.kind, kinds);
        return Err(error(format!(
            "unknown parameter type `{}`: expected boolean, string, integer or enum",
            parameter.kind
        ))
        .hint(hint)
        .into());
    }
    let default_ok = match (&parameter.default, parameter.kind.as_str()) {
        (None, _) => true,
        (Some(Value::Bool(_)), "boolean") => true,
        (Some(Value::String(_)), "string") => true,
        (Some(Value::Number(n)), "integer") => n.is_i64() || n.is_u64(),
        (Some(Value::String(s)), "enum") => {
            parameter.values.as_ref().is_some_and(|v| v.contains(s))
        }
        _ => false,
    };
    if !default_ok {
        return Err(error(format!("default does not match type `{}`", parameter.kind)).into());
    }
    if parameter.kind == "enum" && parameter.values.as_ref().is_none_or(|v| v.is_empty()) {
        return Err(error("an enum parameter needs `enum: [values…]`".to_string()).into());
    }
    if parameter.kind != "enum" && parameter.values.is_some() {
        return Err(error("`enum` values are only for `type: enum`".to_string()).into());
    }
    let mut out = Mapping::new();
    out.insert("type".into(), parameter.kind.clone().into());
    if let Some(values) = &parameter.values {
        out.insert(
            "enum".into(),
            Value::Sequence(values.iter().map(|v| v.clone().into()).collect()),
        );
    }
    if let Some(default) = &parameter.default {
        out.insert("default".into(), default.clone());
    }
    if let Some(description) = &parameter.description {
        out.insert("description".into(), description.clone().into());
    }
    Ok(Value::Mapping(out))
}

pub fn mapping(pairs: &[(&str, Value)]) -> Value {
    Value::Mapping(
        pairs
            .iter()
            .map(|(k, v)| (Value::from(*k), v.clone()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::setup_image_tag;

    #[test]
    fn the_orb_executor_takes_only_a_tag_of_the_cigen_image() {
        assert_eq!(setup_image_tag("docspringcom/cigen:0.1.0"), Some("0.1.0"));
        assert_eq!(setup_image_tag("docspringcom/cigen:"), None);
        assert_eq!(setup_image_tag("docspringcom/cigen"), None);
        assert_eq!(setup_image_tag("cimg/base:current"), None);
        assert_eq!(setup_image_tag("mirror.io/docspringcom/cigen:1"), None);
    }
}
