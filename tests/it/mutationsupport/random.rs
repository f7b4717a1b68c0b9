//! Random projects for the mutation test: a few jobs in up to two stages
//! (default, one declared arch or both; parallel or not; hashed or not),
//! commands that may use each other, orbs and pipeline values, `requires`
//! pointing only backwards (so never a cycle), and source files filling
//! every pattern in use at least twice (once for an exact path), so that
//! any one file can go without a pattern matching nothing.

use std::collections::BTreeMap;

use super::{
    ARCHS, Archs, Command, DIRS, EXTS, File, JOB_CLASSES, Job, PARAMETERS, PATTERNS, Project,
    RUNNERS, Step, VALUES,
};

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
            // Declared or left to cigen's default, now and then the default itself.
            runs_on: ARCHS
                .iter()
                .filter_map(|arch| {
                    let label = RUNNERS[rng.usize(..RUNNERS.len())];
                    rng.bool().then(|| (arch.to_string(), label.to_string()))
                })
                .collect(),
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
            nested_gitignore: rng.bool(),
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
        // GitHub cannot translate orb steps: those jobs bring their own.
        for index in 0..project.jobs.len() {
            if !project.orbs_used(index).is_empty() || rng.u8(..8) == 0 {
                project.jobs[index].github_steps = Some(token(rng, "gh"));
            }
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
            let step = self.random_step(rng);
            steps.push(if rng.u8(..6) == 0 {
                Step::When {
                    value: VALUES[rng.usize(..VALUES.len())].to_string(),
                    inner: Box::new(step),
                }
            } else {
                step
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
            context: (rng.u8(..5) == 0).then(|| format!("ctx{}", rng.u8(..3))),
            env,
            parallelism: (rng.u8(..4) == 0).then(|| rng.u32(2..=3)),
            steps,
            sources,
            requires: vec![],
            github_steps: None,
            github_timeout: (rng.u8(..4) == 0).then(|| rng.u32(10..=60)),
        }
    }

    fn random_step(&self, rng: &mut fastrand::Rng) -> Step {
        match rng.u8(..5) {
            0 => Step::Command(format!("c{}", rng.usize(..self.commands.len()))),
            1 => random_orb_step(rng),
            2 => random_value_step(rng),
            _ => Step::Run(token(rng, "run")),
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
        // Some files are symlinks: they still count as matches.
        let paths: Vec<String> = self.files.keys().cloned().collect();
        for path in paths {
            if rng.u8(..8) == 0 {
                let link = random_link(self, &path, rng);
                self.files.insert(path, link);
            }
        }
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
        link: false,
    }
}

/// A symlink at `path` to a file beside it, or to nothing.
pub fn random_link(project: &Project, path: &str, rng: &mut fastrand::Rng) -> File {
    let dir = path.rsplit_once('/').map(|(dir, _)| dir).unwrap_or("");
    let siblings: Vec<&str> = project
        .files
        .keys()
        .filter(|other| other.rsplit_once('/').map(|(d, _)| d).unwrap_or("") == dir)
        .filter(|other| other.as_str() != path)
        .map(|other| other.rsplit('/').next().unwrap_or(other))
        .collect();
    let content = if !siblings.is_empty() && rng.bool() {
        siblings[rng.usize(..siblings.len())].to_string()
    } else {
        format!("missing{}", rng.u32(..1000))
    };
    File {
        content,
        exec: false,
        link: true,
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
