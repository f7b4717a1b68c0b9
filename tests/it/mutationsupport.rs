//! The mutation test's own model of a small random project: settings,
//! stages, `.cigen/commands/`, jobs (single, one declared arch, multi-arch;
//! parallel or not; hashed or not) with their steps, orbs, pipeline values,
//! `requires` and `github:` maps (own GitHub steps for every job using an
//! orb, which GitHub cannot translate), and the source files. It renders itself into `.cigen/`
//! and a file tree, and answers — from what it generated, never from
//! cigen — which variants exist, which files a job matches, which commands,
//! orbs and pipeline values it uses, and what each variant requires.

use std::collections::{BTreeMap, BTreeSet};

pub mod edits;
mod random;
mod render;

pub use random::{random_file, random_link, token};

pub const ARCHS: [&str; 2] = ["amd64", "arm64"];
/// Every pipeline value a job may reference; the first two are declared
/// parameters (with these defaults), the last a built-in value.
pub const VALUES: [&str; 3] = [
    "pipeline.parameters.p0",
    "pipeline.parameters.p1",
    "pipeline.git.branch",
];
pub const PARAMETERS: [(&str, &str); 2] = [("p0", "d0"), ("p1", "d1")];
/// Patterns jobs and groups draw from (cigen compiles them with
/// `literal_separator`: `*` stays within one path component).
const PATTERNS: [&str; 8] = [
    "src/**",
    "src/*.rs",
    "src/**/*.rs",
    "lib/*.py",
    "web/**/*.js",
    "docs/*.md",
    "Makefile",
    "lib/**",
];
const DIRS: [&str; 9] = [
    "src", "src/sub", "lib", "lib/sub", "web", "web/sub", "docs", "", "other",
];
const EXTS: [&str; 7] = ["rs", "py", "js", "md", "log", "txt", "tmp"];
/// Resource classes jobs set themselves: never an architecture's.
pub const JOB_CLASSES: [&str; 3] = ["large", "xlarge", "2xlarge"];
/// GitHub runner labels an architecture may declare as `runs_on` (cigen's
/// defaults among them, so a declared default moves nothing).
pub const RUNNERS: [&str; 4] = [
    "ubuntu-24.04",
    "ubuntu-24.04-arm",
    "ubuntu-22.04",
    "ubuntu-22.04-arm",
];

