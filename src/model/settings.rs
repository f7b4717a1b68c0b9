//! Project-level settings validated from the raw config: provider and mode,
//! setup options (with the orb's constraints), pipeline parameters
//! (`parameters`), architectures, source-file groups, orbs. Output is fully
//! defaulted: no `Option` is left for the emitter to interpret.

use indexmap::IndexMap;
use serde_yaml::Value;

use crate::circleci::{
    APPROVE_JOB, DEFAULT_ORB_VERSION, DEFAULT_SETUP_IMAGE, ORB, ORB_ALIAS, SETUP_JOB,
    setup_image_tag,
};
use crate::config::{Loaded, StringOrList};
use crate::error::{Result, suggest};
use crate::provider::Provider;

#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The providers cigen writes configuration for (`provider:` or
    /// `providers:`), in a fixed order (circleci, github), never empty.
    pub providers: Vec<Provider>,
    pub dynamic_workflow: String,
    pub setup: Setup,
    /// Parameter name -> CircleCI parameter definition, declared order.
    pub parameters: IndexMap<String, Value>,
    pub boolean_parameters: Vec<String>,
    /// Architecture -> its runners, declared order (the first is the default arch).
    pub architectures: IndexMap<String, Arch>,
    pub groups: IndexMap<String, Vec<String>>,
    pub hash_salt: Option<String>,
    pub orbs: IndexMap<String, String>,
}

/// One declared architecture: where its jobs run on each provider.
#[derive(Debug, Clone)]
pub(crate) struct Arch {
    /// CircleCI's `resource_class` (always set when circleci is a provider).
    pub resource_class: Option<String>,
    /// GitHub's `runs-on`: a label or a list of labels (always set when
    /// github is a provider).
    pub runs_on: Option<Value>,
}

#[derive(Debug, Clone)]
pub(crate) struct Setup {
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
pub(crate) enum SkippedJobs {
    /// A `type: no-op` stand-in under the same name: nothing is rewired.
    NoOp,
    /// Removed, its dependents rewired to its nearest kept ancestors
    /// (CircleCI Server installs without no-op jobs).
    Remove,
}

impl Settings {
    pub(crate) fn default_arch(&self) -> String {
        self.architectures
            .keys()
            .next()
            .cloned()
            .unwrap_or_else(|| "amd64".to_string())
    }

