//! The mutation test's own model of a small random project: settings,
//! stages, `.cigen/commands/`, jobs (single, one declared arch, multi-arch;
//! parallel or not; hashed or not) with their steps, orbs, pipeline values
//! and `requires`, and the source files. It renders itself into `.cigen/`
//! and a file tree, and answers — from what it generated, never from
//! cigen — which variants exist, which files a job matches, which commands,
//! orbs and pipeline values it uses, and what each variant requires.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

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
const EXTS: [&str; 6] = ["rs", "py", "js", "md", "log", "txt"];
/// Resource classes jobs set themselves: never an architecture's.
pub const JOB_CLASSES: [&str; 3] = ["large", "xlarge", "2xlarge"];

#[derive(Debug, Clone)]
pub struct Project {
    /// Parameter name → declared default.
    pub defaults: BTreeMap<String, String>,
    /// Architecture → its resource class, in `ARCHS` order.
    pub arch_classes: Vec<(String, String)>,
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
}

#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub content: String,
    pub exec: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Run(String),
    /// `echo << NAME >>` of one of `VALUES`.
    Value(String),
    Command(String),
    /// `<alias>/<command>`.
    Orb(String, String),
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
    /// Values are plain text or `<< NAME >>` of one of `VALUES`.
    pub env: Vec<(String, String)>,
    pub parallelism: Option<u32>,
    pub steps: Vec<Step>,
    /// Patterns and `@group`s; empty: not hashed.
    pub sources: Vec<String>,
    /// Indices of earlier jobs.
    pub requires: Vec<usize>,
}

