//! The edits of the mutation test: one random edit of each input kind to
//! a `Project`, with the variants it must move — those whose own inputs it
//! changes (from the model: which job reads which file, uses which
//! command, orb or pipeline value, declares which arch) and every hashed
//! variant downstream of them. Input: a project and the environment of its
//! pipeline values; output: the edited copy and the expected set. Touches
//! no file.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    ARCHS, Archs, JOB_CLASSES, Project, RUNNERS, Step, VALUES, random_file, random_link, token,
};

/// Environment variable → value, as `cigen setup` would see it.
pub type Env = BTreeMap<String, String>;

/// Every input kind of the issue (a job field and an upstream job being
/// edits of a job), plus a `requires` edge and an architecture's class,
/// and the two inputs only GitHub's hash covers: a job's `github:` map and
/// an architecture's `runs_on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    FileContent,
    FileAdded,
    FileRemoved,
    Chmod,
    JobField,
    CommandBody,
    OrbVersion,
    UpstreamJob,
    Requires,
    PipelineValue,
    HashSalt,
    ArchClass,
    GithubMap,
    RunsOn,
}

pub const KINDS: [Kind; 14] = [
    Kind::FileContent,
    Kind::FileAdded,
    Kind::FileRemoved,
    Kind::Chmod,
    Kind::JobField,
    Kind::CommandBody,
    Kind::OrbVersion,
    Kind::UpstreamJob,
    Kind::Requires,
    Kind::PipelineValue,
    Kind::HashSalt,
    Kind::ArchClass,
    Kind::GithubMap,
    Kind::RunsOn,
];

/// One edit of a project and the variants it must move.
pub struct Case {
    pub description: String,
    pub project: Project,
    pub env: Env,
    pub expected: Moved,
}

/// Variant ids per provider's hash: those an edit reaches, or moves.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Moved {
    pub circleci: BTreeSet<String>,
    pub github: BTreeSet<String>,
}

impl Moved {
    /// The same variants on both providers.
    fn both(ids: BTreeSet<String>) -> Moved {
        Moved {
            circleci: ids.clone(),
            github: ids,
        }
    }

    fn circleci(ids: BTreeSet<String>) -> Moved {
        Moved {
            circleci: ids,
            github: BTreeSet::new(),
        }
    }

    /// Each provider's variants and every hashed variant downstream of them.
    fn github(ids: BTreeSet<String>) -> Moved {
        Moved {
            circleci: BTreeSet::new(),
            github: ids,
        }
    }

    fn downstream(&self, project: &Project) -> Moved {
        Moved {
            circleci: downstream(project, &self.circleci),
            github: downstream(project, &self.github),
        }
    }
}

/// Which providers' hashes an edit of a job's definition reaches.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reach {
    Both,
    Circleci,
}

/// Some pipeline values set through their variables, the others left at
/// their defaults.
pub fn random_env(rng: &mut fastrand::Rng) -> Env {
    let mut env = Env::new();
    for name in VALUES {
        if rng.bool() {
            env.insert(variable(name), token(rng, "val"));
        }
    }
    env
}

/// The variable `cigen setup` reads a pipeline value from.
pub fn variable(name: &str) -> String {
    match name.strip_prefix("pipeline.parameters.") {
        Some(parameter) => format!("CIGEN_PARAM_{parameter}"),
        None => format!(
            "CIGEN_PIPELINE_{}",
            name.trim_start_matches("pipeline.").replace('.', "_")
        ),
    }
}

/// The value this pipeline has: the variable, else the declared default
/// (parameters) or empty.
pub fn value_of(project: &Project, env: &Env, name: &str) -> String {
    if let Some(value) = env.get(&variable(name)) {
        return value.clone();
    }
    name.strip_prefix("pipeline.parameters.")
        .and_then(|parameter| project.defaults.get(parameter))
        .cloned()
        .unwrap_or_default()
}

