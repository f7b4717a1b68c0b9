//! Mutation test (issue 9, "Proof that scales"): random small projects —
//! `.cigen/` with single, one-arch and multi-arch jobs, parallel and
//! unhashed ones, `requires` chains (through unhashed jobs and stages,
//! behind approvals or not), commands using commands, orbs, pipeline values
//! (in steps, `when` conditions and environment), contexts, source groups,
//! `.gitignore`s at the root and below, and random files, some executable,
//! some symlinks — then, from each project, one random edit of every input
//! kind. Projects configure `providers: [circleci, github]`, and each
//! case asserts, for the CircleCI and the GitHub hashes alike, that
//! **exactly** the variants whose inputs on that provider include the edit,
//! and their hashed dependents, change hash (a context or resource class
//! is CircleCI's alone, a `github:` map GitHub's); the expected sets come
//! from the test's own model of what it generated (`mutationsupport`),
//! never from cigen.
//!
//! Hashes come from the library (`config::load` → `model::build` →
//! `plan::build` → `setup::values::read` → `setup::hashes::compute` once
//! per provider), the one code path of `cigen hash`/`setup`/`continue`. Most projects live in
//! plain directories (the walk); every fourth is a git work tree (the index:
//! commit, then edit, then maybe stage or commit the edit), whose committed
//! state must hash as the plain copy does.
//!
//! Seeded: `CIGEN_MUTATION_SEED=<seed>` replays a run (the seed is printed at
//! the end and in every failure), `CIGEN_MUTATION_REPO=<n>` replays one
//! project alone, `CIGEN_MUTATION_REPOS=<n>` sets how many projects (14 cases
//! each; default 90, so 1,260 cases).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use cigen::provider::Provider;

use crate::mutationsupport::Project;
use crate::mutationsupport::edits::{Case, Env, KINDS, Moved, mutate, random_env};
use crate::seedsupport::{Seed, env_number, report};

type Hashes = BTreeMap<String, String>;

/// Every hashed variant's hash as each provider renders its job.
#[derive(Debug, PartialEq)]
struct ByProvider {
    circleci: Hashes,
    github: Hashes,
}

impl ByProvider {
    /// The variants whose hash differs in `after`, per provider; `Err`
    /// when `after` hashes other variants.
    fn moved_in(&self, after: &ByProvider) -> Result<Moved, String> {
        let moved = |before: &Hashes, after: &Hashes| -> Result<BTreeSet<String>, String> {
            if !after.keys().eq(before.keys()) {
                return Err(format!(
                    "other variants are hashed after the edit: {:?}",
                    after.keys().collect::<Vec<_>>()
                ));
            }
            Ok(before
                .iter()
                .filter(|(id, hash)| after.get(*id) != Some(*hash))
                .map(|(id, _)| id.clone())
                .collect())
        };
        Ok(Moved {
            circleci: moved(&self.circleci, &after.circleci)?,
            github: moved(&self.github, &after.github)?,
        })
    }
}

#[derive(Default)]
struct Tally {
    cases: usize,
    git_cases: usize,
    /// Cases whose edit must move nothing (a file no job reads, an unhashed job…).
    unmoved: usize,
    moved: usize,
    per_kind: BTreeMap<String, usize>,
    from_index: usize,
    from_content: usize,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.cases += other.cases;
        self.git_cases += other.git_cases;
        self.unmoved += other.unmoved;
        self.moved += other.moved;
        self.from_index += other.from_index;
        self.from_content += other.from_content;
        for (kind, n) in other.per_kind {
            *self.per_kind.entry(kind).or_default() += n;
        }
    }
}