#[derive(Debug, Clone)]
pub struct Project {
    /// Parameter name → declared default.
    pub defaults: BTreeMap<String, String>,
    /// Architecture → its resource class, in `ARCHS` order.
    pub arch_classes: Vec<(String, String)>,
    /// Architecture → its declared `runs_on` (GitHub); absent: cigen's default.
    pub runs_on: BTreeMap<String, String>,
    pub groups: BTreeMap<String, Vec<String>>,
    /// Orb alias → version of `circleci/<alias>`.
    pub orbs: BTreeMap<String, String>,
    pub salt: Option<String>,
    /// `None`: every job in the default stage; `Some(approval)`: stages
    /// `test` and `build` (build requires test, behind an approval or not).
    pub stages: Option<bool>,
    pub commands: Vec<Command>,
    pub jobs: Vec<Job>,
    pub files: BTreeMap<String, File>,
    /// A `.gitignore` ignoring `*.log`.
    pub gitignore: bool,
    /// A `src/.gitignore` ignoring `*.tmp` below `src/`.
    pub nested_gitignore: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct File {
    /// The bytes, or for a symlink its target path.
    pub content: String,
    pub exec: bool,
    /// A symlink (to a sibling file or to nothing): hashed as the link,
    /// never followed.
    pub link: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Run(String),
    /// `echo << NAME >>` of one of `VALUES`.
    Value(String),
    Command(String),
    /// `<alias>/<command>`.
    Orb(String, String),
    /// `when` whose condition reads the pipeline value `value`, around one
    /// step (never another `when`).
    When {
        value: String,
        inner: Box<Step>,
    },
}

/// The steps with each `when` opened: its condition's value (as a `Value`
/// step) and the step inside.
pub fn opened(steps: &[Step]) -> Vec<Step> {
    steps
        .iter()
        .flat_map(|step| match step {
            Step::When { value, inner } => vec![Step::Value(value.clone()), (**inner).clone()],
            other => vec![other.clone()],
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct Command {
    pub name: String,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Archs {
    /// No `architectures:` (the first arch, no DOCKER_ARCH or arch class).
    Default,
    /// `architectures: [arm64]`: one declared arch, bare id.
    One(String),
    /// `architectures: [amd64, arm64]`: variants `<id>_<arch>`.
    Both,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub name: String,
    pub stage: Option<String>,
    pub archs: Archs,
    pub image: String,
    pub resource_class: Option<String>,
    pub context: Option<String>,
    /// Values are plain text or `<< NAME >>` of one of `VALUES`.
    pub env: Vec<(String, String)>,
    pub parallelism: Option<u32>,
    pub steps: Vec<Step>,
    /// Patterns and `@group`s; empty: not hashed.
    pub sources: Vec<String>,
    /// Indices of earlier jobs.
    pub requires: Vec<usize>,
    /// `github: {steps: [{run: echo TEXT}]}`: GitHub runs this instead of
    /// the translated steps (always set when the job uses an orb, which
    /// GitHub cannot translate).
    pub github_steps: Option<String>,
    /// `github: {timeout-minutes: N}`.
    pub github_timeout: Option<u32>,
}

impl Job {
    pub fn hashed(&self) -> bool {
        !self.sources.is_empty()
    }

    /// GitHub runs the job's own steps, translated (no `github.steps`).
    pub fn github_translated(&self) -> bool {
        self.github_steps.is_none()
    }

    pub fn id(&self) -> String {
        match &self.stage {
            Some(stage) => format!("{stage}_{}", self.name),
            None => self.name.clone(),
        }
    }

    /// `(variant id, arch)` of each variant.
    pub fn variants(&self) -> Vec<(String, String)> {
        match &self.archs {
            Archs::Default => vec![(self.id(), ARCHS[0].to_string())],
            Archs::One(arch) => vec![(self.id(), arch.clone())],
            Archs::Both => ARCHS
                .iter()
                .map(|arch| (format!("{}_{arch}", self.id()), arch.to_string()))
                .collect(),
        }
    }

    fn stage_rank(&self) -> usize {
        match self.stage.as_deref() {
            None => 0,
            Some("test") => 1,
            _ => 2,
        }
    }
}

/// Does `pattern` match `path`? Only the shapes in `PATTERNS`.
pub fn matches(pattern: &str, path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or(path);
    if let Some(dir) = pattern.strip_suffix("/**") {
        return path.starts_with(&format!("{dir}/"));
    }
    if let Some((dir, ext)) = pattern.split_once("/**/*.") {
        return path.starts_with(&format!("{dir}/")) && last.ends_with(&format!(".{ext}"));
    }
    if let Some((dir, ext)) = pattern.split_once("/*.") {
        return path
            .strip_prefix(&format!("{dir}/"))
            .is_some_and(|rest| !rest.contains('/') && rest.ends_with(&format!(".{ext}")));
    }
    pattern == path
}

impl Project {
    /// The `runs-on` GitHub gives `arch`: the declared label, else cigen's
    /// default (`ubuntu-24.04`, `ubuntu-24.04-arm`).
    pub fn runs_on(&self, arch: &str) -> String {
        let default = if arch == "arm64" {
            RUNNERS[1]
        } else {
            RUNNERS[0]
        };
        self.runs_on
            .get(arch)
            .map_or(default, String::as_str)
            .to_string()
    }

    /// A file counts unless `.gitignore` ignores it.
    pub fn ignored(&self, path: &str) -> bool {
        (self.gitignore && path.ends_with(".log"))
            || (self.nested_gitignore && path.starts_with("src/") && path.ends_with(".tmp"))
    }

    /// Files that count matching `pattern`, leaving out `without`.
    pub fn counting_matches(&self, pattern: &str, without: Option<&str>) -> usize {
        self.files
            .keys()
            .filter(|path| Some(path.as_str()) != without)
            .filter(|path| !self.ignored(path) && matches(pattern, path))
            .count()
    }

    /// Every pattern a hashed job uses, groups expanded.
    pub fn patterns_in_use(&self) -> BTreeSet<String> {
        (0..self.jobs.len())
            .flat_map(|index| self.patterns(index))
            .collect()
    }

    /// The job's sources with `@group`s expanded.
    pub fn patterns(&self, index: usize) -> Vec<String> {
        self.jobs[index]
            .sources
            .iter()
            .flat_map(|source| match source.strip_prefix('@') {
                Some(group) => self.groups[group].clone(),
                None => vec![source.clone()],
            })
            .collect()
    }

    /// Does job `index` hash the file at `path`?
    pub fn job_reads(&self, index: usize, path: &str) -> bool {
        !self.ignored(path)
            && self
                .patterns(index)
                .iter()
                .any(|pattern| matches(pattern, path))
    }

    /// Commands the job uses, through other commands too.
    pub fn commands_used(&self, index: usize) -> BTreeSet<String> {
        let mut used = BTreeSet::new();
        let mut stack: Vec<String> = command_steps(&self.jobs[index].steps);
        while let Some(name) = stack.pop() {
            if used.insert(name.clone()) {
                let command = self.command(&name);
                stack.extend(command_steps(&command.steps));
            }
        }
        used
    }

    pub fn command(&self, name: &str) -> &Command {
        self.commands
            .iter()
            .find(|command| command.name == name)
            .expect("command exists")
    }

    /// Every step the job runs, its commands' steps included.
    fn all_steps(&self, index: usize) -> Vec<Step> {
        let mut steps = opened(&self.jobs[index].steps);
        for name in self.commands_used(index) {
            steps.extend(opened(&self.command(&name).steps));
        }
        steps
    }

    /// Commands whose steps GitHub inlines into the job: those it uses,
    /// unless its `github.steps` replace its steps.
    pub fn github_commands_used(&self, index: usize) -> BTreeSet<String> {
        if self.jobs[index].github_translated() {
            self.commands_used(index)
        } else {
            BTreeSet::new()
        }
    }

    pub fn orbs_used(&self, index: usize) -> BTreeSet<String> {
        self.all_steps(index)
            .into_iter()
            .filter_map(|step| match step {
                Step::Orb(alias, _) => Some(alias),
                _ => None,
            })
            .collect()
    }

    pub fn values_used(&self, index: usize) -> BTreeSet<String> {
        let mut used: BTreeSet<String> = self
            .all_steps(index)
            .into_iter()
            .filter_map(|step| match step {
                Step::Value(name) => Some(name),
                _ => None,
            })
            .collect();
        for (_, value) in &self.jobs[index].env {
            if let Some(name) = value
                .strip_prefix("<< ")
                .and_then(|v| v.strip_suffix(" >>"))
            {
                used.insert(name.to_string());
            }
        }
        used
    }

    /// Variant id → the variant ids it requires directly (stage
    /// requirements and approvals folded in: an approval only passes its
    /// own requirements on).
    pub fn graph(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut graph = BTreeMap::new();
        for job in &self.jobs {
            for (id, arch) in job.variants() {
                let mut requires = BTreeSet::new();
                for &target in &job.requires {
                    let target = &self.jobs[target];
                    for (target_id, target_arch) in target.variants() {
                        // multi → multi pairs by arch; otherwise every variant.
                        let paired = job.archs == Archs::Both && target.archs == Archs::Both;
                        if !paired || target_arch == arch {
                            requires.insert(target_id);
                        }
                    }
                }
                if job.stage.as_deref() == Some("build") {
                    for other in self
                        .jobs
                        .iter()
                        .filter(|o| o.stage.as_deref() == Some("test"))
                    {
                        requires.extend(other.variants().into_iter().map(|(id, _)| id));
                    }
                }
                graph.insert(id, requires);
            }
        }
        graph
    }

    /// Hashed variant ids, sorted.
    pub fn hashed_variants(&self) -> BTreeSet<String> {
        self.jobs
            .iter()
            .filter(|job| job.hashed())
            .flat_map(|job| job.variants().into_iter().map(|(id, _)| id))
            .collect()
    }

    /// Job indices with at least one job depending on them (directly or
    /// through a stage).
    pub fn upstream_jobs(&self) -> Vec<usize> {
        let graph = self.graph();
        (0..self.jobs.len())
            .filter(|&index| {
                let mine: BTreeSet<String> = self.jobs[index]
                    .variants()
                    .into_iter()
                    .map(|(id, _)| id)
                    .collect();
                graph.values().any(|requires| !requires.is_disjoint(&mine))
            })
            .collect()
    }
}

fn command_steps(steps: &[Step]) -> Vec<String> {
    opened(steps)
        .iter()
        .filter_map(|step| match step {
            Step::Command(name) => Some(name.clone()),
            _ => None,
        })
        .collect()
}