/// One random edit of `kind` and the variants it must move: those whose
/// own inputs it changes, and every hashed variant downstream of them.
pub fn mutate(base: &Project, env: &Env, kind: Kind, rng: &mut fastrand::Rng) -> Case {
    let mut project = base.clone();
    let mut env = env.clone();
    let jobs_reading = |project: &Project, path: &str| -> Vec<usize> {
        (0..project.jobs.len())
            .filter(|&index| project.job_reads(index, path))
            .collect()
    };
    let (description, direct): (String, Moved) = match kind {
        Kind::FileContent => {
            let path = pick_file(base, rng, true);
            let file = project.files.get_mut(&path).expect("file");
            let what = if file.link {
                let old = file.content.clone();
                while file.content == old {
                    file.content = format!("missing{}", rng.u32(..1000));
                }
                "target of link"
            } else {
                file.content = changed_content(&file.content, rng);
                "content of"
            };
            (
                format!("{what} {path}"),
                Moved::both(variants_of(base, &jobs_reading(base, &path))),
            )
        }
        Kind::FileAdded => {
            let path = base.random_path(rng);
            let file = if rng.u8(..6) == 0 {
                random_link(base, &path, rng)
            } else {
                random_file(rng)
            };
            let what = if file.link { "link" } else { "file" };
            project.files.insert(path.clone(), file);
            (
                format!("added {what} {path}"),
                Moved::both(variants_of(base, &jobs_reading(base, &path))),
            )
        }
        Kind::FileRemoved => {
            let in_use = base.patterns_in_use();
            let removable: Vec<&String> = base
                .files
                .keys()
                .filter(|path| {
                    in_use
                        .iter()
                        .all(|pattern| base.counting_matches(pattern, Some(path.as_str())) >= 1)
                })
                .collect();
            let path = pick(rng, removable).clone();
            project.files.remove(&path);
            (
                format!("removed {path}"),
                Moved::both(variants_of(base, &jobs_reading(base, &path))),
            )
        }
        Kind::Chmod => {
            let path = pick_file(base, rng, false);
            let file = project.files.get_mut(&path).expect("file");
            file.exec = !file.exec;
            (
                format!("chmod {} {path}", if file.exec { "+x" } else { "-x" }),
                Moved::both(variants_of(base, &jobs_reading(base, &path))),
            )
        }
        Kind::JobField | Kind::UpstreamJob => {
            let upstream = base.upstream_jobs();
            let index = if kind == Kind::UpstreamJob && !upstream.is_empty() {
                upstream[rng.usize(..upstream.len())]
            } else {
                rng.usize(..base.jobs.len())
            };
            let (what, reach) = edit_job(&mut project, index, rng);
            let variants = variants_of(base, &[index]);
            (
                format!("{what} of job {}", base.jobs[index].id()),
                match reach {
                    Reach::Both => Moved::both(variants),
                    Reach::Circleci => Moved::circleci(variants),
                },
            )
        }
        Kind::CommandBody => {
            let k = rng.usize(..base.commands.len());
            let name = base.commands[k].name.clone();
            project.commands[k].steps[0] = Step::Run(token(rng, "cmd"));
            let users = |used: &dyn Fn(usize) -> BTreeSet<String>| -> Vec<usize> {
                (0..base.jobs.len())
                    .filter(|&index| used(index).contains(&name))
                    .collect()
            };
            // GitHub inlines a command only into jobs whose steps it translates.
            (
                format!("body of command {name}"),
                Moved {
                    circleci: variants_of(base, &users(&|i| base.commands_used(i))),
                    github: variants_of(base, &users(&|i| base.github_commands_used(i))),
                },
            )
        }
        Kind::OrbVersion => {
            let alias = pick(rng, base.orbs.keys()).clone();
            let old = base.orbs[&alias].clone();
            let mut version = old.clone();
            while version == old {
                version = format!("{}.{}.{}", rng.u8(4..=7), rng.u8(..10), rng.u8(..10));
            }
            project.orbs.insert(alias.clone(), version.clone());
            let users: Vec<usize> = (0..base.jobs.len())
                .filter(|&index| base.orbs_used(index).contains(&alias))
                .collect();
            // Only jobs with their own `github.steps` use orbs: GitHub never sees one.
            (
                format!("orb {alias} {old} -> {version}"),
                Moved::circleci(variants_of(base, &users)),
            )
        }
        Kind::Requires => return edit_requires(base, &env, rng),
        Kind::PipelineValue => {
            let name = VALUES[rng.usize(..VALUES.len())];
            let old = value_of(base, &env, name);
            let mut new = old.clone();
            while new == old {
                new = token(rng, "val");
            }
            let parameter = name.strip_prefix("pipeline.parameters.");
            let how = match parameter {
                Some(parameter) if !env.contains_key(&variable(name)) && rng.bool() => {
                    project.defaults.insert(parameter.to_string(), new.clone());
                    "default"
                }
                _ => {
                    env.insert(variable(name), new.clone());
                    "variable"
                }
            };
            let users: Vec<usize> = (0..base.jobs.len())
                .filter(|&index| base.values_used(index).contains(name))
                .collect();
            // A value the job's CircleCI steps reference is in its hash on
            // both providers, `github.steps` or not.
            (
                format!("{name} {old:?} -> {new:?} (by its {how})"),
                Moved::both(variants_of(base, &users)),
            )
        }
        Kind::HashSalt => {
            project.salt = match &base.salt {
                Some(_) if rng.bool() => None,
                _ => Some(token(rng, "salt")),
            };
            (
                format!("hash_salt {:?} -> {:?}", base.salt, project.salt),
                Moved::both(base.hashed_variants()),
            )
        }
        Kind::ArchClass => {
            let slot = rng.usize(..ARCHS.len());
            let arch = project.arch_classes[slot].0.clone();
            let taken: Vec<String> = base.arch_classes.iter().map(|(_, c)| c.clone()).collect();
            let class = pick(
                rng,
                ["small", "medium+", "arm.large", "arm.xlarge"]
                    .into_iter()
                    .filter(|class| !taken.iter().any(|t| t == class)),
            );
            project.arch_classes[slot].1 = class.to_string();
            // Only jobs that declare the arch take its class, unless they set their own.
            let changed: BTreeSet<String> = base
                .jobs
                .iter()
                .filter(|job| job.resource_class.is_none())
                .filter(|job| match &job.archs {
                    Archs::Default => false,
                    Archs::One(one) => one == &arch,
                    Archs::Both => true,
                })
                .flat_map(|job| job.variants())
                .filter(|(_, variant_arch)| variant_arch == &arch)
                .map(|(id, _)| id)
                .collect();
            let direct = variants_reaching(base, &changed);
            (
                format!("resource class of arch {arch} -> {class}"),
                Moved::circleci(direct),
            )
        }
        Kind::GithubMap => {
            let index = rng.usize(..base.jobs.len());
            let job = &mut project.jobs[index];
            while job.github_timeout == base.jobs[index].github_timeout {
                job.github_timeout = (rng.u8(..3) != 0).then(|| rng.u32(10..=60));
            }
            (
                format!(
                    "github.timeout-minutes {:?} -> {:?} of job {}",
                    base.jobs[index].github_timeout,
                    job.github_timeout,
                    job.id()
                ),
                Moved::github(variants_of(base, &[index])),
            )
        }
        Kind::RunsOn => {
            let arch = ARCHS[rng.usize(..ARCHS.len())];
            let old = base.runs_on.get(arch);
            // Declared, changed or dropped (back to cigen's default).
            while project.runs_on.get(arch) == old {
                match rng.u8(..5) {
                    0 => project.runs_on.remove(arch),
                    n => project
                        .runs_on
                        .insert(arch.to_string(), RUNNERS[usize::from(n) - 1].to_string()),
                };
            }
            // Every variant running on the arch (a job declaring none runs
            // on the first), unless the runner it names stays the same.
            let changed: BTreeSet<String> = if base.runs_on(arch) == project.runs_on(arch) {
                BTreeSet::new()
            } else {
                base.jobs
                    .iter()
                    .flat_map(|job| job.variants())
                    .filter(|(_, variant_arch)| variant_arch == arch)
                    .map(|(id, _)| id)
                    .collect()
            };
            (
                format!(
                    "runs_on of arch {arch} {old:?} -> {:?}",
                    project.runs_on.get(arch)
                ),
                Moved::github(variants_reaching(base, &changed)),
            )
        }
    };
    let expected = direct.downstream(&project);
    Case {
        description,
        project,
        env,
        expected,
    }
}