    /// GitHub's `runs-on` for `arch`: the declared one, else the default
    /// of amd64 or arm64 (an undeclared arch is the default `amd64`).
    pub(crate) fn runs_on(&self, arch: &str) -> Option<Value> {
        match self.architectures.get(arch) {
            Some(declared) => declared.runs_on.clone(),
            None => default_runs_on(arch),
        }
    }
}

/// GitHub-hosted runners for the architectures everyone has: the x64 and
/// arm64 Ubuntu 24.04 images
/// (<https://docs.github.com/en/actions/reference/runners/github-hosted-runners>).
fn default_runs_on(arch: &str) -> Option<Value> {
    match arch {
        "amd64" => Some("ubuntu-24.04".into()),
        "arm64" => Some("ubuntu-24.04-arm".into()),
        _ => None,
    }
}

/// GitHub's limit on a `workflow_dispatch` event's inputs
/// (https://docs.github.com/en/actions/reference/workflows-and-actions/events-that-trigger-workflows#workflow_dispatch).
const MAX_DISPATCH_INPUTS: usize = 25;

pub(crate) fn build(loaded: &Loaded) -> Result<Settings> {
    let raw = &loaded.project;
    let providers = providers(loaded)?;
    check_mode(loaded)?;
    let setup = setup(loaded)?;
    check_orb(loaded, &setup)?;
    let (parameters, boolean_parameters) = super::parameters::build(loaded)?;
    if providers.contains(&Provider::Github) && parameters.len() > MAX_DISPATCH_INPUTS {
        return Err(loaded
            .project_error(&["parameters"], None)
            .message(format!(
                "GitHub takes at most {MAX_DISPATCH_INPUTS} `workflow_dispatch` inputs and cigen makes one of each of the {} pipeline parameters (with `cigen_skip_cache`)",
                parameters.len()
            ))
            .hint(Some("declare fewer parameters".into()))
            .into());
    }
    check_architecture_names(loaded)?;
    let architectures = architectures(loaded, &providers)?;
    check_source_file_groups(loaded)?;
    Ok(Settings {
        providers,
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

/// `provider: P` or `providers: [P, …]` (one of the two), each `circleci`
/// or `github`; neither means circleci. Sorted and deduplicated.
fn providers(loaded: &Loaded) -> Result<Vec<Provider>> {
    let raw = &loaded.project;
    let (key, names): (&str, Vec<&String>) = match (&raw.provider, &raw.providers) {
        (Some(_), Some(_)) => {
            return Err(loaded
                .project_error(&["providers"], None)
                .message("set `provider` or `providers`, not both")
                .into());
        }
        (Some(one), None) => ("provider", vec![one]),
        (None, Some(list)) => ("providers", list.iter().collect()),
        (None, None) => return Ok(vec![Provider::Circleci]),
    };
    let mut providers = vec![];
    for name in names {
        let provider = Provider::from_name(name).ok_or_else(|| {
            loaded
                .project_error(&[key], Some(name))
                .message(format!(
                    "unsupported provider `{name}`: expected `circleci` or `github`"
                ))
                .hint(suggest(name, ["circleci", "github"]))
        })?;
        providers.push(provider);
    }
    if providers.is_empty() {
        return Err(loaded
            .project_error(&["providers"], None)
            .message("`providers` lists no provider: expected `circleci`, `github` or both")
            .into());
    }
    providers.sort();
    providers.dedup();
    Ok(providers)
}

/// `dynamic: true`, the only mode there is.
fn check_mode(loaded: &Loaded) -> Result<()> {
    let raw = &loaded.project;
    if raw.dynamic == Some(false) {
        return Err(loaded
            .project_error(&["dynamic"], None)
            .message("only dynamic mode (`dynamic: true`) is supported: cigen prunes jobs in the setup job")
            .into());
    }
    Ok(())
}

/// `setup`, every option defaulted.
fn setup(loaded: &Loaded) -> Result<Setup> {
    let setup = loaded.project.setup.as_ref();
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
    Ok(Setup {
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
            .map(StringOrList::into_vec)
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
    })
}

/// An architecture name ends job ids (`<id>_<arch>`): it must be a valid name.
fn check_architecture_names(loaded: &Loaded) -> Result<()> {
    for name in loaded.project.architectures.keys() {
        if !super::is_valid_name(name) {
            return Err(loaded
                .project_error(&["architectures", name], None)
                .message(format!(
                    "`{name}` is not a valid architecture name: it ends job ids (`<id>_{name}`), so it starts with a letter and holds only letters, digits, `_` and `-`"
                ))
                .into());
        }
    }
    Ok(())
}

/// Each architecture's runner per provider: `resource_class` is required
/// when circleci is a provider, `runs_on` (defaulted for amd64 and arm64)
/// when github is.
fn architectures(loaded: &Loaded, providers: &[Provider]) -> Result<IndexMap<String, Arch>> {
    let mut architectures = IndexMap::new();
    for (name, raw) in &loaded.project.architectures {
        if raw.resource_class.is_none() && providers.contains(&Provider::Circleci) {
            return Err(loaded
                .project_error(&["architectures", name], None)
                .message(format!(
                    "architecture `{name}` has no `resource_class`: CircleCI needs one for each architecture"
                ))
                .into());
        }
        let runs_on = match &raw.runs_on {
            Some(StringOrList::One(label)) => Some(Value::from(label.clone())),
            Some(StringOrList::Many(labels)) => {
                if labels.is_empty() {
                    return Err(loaded
                        .project_error(&["architectures", name, "runs_on"], None)
                        .message("`runs_on` lists no runner label")
                        .into());
                }
                Some(Value::Sequence(
                    labels.iter().map(|l| Value::from(l.clone())).collect(),
                ))
            }
            None => default_runs_on(name),
        };
        if runs_on.is_none() && providers.contains(&Provider::Github) {
            return Err(loaded
                .project_error(&["architectures", name], None)
                .message(format!(
                    "architecture `{name}` has no `runs_on`: GitHub needs the runner label(s) of each architecture (cigen knows only amd64's and arm64's)"
                ))
                .hint(Some(format!(
                    "add `runs_on: <label>` under `architectures.{name}`"
                )))
                .into());
        }
        architectures.insert(
            name.clone(),
            Arch {
                resource_class: raw.resource_class.clone(),
                runs_on,
            },
        );
    }
    Ok(architectures)
}

/// `source_file_groups` hold valid glob patterns, never another group.
fn check_source_file_groups(loaded: &Loaded) -> Result<()> {
    for (group, patterns) in &loaded.project.source_file_groups {
        for pattern in patterns {
            let error = || loaded.project_error(&["source_file_groups", group], Some(pattern));
            if pattern.starts_with('@') || pattern.trim().is_empty() {
                return Err(error()
                    .message("a group holds glob patterns; it cannot be empty or reference another group")
                    .into());
            }
            if let Err((message, hint)) = super::source_pattern::check(pattern) {
                return Err(error().message(message).hint(hint).into());
            }
        }
    }
    Ok(())
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