#[test]
fn every_edit_moves_exactly_the_hashes_of_the_variants_it_reaches() {
    let seed = Seed::from_env("CIGEN_MUTATION_SEED");
    let repos = env_number("CIGEN_MUTATION_REPOS").unwrap_or(90);
    let only = env_number("CIGEN_MUTATION_REPO");
    let started = Instant::now();
    let indices: Vec<u64> = match only {
        Some(repo) => vec![repo],
        None => (0..repos).collect(),
    };
    let workers = 2;
    let results: Vec<Result<Tally, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let mine: Vec<u64> = indices
                    .iter()
                    .copied()
                    .skip(worker)
                    .step_by(workers)
                    .collect();
                scope.spawn(move || {
                    let mut tally = Tally::default();
                    for repo in mine {
                        tally.add(run_repo(seed, repo)?);
                    }
                    Ok(tally)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err("worker panicked".into()))
            })
            .collect()
    });
    let mut tally = Tally::default();
    let mut failures = vec![];
    for result in results {
        match result {
            Ok(part) => tally.add(part),
            Err(failure) => failures.push(failure),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The default run: no case count or single project asked for.
    if only.is_none() && env_number("CIGEN_MUTATION_REPOS").is_none() {
        assert!(tally.cases >= 1000, "only {} cases", tally.cases);
        assert!(tally.git_cases > 0 && tally.git_cases < tally.cases);
        // Both ways of finding object ids were used: the git index and content.
        assert!(tally.from_index > 0, "no object id came from the index");
        assert!(tally.from_content > 0);
        assert!(tally.unmoved > 0 && tally.unmoved < tally.cases / 2);
    }
    report(&format!(
        "mutation: {} cases ({} in git work trees; {} moving no hash), {} variant hashes moved as expected, {:.1} s; per kind {:?}; seed {} (reproduce: {} cargo test --test it mutation::)",
        tally.cases,
        tally.git_cases,
        tally.unmoved,
        tally.moved,
        started.elapsed().as_secs_f64(),
        tally.per_kind,
        seed.value,
        seed.reproduce()
    ));
}

/// One random project and one edit of every kind, each applied in place
/// and then undone; `Err` describes the first mismatch (or panic) and keeps
/// the directory as the failing edit left it.
fn run_repo(seed: Seed, repo: u64) -> Result<Tally, String> {
    let in_git = repo % 4 == 3;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut tally = Tally::default();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut rng = seed.rng(repo);
        let base = Project::random(&mut rng);
        let env = random_env(&mut rng);
        let project = Repo {
            base: &base,
            env: &env,
            root: dir.path(),
            in_git,
        };
        project.run(&mut rng, &mut tally)
    }))
    .unwrap_or_else(|payload| Err(format!("panicked: {}", panic_text(&*payload))));
    match result {
        Ok(()) => Ok(tally),
        Err(err) => Err(format!(
            "seed {} repo {repo} ({}): {err}\n  kept: {}\n  reproduce: {} CIGEN_MUTATION_REPO={repo} cargo test --test it mutation::",
            seed.value,
            if in_git {
                "git work tree"
            } else {
                "plain directory"
            },
            dir.keep().display(),
            seed.reproduce()
        )),
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// One project on disk, in a plain directory or a git work tree.
struct Repo<'a> {
    base: &'a Project,
    env: &'a Env,
    root: &'a Path,
    in_git: bool,
}

impl Repo<'_> {
    /// The base, then every kind of edit in turn.
    fn run(&self, rng: &mut fastrand::Rng, tally: &mut Tally) -> Result<(), String> {
        let base_hashes = base_hashes(self.base, self.env, self.root, self.in_git, tally)?;
        for kind in KINDS {
            let case = mutate(self.base, self.env, kind, rng);
            let what = format!("{kind:?}: {}", case.description);
            let moved = self
                .edit_and_hash(&case, &base_hashes, rng, tally)
                .map_err(|err| format!("{what}: {err}"))?;
            tally.cases += 1;
            tally.git_cases += usize::from(self.in_git);
            tally.moved += moved.circleci.len() + moved.github.len();
            tally.unmoved += usize::from(moved == Moved::default());
            *tally.per_kind.entry(format!("{kind:?}")).or_default() += 1;
        }
        Ok(())
    }

    /// Applies the edit (in a work tree: left dirty, staged or committed),
    /// checks which hashes moved on each provider, and undoes it. Returns
    /// what moved.
    fn edit_and_hash(
        &self,
        case: &Case,
        base_hashes: &ByProvider,
        rng: &mut fastrand::Rng,
        tally: &mut Tally,
    ) -> Result<Moved, String> {
        case.project.write_over(self.base, self.root);
        let staged = if self.in_git {
            stage(self.root, rng)?
        } else {
            Staged::No
        };
        let (after, stats) = hashes(self.root, &case.env)?;
        tally.from_index += stats.files_from_index;
        tally.from_content += stats.files_hashed_from_content;
        let moved = base_hashes.moved_in(&after)?;
        for (provider, expected, moved) in [
            ("circleci", &case.expected.circleci, &moved.circleci),
            ("github", &case.expected.github, &moved.github),
        ] {
            if moved != expected {
                return Err(format!(
                    "other {provider} hashes moved than expected\n  expected to move: {expected:?}\n  moved:            {moved:?}\n  (all expected: {:?})",
                    case.expected
                ));
            }
        }
        unstage(self.root, staged)?;
        self.base.write_over(&case.project, self.root);
        if self.in_git {
            // Undone, the tree hashes as before: nothing lingers in the index.
            let (again, _) = hashes(self.root, self.env)?;
            if &again != base_hashes {
                return Err("undoing the edit did not restore the hashes".into());
            }
        }
        Ok(moved)
    }
}