/// Adds a `requires` (or, when every possible one exists, removes one):
/// the variants whose nearest hashed upstream variants, or the unhashed
/// variants on the way to them, change move, and everything hashed
/// downstream of them.
fn edit_requires(base: &Project, env: &Env, rng: &mut fastrand::Rng) -> Case {
    let mut project = base.clone();
    let mut missing = vec![];
    for (index, job) in base.jobs.iter().enumerate() {
        for earlier in 0..index {
            if !job.requires.contains(&earlier) {
                missing.push((index, earlier));
            }
        }
    }
    let description = if !missing.is_empty() {
        let (index, earlier) = missing[rng.usize(..missing.len())];
        project.jobs[index].requires.push(earlier);
        format!(
            "job {} now requires {}",
            base.jobs[index].id(),
            base.jobs[earlier].id()
        )
    } else {
        let index = pick(
            rng,
            (0..base.jobs.len()).filter(|&i| !base.jobs[i].requires.is_empty()),
        );
        let dropped = project.jobs[index].requires.remove(0);
        format!(
            "job {} no longer requires {}",
            base.jobs[index].id(),
            base.jobs[dropped].id()
        )
    };
    let hashed = base.hashed_variants();
    let (before, after) = (base.graph(), project.graph());
    let direct: BTreeSet<String> = hashed
        .iter()
        .filter(|id| {
            nearest_hashed(&before, &hashed, id) != nearest_hashed(&after, &hashed, id)
                || walked(&before, &hashed, id) != walked(&after, &hashed, id)
        })
        .cloned()
        .collect();
    // Requirements change the walk on both providers alike.
    let expected = Moved::both(direct).downstream(&project);
    Case {
        description,
        project,
        env: env.clone(),
        expected,
    }
}