impl Job {
    pub fn hashed(&self) -> bool {
        !self.sources.is_empty()
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
    pub fn random(rng: &mut fastrand::Rng) -> Project {
        let mut project = Project {
            defaults: PARAMETERS
                .iter()
                .map(|(name, default)| (name.to_string(), default.to_string()))
                .collect(),
            arch_classes: vec![
                ("amd64".into(), "medium".into()),
                ("arm64".into(), "arm.medium".into()),
            ],
            groups: BTreeMap::from([
                ("g0".to_string(), vec!["lib/**".to_string()]),
                (
                    "g1".to_string(),
                    vec!["web/**/*.js".to_string(), "docs/*.md".to_string()],
                ),
            ]),
            orbs: BTreeMap::from([
                ("node".to_string(), "5.2.0".to_string()),
                ("slack".to_string(), "4.13.3".to_string()),
            ]),
            salt: rng.bool().then(|| format!("salt{}", rng.u32(..1000))),
            stages: rng.bool().then(|| rng.u8(..10) < 3),
            commands: vec![],
            jobs: vec![],
            files: BTreeMap::new(),
            gitignore: rng.bool(),
        };
        for k in 0..rng.usize(1..=3) {
            let mut steps = vec![Step::Run(token(rng, "cmd"))];
            if rng.u8(..3) == 0 {
                steps.push(random_value_step(rng));
            }
            if rng.u8(..3) == 0 {
                steps.push(random_orb_step(rng));
            }
            if k > 0 && rng.bool() {
                steps.push(Step::Command(format!("c{}", rng.usize(..k))));
            }
            project.commands.push(Command {
                name: format!("c{k}"),
                steps,
            });
        }
        let count = rng.usize(3..=6);
        for index in 0..count {
            let job = project.random_job(rng, index);
            project.jobs.push(job);
        }
        // Earlier stages first, so every `requires` points backwards.
        project.jobs.sort_by_key(Job::stage_rank);
        for index in 1..project.jobs.len() {
            for earlier in 0..index {
                if rng.u8(..10) < 3 {
                    project.jobs[index].requires.push(earlier);
                }
            }
        }
        if project.jobs.iter().all(|job| job.requires.is_empty()) {
            let last = project.jobs.len() - 1;
            project.jobs[last].requires.push(0);
        }
        project.random_files(rng);
        project
    }

    fn random_job(&self, rng: &mut fastrand::Rng, index: usize) -> Job {
        let stage = match self.stages {
            None => None,
            Some(_) => [None, Some("test"), Some("build")][rng.usize(..3)].map(str::to_string),
        };
        let archs = match rng.u8(..4) {
            0 | 1 => Archs::Default,
            2 => Archs::One("arm64".into()),
            _ => Archs::Both,
        };
        let mut steps = vec![];
        for _ in 0..rng.usize(1..=3) {
            steps.push(match rng.u8(..5) {
                0 => Step::Command(format!("c{}", rng.usize(..self.commands.len()))),
                1 => random_orb_step(rng),
                2 => random_value_step(rng),
                _ => Step::Run(token(rng, "run")),
            });
        }
        let mut env = vec![];
        if rng.bool() {
            env.push(("V0".to_string(), token(rng, "v")));
        }
        if rng.u8(..4) == 0 {
            let value = VALUES[rng.usize(..VALUES.len())];
            env.push(("MODE".to_string(), format!("<< {value} >>")));
        }
        let mut sources = vec![];
        if rng.u8(..4) != 0 {
            for _ in 0..rng.usize(1..=2) {
                let source = if rng.u8(..4) == 0 {
                    format!("@g{}", rng.usize(..2))
                } else {
                    PATTERNS[rng.usize(..PATTERNS.len())].to_string()
                };
                if !sources.contains(&source) {
                    sources.push(source);
                }
            }
        }
        Job {
            name: format!("j{index}"),
            stage,
            archs,
            image: format!("cimg/base:2024.0{}", rng.u8(1..=9)),
            resource_class: (rng.u8(..10) < 3).then(|| JOB_CLASSES[rng.usize(..3)].to_string()),
            env,
            parallelism: (rng.u8(..4) == 0).then(|| rng.u32(2..=3)),
            steps,
            sources,
            requires: vec![],
        }
    }

    /// Random files, then enough more that every pattern in use matches at
    /// least two files that count (so removing any one leaves a match),
    /// plus files no pattern matches.
    fn random_files(&mut self, rng: &mut fastrand::Rng) {
        for _ in 0..rng.usize(4..=10) {
            let path = self.random_path(rng);
            self.files.insert(path, random_file(rng));
        }
        for pattern in self.patterns_in_use() {
            // An exact path matches one file at most: it is never removed.
            let wanted = if pattern.contains('*') { 2 } else { 1 };
            let mut tries = 0;
            while self.counting_matches(&pattern, None) < wanted {
                let path = path_for(&pattern, rng);
                self.files.insert(path, random_file(rng));
                tries += 1;
                assert!(tries < 50, "cannot fill pattern {pattern}");
            }
        }
        self.files
            .insert("README.txt".to_string(), random_file(rng));
        self.files
            .insert("other/notes.txt".to_string(), random_file(rng));
    }

    pub fn random_path(&self, rng: &mut fastrand::Rng) -> String {
        loop {
            let dir = DIRS[rng.usize(..DIRS.len())];
            let ext = EXTS[rng.usize(..EXTS.len())];
            let name = format!("f{}.{ext}", rng.u32(..100_000));
            let path = if dir.is_empty() {
                name
            } else {
                format!("{dir}/{name}")
            };
            if !self.files.contains_key(&path) {
                return path;
            }
        }
    }

    /// A file counts unless `.gitignore` ignores it.
    pub fn ignored(&self, path: &str) -> bool {
        self.gitignore && path.ends_with(".log")
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
        let mut steps = self.jobs[index].steps.clone();
        for name in self.commands_used(index) {
            steps.extend(self.command(&name).steps.clone());
        }
        steps
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

    /// Writes `.cigen/`, `.gitignore` and the source files under `root`.
    pub fn write(&self, root: &Path) {
        for (rel, text) in self.config_files() {
            put(root, &rel, &text);
        }
        for (path, file) in &self.files {
            put(root, path, &file.content);
            set_exec(&root.join(path), file.exec);
        }
    }

    /// Turns `before`, on disk under `root`, into this project, writing,
    /// removing and `chmod`ing only what differs (so a git index keeps
    /// every other entry clean). A file already gone is fine.
    pub fn write_over(&self, before: &Project, root: &Path) {
        let (old_config, new_config) = (before.config_files(), self.config_files());
        for rel in old_config
            .keys()
            .filter(|rel| !new_config.contains_key(*rel))
        {
            remove(&root.join(rel));
        }
        for (rel, text) in &new_config {
            if old_config.get(rel) != Some(text) {
                put(root, rel, text);
            }
        }
        for path in before
            .files
            .keys()
            .filter(|path| !self.files.contains_key(*path))
        {
            remove(&root.join(path));
        }
        for (path, file) in &self.files {
            let old = before.files.get(path);
            if old.map(|old| &old.content) != Some(&file.content) {
                put(root, path, &file.content);
            }
            if old.map(|old| old.exec) != Some(file.exec) {
                set_exec(&root.join(path), file.exec);
            }
        }
    }

    /// `.cigen/` and `.gitignore`: path → text.
    fn config_files(&self) -> BTreeMap<String, String> {
        let mut files = BTreeMap::new();
        files.insert(".cigen/config.yml".to_string(), self.config_yml());
        if let Some(approval) = self.stages {
            files.insert(
                ".cigen/workflows/main/config.yml".to_string(),
                format!(
                    "stages:\n  - name: test\n  - name: build\n    requires: [test]\n    approval: {approval}\n"
                ),
            );
        }
        for command in &self.commands {
            files.insert(
                format!(".cigen/commands/{}.yml", command.name),
                format!("steps:\n{}", steps_yaml(&command.steps)),
            );
        }
        for (index, job) in self.jobs.iter().enumerate() {
            let rel = match &job.stage {
                Some(stage) => format!(".cigen/workflows/main/jobs/{stage}/{}.yml", job.name),
                None => format!(".cigen/workflows/main/jobs/{}.yml", job.name),
            };
            files.insert(rel, self.job_yml(index));
        }
        if self.gitignore {
            files.insert(".gitignore".to_string(), "*.log\n".to_string());
        }
        files
    }

    fn config_yml(&self) -> String {
        let mut text = String::from("provider: circleci\nparameters:\n");
        for (name, default) in &self.defaults {
            text.push_str(&format!(
                "  {name}: {{type: string, default: \"{default}\"}}\n"
            ));
        }
        text.push_str("architectures:\n");
        for (arch, class) in &self.arch_classes {
            text.push_str(&format!("  {arch}: {{resource_class: {class}}}\n"));
        }
        text.push_str("source_file_groups:\n");
        for (group, patterns) in &self.groups {
            text.push_str(&format!("  {group}: {}\n", quoted_list(patterns)));
        }
        text.push_str("orbs:\n");
        for (alias, version) in &self.orbs {
            text.push_str(&format!("  {alias}: circleci/{alias}@{version}\n"));
        }
        if let Some(salt) = &self.salt {
            text.push_str(&format!("hash_salt: \"{salt}\"\n"));
        }
        text
    }

    fn job_yml(&self, index: usize) -> String {
        let job = &self.jobs[index];
        let mut text = format!("image: {}\n", job.image);
        match &job.archs {
            Archs::Default => {}
            Archs::One(arch) => text.push_str(&format!("architectures: [{arch}]\n")),
            Archs::Both => text.push_str(&format!("architectures: [{}]\n", ARCHS.join(", "))),
        }
        if let Some(class) = &job.resource_class {
            text.push_str(&format!("resource_class: {class}\n"));
        }
        if let Some(n) = job.parallelism {
            text.push_str(&format!("parallelism: {n}\n"));
        }
        if !job.env.is_empty() {
            text.push_str("environment:\n");
            for (key, value) in &job.env {
                text.push_str(&format!("  {key}: \"{value}\"\n"));
            }
        }
        if job.hashed() {
            text.push_str(&format!("source_files: {}\n", quoted_list(&job.sources)));
        }
        if !job.requires.is_empty() {
            let ids: Vec<String> = job.requires.iter().map(|&r| self.jobs[r].id()).collect();
            text.push_str(&format!("requires: [{}]\n", ids.join(", ")));
        }
        text.push_str(&format!("steps:\n{}", steps_yaml(&job.steps)));
        text
    }
}

/// A made-up word with a prefix: run texts never contain `/`, so they
/// never look like an orb reference.
pub fn token(rng: &mut fastrand::Rng, prefix: &str) -> String {
    format!("{prefix}{}", rng.u32(..1_000_000))
}

pub fn random_value_step(rng: &mut fastrand::Rng) -> Step {
    Step::Value(VALUES[rng.usize(..VALUES.len())].to_string())
}

pub fn random_orb_step(rng: &mut fastrand::Rng) -> Step {
    if rng.bool() {
        Step::Orb("node".into(), "install".into())
    } else {
        Step::Orb("slack".into(), "notify".into())
    }
}

pub fn random_file(rng: &mut fastrand::Rng) -> File {
    File {
        content: format!("content {}\n", rng.u32(..1_000_000)),
        exec: rng.u8(..5) == 0,
    }
}

/// A fresh path that `pattern` matches.
fn path_for(pattern: &str, rng: &mut fastrand::Rng) -> String {
    let n = rng.u32(..100_000);
    if let Some(dir) = pattern.strip_suffix("/**") {
        return format!("{dir}/g{n}.txt");
    }
    if let Some((dir, ext)) = pattern.split_once("/**/*.") {
        let sub = if rng.bool() { "/deep" } else { "" };
        return format!("{dir}{sub}/g{n}.{ext}");
    }
    if let Some((dir, ext)) = pattern.split_once("/*.") {
        return format!("{dir}/g{n}.{ext}");
    }
    pattern.to_string()
}

fn command_steps(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .filter_map(|step| match step {
            Step::Command(name) => Some(name.clone()),
            _ => None,
        })
        .collect()
}

fn steps_yaml(steps: &[Step]) -> String {
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| match step {
            Step::Run(text) => format!("  - {{name: s{i}, run: \"echo {text}\"}}\n"),
            Step::Value(name) => format!("  - {{name: s{i}, run: \"echo << {name} >>\"}}\n"),
            Step::Command(name) => format!("  - {name}\n"),
            Step::Orb(alias, command) => format!("  - {alias}/{command}\n"),
        })
        .collect()
}

fn quoted_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("\"{item}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

fn put(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn remove(path: &Path) {
    match std::fs::remove_file(path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            panic!("rm {}: {err}", path.display())
        }
        _ => {}
    }
}

pub fn set_exec(path: &Path, exec: bool) {
    use std::os::unix::fs::PermissionsExt;
    let mode = if exec { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}
