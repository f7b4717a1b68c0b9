//! Writes a mutation-test project to disk: `.cigen/` (settings, stages,
//! commands, one file per job) and `.gitignore` from the model, and the
//! source files with their executable bits; and turns one project on disk
//! into another touching only what differs, so a git index keeps every
//! other entry clean.

use std::collections::BTreeMap;
use std::path::Path;

use super::{ARCHS, Archs, Project, Step};

impl Project {
    /// Writes `.cigen/`, `.gitignore` and the source files under `root`.
    pub fn write(&self, root: &Path) {
        for (rel, text) in self.config_files() {
            put(root, &rel, &text);
        }
        for (path, file) in &self.files {
            create(root, path, file);
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
            match old {
                Some(old) if old == file => {}
                // Same kind of regular file: write or chmod in place.
                Some(old) if !old.link && !file.link => {
                    if old.content != file.content {
                        put(root, path, &file.content);
                    }
                    if old.exec != file.exec {
                        set_exec(&root.join(path), file.exec);
                    }
                }
                // A link retargeted, or a file turned into a link or back:
                // never write through a link.
                _ => {
                    remove(&root.join(path));
                    create(root, path, file);
                }
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
        if self.nested_gitignore {
            // Itself a file under `src/`: patterns there match it (it never changes).
            files.insert("src/.gitignore".to_string(), "*.tmp\n".to_string());
        }
        if self.gitignore {
            files.insert(".gitignore".to_string(), "*.log\n".to_string());
        }
        files
    }

    fn config_yml(&self) -> String {
        let mut text = String::from("providers: [circleci, github]\nparameters:\n");
        for (name, default) in &self.defaults {
            text.push_str(&format!(
                "  {name}: {{type: string, default: \"{default}\"}}\n"
            ));
        }
        text.push_str("architectures:\n");
        for (arch, class) in &self.arch_classes {
            let runs_on = match self.runs_on.get(arch) {
                Some(label) => format!(", runs_on: {label}"),
                None => String::new(),
            };
            text.push_str(&format!("  {arch}: {{resource_class: {class}{runs_on}}}\n"));
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
        if let Some(context) = &job.context {
            text.push_str(&format!("context: [{context}]\n"));
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
        text.push_str(&github_yml(job));
        assert!(
            job.github_steps.is_some() || self.orbs_used(index).is_empty(),
            "job {} uses an orb, which GitHub cannot translate, and has no `github.steps`",
            job.id()
        );
        text
    }
}

/// The job's `github:` map, if it has one.
fn github_yml(job: &super::Job) -> String {
    let mut entries = vec![];
    if let Some(text) = &job.github_steps {
        entries.push(format!("steps: [{{run: \"echo {text}\"}}]"));
    }
    if let Some(minutes) = job.github_timeout {
        entries.push(format!("timeout-minutes: {minutes}"));
    }
    if entries.is_empty() {
        return String::new();
    }
    format!("github: {{{}}}\n", entries.join(", "))
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
            Step::When { value, inner } => format!(
                "  - {{when: {{condition: {{equal: [x, \"<< {value} >>\"]}}, steps: [{}]}}}}\n",
                flow_step(inner)
            ),
        })
        .collect()
}

/// A step inside a `when`, in flow style.
fn flow_step(step: &Step) -> String {
    match step {
        Step::Run(text) => format!("{{run: \"echo {text}\"}}"),
        Step::Value(name) => format!("{{run: \"echo << {name} >>\"}}"),
        Step::Command(name) => name.clone(),
        Step::Orb(alias, command) => format!("{alias}/{command}"),
        Step::When { .. } => panic!("a when inside a when is not generated"),
    }
}

fn quoted_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("\"{item}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

/// A regular file with its mode, or a symlink.
fn create(root: &Path, rel: &str, file: &super::File) {
    if file.link {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::os::unix::fs::symlink(&file.content, path).expect("symlink");
    } else {
        put(root, rel, &file.content);
        set_exec(&root.join(rel), file.exec);
    }
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

fn set_exec(path: &Path, exec: bool) {
    use std::os::unix::fs::PermissionsExt;
    let mode = if exec { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}