/// Edits one field of job `index`; returns which, and whose hashes it
/// reaches (GitHub has no contexts or resource classes, and runs a job's
/// `github.steps` instead of its steps).
fn edit_job(project: &mut Project, index: usize, rng: &mut fastrand::Rng) -> (String, Reach) {
    let job = &mut project.jobs[index];
    match rng.u8(..6) {
        5 => {
            let old = job.context.clone();
            while job.context == old {
                job.context = match rng.u8(..4) {
                    0 => None,
                    n => Some(format!("ctx{n}")),
                };
            }
            ("context".into(), Reach::Circleci)
        }
        0 => {
            let old = job.image.clone();
            while job.image == old {
                job.image = format!("cimg/base:2025.{:02}", rng.u8(1..=12));
            }
            ("image".into(), Reach::Both)
        }
        1 => {
            match job
                .steps
                .iter()
                .position(|step| matches!(step, Step::Run(_)))
            {
                Some(at) => job.steps[at] = Step::Run(token(rng, "run")),
                None => job.steps.push(Step::Run(token(rng, "run"))),
            }
            let reach = if job.github_translated() {
                Reach::Both
            } else {
                Reach::Circleci
            };
            ("a step".into(), reach)
        }
        2 => {
            job.env
                .push((format!("E{}", job.env.len()), token(rng, "e")));
            ("environment".into(), Reach::Both)
        }
        3 => {
            let old = job.resource_class.clone();
            while job.resource_class == old {
                job.resource_class = if old.is_some() && rng.bool() {
                    None
                } else {
                    Some(JOB_CLASSES[rng.usize(..JOB_CLASSES.len())].to_string())
                };
            }
            ("resource class".into(), Reach::Circleci)
        }
        _ => {
            job.parallelism = match job.parallelism {
                None => Some(2),
                Some(2) => Some(3),
                Some(_) => None,
            };
            ("parallelism".into(), Reach::Both)
        }
    }
}