/// Writes the base project (committed, in a git work tree) and hashes it;
/// checks that cigen's hashed variants are the model's on both providers,
/// that no variant hashes alike on both, and, in a work tree, that the
/// index gives the hashes a plain copy gives.
fn base_hashes(
    base: &Project,
    env: &Env,
    root: &Path,
    in_git: bool,
    tally: &mut Tally,
) -> Result<ByProvider, String> {
    base.write(root);
    if in_git {
        git(root, &["init", "-q", "-b", "main"])?;
        git(root, &["add", "-A"])?;
        git(root, &["commit", "-q", "-m", "base"])?;
    }
    let (hashes_here, stats) = hashes(root, env).map_err(|err| format!("base project: {err}"))?;
    tally.from_index += stats.files_from_index;
    // Once per provider's hashing inside a work tree, never outside.
    if stats.index_reads != 2 * usize::from(in_git) {
        return Err(format!("index read {} times", stats.index_reads));
    }
    let model = base.hashed_variants();
    for (provider, hashes) in [
        ("circleci", &hashes_here.circleci),
        ("github", &hashes_here.github),
    ] {
        if !hashes.keys().eq(model.iter()) {
            return Err(format!(
                "cigen hashes {:?} for {provider}, the model has {model:?}",
                hashes.keys().collect::<Vec<_>>()
            ));
        }
    }
    if let Some(id) = model
        .iter()
        .find(|id| hashes_here.circleci[*id] == hashes_here.github[*id])
    {
        return Err(format!("variant {id} hashes alike on both providers"));
    }
    if in_git {
        let plain = tempfile::tempdir().expect("temp dir");
        base.write(plain.path());
        let (walked, _) = hashes(plain.path(), env)?;
        if walked != hashes_here {
            return Err(format!(
                "the committed base hashes differently from its plain copy:\n  git:   {hashes_here:?}\n  plain: {walked:?}"
            ));
        }
    }
    Ok(hashes_here)
}

/// What became of an edit in a git work tree.
#[derive(Clone, Copy)]
enum Staged {
    No,
    Added,
    Committed,
}

/// Leaves the edit in the work tree, stages it, or commits it.
fn stage(root: &Path, rng: &mut fastrand::Rng) -> Result<Staged, String> {
    Ok(match rng.u8(..5) {
        0 => {
            git(root, &["add", "-A"])?;
            Staged::Added
        }
        1 => {
            git(root, &["add", "-A"])?;
            git(root, &["commit", "-q", "--allow-empty", "-m", "edit"])?;
            Staged::Committed
        }
        _ => Staged::No,
    })
}

/// Back to the base commit and index, leaving the work tree as it is.
fn unstage(root: &Path, staged: Staged) -> Result<(), String> {
    match staged {
        Staged::No => Ok(()),
        Staged::Added => git(root, &["reset", "-q"]),
        Staged::Committed => {
            git(root, &["reset", "-q", "--soft", "HEAD~1"])?;
            git(root, &["reset", "-q"])
        }
    }
}

fn git(root: &Path, args: &[&str]) -> Result<(), String> {
    let output = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(["-c", "core.autocrlf=false", "-c", "core.filemode=true"])
        .args(args)
        .current_dir(root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", root)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .map_err(|err| format!("git: {err}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Every hashed variant's hash on each provider, through the library, as
/// `cigen setup --provider …` computes them with `env` as its environment;
/// the statistics are the two computations' sums.
fn hashes(root: &Path, env: &Env) -> Result<(ByProvider, cigen::hash::HashStats), String> {
    let run = || -> cigen::error::Result<(ByProvider, cigen::hash::HashStats)> {
        let loaded = cigen::config::load(&root.join(".cigen"))?;
        let project = cigen::model::build(&loaded)?;
        // Plan warnings (triggers that cannot start their job) do not matter here.
        let plans = cigen::plan::build(&project, &mut vec![])?;
        let (workflow, plan) = project
            .workflows
            .iter()
            .zip(&plans)
            .find(|(workflow, _)| workflow.trigger.is_none())
            .expect("the dynamic workflow");
        let values =
            cigen::setup::values::read(&project, &plan.hash_pipeline_values(workflow), |name| {
                Ok(env.get(name).cloned())
            })?;
        let compute =
            |provider| cigen::setup::hashes::compute(&project, workflow, plan, &values, provider);
        let (circleci, github) = (compute(Provider::Circleci)?, compute(Provider::Github)?);
        let stats = cigen::hash::HashStats {
            index_reads: circleci.stats.index_reads + github.stats.index_reads,
            files_hashed_from_content: circleci.stats.files_hashed_from_content
                + github.stats.files_hashed_from_content,
            files_from_index: circleci.stats.files_from_index + github.stats.files_from_index,
            files_matched: circleci.stats.files_matched + github.stats.files_matched,
        };
        let hashes = ByProvider {
            circleci: circleci.hashes.into_iter().collect(),
            github: github.hashes.into_iter().collect(),
        };
        Ok((hashes, stats))
    };
    run().map_err(|err| err.to_string())
}