/// The hashed variants whose own inputs include the given jobs'
/// definitions: the hashed variants of those jobs, and the hashed variants
/// that walk through an unhashed variant of them on the way to their nearest
/// hashed upstream variants (an unhashed job's definition is part of the
/// hash of every hashed job that reaches it that way).
pub fn variants_of(project: &Project, jobs: &[usize]) -> BTreeSet<String> {
    let ids: BTreeSet<String> = jobs
        .iter()
        .flat_map(|&index| project.jobs[index].variants().into_iter().map(|(id, _)| id))
        .collect();
    variants_reaching(project, &ids)
}

/// The hashed variants among `ids`, and those walking through an unhashed one of them.
fn variants_reaching(project: &Project, ids: &BTreeSet<String>) -> BTreeSet<String> {
    let graph = project.graph();
    let hashed = project.hashed_variants();
    hashed
        .iter()
        .filter(|id| ids.contains(*id) || !walked(&graph, &hashed, id).is_disjoint(ids))
        .cloned()
        .collect()
}

/// `direct` and every hashed variant that requires one of them, directly
/// or through other jobs (hashed or not).
pub fn downstream(project: &Project, direct: &BTreeSet<String>) -> BTreeSet<String> {
    let graph = project.graph();
    let hashed = project.hashed_variants();
    let mut seen: BTreeSet<String> = direct.clone();
    let mut stack: Vec<String> = direct.iter().cloned().collect();
    while let Some(current) = stack.pop() {
        for (id, requires) in &graph {
            if requires.contains(&current) && seen.insert(id.clone()) {
                stack.push(id.clone());
            }
        }
    }
    seen.intersection(&hashed).cloned().collect()
}

/// The unhashed variants `id` passes on its way up to its nearest hashed
/// variants (the walk goes on above an unhashed variant, stops at a hashed one).
pub fn walked(
    graph: &BTreeMap<String, BTreeSet<String>>,
    hashed: &BTreeSet<String>,
    id: &str,
) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack: Vec<&String> = graph[id].iter().collect();
    while let Some(current) = stack.pop() {
        if hashed.contains(current) || !found.insert(current.clone()) {
            continue;
        }
        stack.extend(graph[current].iter());
    }
    found
}

/// The hashed variants `id` reaches first on each path up the graph.
pub fn nearest_hashed(
    graph: &BTreeMap<String, BTreeSet<String>>,
    hashed: &BTreeSet<String>,
    id: &str,
) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut stack: Vec<&String> = graph[id].iter().collect();
    while let Some(current) = stack.pop() {
        if !seen.insert(current.clone()) {
            continue;
        }
        if hashed.contains(current) {
            found.insert(current.clone());
        } else {
            stack.extend(graph[current].iter());
        }
    }
    found
}

/// New content: the same length with one digit changed, or longer.
fn changed_content(old: &str, rng: &mut fastrand::Rng) -> String {
    if rng.bool()
        && let Some(at) = old.rfind(|c: char| c.is_ascii_digit())
    {
        let digit = old.as_bytes()[at] - b'0';
        let new = (digit + rng.u8(1..10)) % 10;
        let mut bytes = old.as_bytes().to_vec();
        bytes[at] = b'0' + new;
        return String::from_utf8(bytes).expect("ascii");
    }
    format!("{old}more\n")
}

/// A file (or link, with `links`), three times in four one that some
/// hashed job reads.
pub fn pick_file(project: &Project, rng: &mut fastrand::Rng, links: bool) -> String {
    let candidates: Vec<&String> = project
        .files
        .iter()
        .filter(|(_, file)| links || !file.link)
        .map(|(path, _)| path)
        .collect();
    let read: Vec<&String> = candidates
        .iter()
        .copied()
        .filter(|path| (0..project.jobs.len()).any(|index| project.job_reads(index, path)))
        .collect();
    if !read.is_empty() && rng.u8(..4) != 0 {
        return pick(rng, read).clone();
    }
    pick(rng, candidates).clone()
}

pub fn pick<T>(rng: &mut fastrand::Rng, items: impl IntoIterator<Item = T>) -> T {
    let items: Vec<T> = items.into_iter().collect();
    assert!(!items.is_empty(), "nothing to pick from");
    let at = rng.usize(..items.len());
    items.into_iter().nth(at).expect("in range")
}
