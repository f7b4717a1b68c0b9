//! Loading: finds the configuration (a `.cigen/` directory or a single
//! `cigen.yml`), reads and parses every file into raw serde types, merges
//! `config/*.yml` fragments in file-name order, and remembers where each
//! piece came from so later errors can name file, line and key.
//! It checks shape only; meaning is checked in `model`.

mod diagnose;
mod discover;
mod forms;
mod locate;
mod merge;
mod raw;
mod source;
mod strict;

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_yaml::Value;

pub(crate) use crate::value::Seg;
/// The model's unit tests show fault paths as the key of a message shows them.
#[cfg(test)]
pub(crate) use crate::value::render;
pub(crate) use discover::locate;
pub(crate) use forms::{RawRequire, StringOrList};
pub(crate) use raw::*;
pub(crate) use source::Source;

use crate::error::{ConfigError, Error, Result, suggest};

/// Where a piece of configuration was written: a file and the key path
/// inside it (empty for a whole file).
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub source: usize,
    pub keys: Vec<String>,
}

impl Origin {
    /// The key an error about the whole origin names: its key path, or
    /// `(file)` for a file of its own.
    pub(crate) fn key(&self) -> String {
        if self.keys.is_empty() {
            "(file)".to_string()
        } else {
            self.keys.join(".")
        }
    }
}

#[derive(Debug)]
pub struct Loaded {
    /// Repository root: `.circleci/` is written here.
    pub(crate) root: PathBuf,
    pub(crate) sources: Vec<Source>,
    /// Files that make up the project settings, in merge order.
    pub(crate) project_sources: Vec<usize>,
    pub(crate) project: RawProject,
    pub(crate) commands: Vec<LoadedCommand>,
    pub(crate) workflows: Vec<LoadedWorkflow>,
}

#[derive(Debug)]
pub(crate) struct LoadedCommand {
    pub name: String,
    pub origin: Origin,
    pub body: Value,
}

#[derive(Debug)]
pub(crate) struct LoadedWorkflow {
    pub name: String,
    pub origin: Origin,
    pub raw: RawWorkflow,
    pub jobs: Vec<LoadedJob>,
}

#[derive(Debug)]
pub(crate) struct LoadedJob {
    pub name: String,
    pub stage: Option<String>,
    pub origin: Origin,
    pub raw: RawJob,
}

impl Loaded {
    pub(crate) fn error(
        &self,
        origin: &Origin,
        keys: &[&str],
        needle: Option<&str>,
    ) -> ConfigError {
        let source = &self.sources[origin.source];
        let mut path: Vec<&str> = origin.keys.iter().map(String::as_str).collect();
        path.extend_from_slice(keys);
        let line = source.line_of(&path, needle).or_else(|| {
            source.line_of(
                &origin.keys.iter().map(String::as_str).collect::<Vec<_>>(),
                None,
            )
        });
        let key = match needle {
            Some(needle) if !keys.is_empty() => format!("{}: {needle}", keys.join(".")),
            Some(needle) => needle.to_string(),
            None if !keys.is_empty() => keys.join("."),
            None => origin.key(),
        };
        ConfigError::new(&source.path, key, "").line(line)
    }

    /// Error about a project-level setting: blames the last file that sets it.
    pub(crate) fn project_error(&self, keys: &[&str], needle: Option<&str>) -> ConfigError {
        let source = self
            .project_sources
            .iter()
            .rev()
            .copied()
            .find(|index| self.sources[*index].line_of(&keys[..1], None).is_some())
            .or(self.project_sources.first().copied())
            .unwrap_or(0);
        self.error(
            &Origin {
                source,
                keys: vec![],
            },
            keys,
            needle,
        )
    }
}

pub fn load(path: &Path) -> Result<Loaded> {
    let root = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = PathBuf::from(path.file_name().unwrap_or(path.as_os_str()));
    let loader = Loader {
        root,
        sources: vec![],
        project_sources: vec![],
    };
    if path.is_dir() {
        loader.load_dir(path, &name)
    } else {
        loader.load_file(path, &name)
    }
}

struct Loader {
    root: PathBuf,
    sources: Vec<Source>,
    project_sources: Vec<usize>,
}

impl Loader {
    fn read(&mut self, path: &Path, shown: PathBuf) -> Result<usize> {
        self.sources.push(Source::read(path, shown)?);
        Ok(self.sources.len() - 1)
    }

    fn load_file(mut self, path: &Path, shown: &Path) -> Result<Loaded> {
        let index = self.read(path, shown.to_path_buf())?;
        let project: RawProject = parse(&self.sources[index])?;
        let value: Value = parse(&self.sources[index])?;
        diagnose::check_settings_types(&self.sources[index], &value)?;
        self.project_sources.push(index);
        self.finish(project, vec![], vec![])
    }

    fn load_dir(mut self, dir: &Path, shown: &Path) -> Result<Loaded> {
        let mut merged = Value::Null;
        let mut files: Vec<(PathBuf, PathBuf)> = config_file(dir, shown)?.into_iter().collect();
        for (path, name) in yaml_files(&dir.join("config"))? {
            files.push((path, shown.join("config").join(name)));
        }
        for (path, shown) in files {
            let index = self.read(&path, shown)?;
            // Parse each file on its own first so shape errors carry its line.
            let _: RawProject = parse(&self.sources[index])?;
            let value: Value = parse(&self.sources[index])?;
            diagnose::check_settings_types(&self.sources[index], &value)?;
            merge::deep_merge(&mut merged, value);
            self.project_sources.push(index);
        }
        let settings: Vec<&Source> = self
            .project_sources
            .iter()
            .map(|i| &self.sources[*i])
            .collect();
        let project = diagnose::merged_settings(&settings, merged)?;

        let mut commands = vec![];
        for (path, name) in yaml_files(&dir.join("commands"))? {
            let index = self.read(&path, shown.join("commands").join(&name))?;
            let body: Value = parse(&self.sources[index])?;
            commands.push(LoadedCommand {
                name: stem(&name),
                origin: Origin {
                    source: index,
                    keys: vec![],
                },
                body,
            });
        }

        let mut workflows = vec![];
        for (wf_dir, wf_name) in subdirs(&dir.join("workflows"))? {
            workflows.push(self.load_workflow_dir(
                &wf_dir,
                &wf_name,
                &shown.join("workflows").join(&wf_name),
            )?);
        }
        self.finish(project, commands, workflows)
    }

    fn load_workflow_dir(
        &mut self,
        dir: &Path,
        name: &str,
        shown: &Path,
    ) -> Result<LoadedWorkflow> {
        let (raw, source) = if let Some((config, config_shown)) = config_file(dir, shown)? {
            let index = self.read(&config, config_shown)?;
            (parse::<RawWorkflow>(&self.sources[index])?, index)
        } else {
            self.sources
                .push(Source::inline(shown.join("config.yml"), String::new()));
            (RawWorkflow::default(), self.sources.len() - 1)
        };
        let mut jobs = vec![];
        let jobs_dir = dir.join("jobs");
        for (path, file) in yaml_files(&jobs_dir)? {
            let index = self.read(&path, shown.join("jobs").join(&file))?;
            let raw: RawJob = parse_job(&self.sources[index])?;
            jobs.push(LoadedJob {
                name: stem(&file),
                stage: None,
                origin: Origin {
                    source: index,
                    keys: vec![],
                },
                raw,
            });
        }
        for (stage_dir, stage) in subdirs(&jobs_dir)? {
            for (path, file) in yaml_files(&stage_dir)? {
                let index = self.read(&path, shown.join("jobs").join(&stage).join(&file))?;
                let raw: RawJob = parse_job(&self.sources[index])?;
                jobs.push(LoadedJob {
                    name: stem(&file),
                    stage: Some(stage.clone()),
                    origin: Origin {
                        source: index,
                        keys: vec![],
                    },
                    raw,
                });
            }
        }
        Ok(LoadedWorkflow {
            name: name.to_string(),
            origin: Origin {
                source,
                keys: vec![],
            },
            raw,
            jobs,
        })
    }

    /// Folds inline `commands:`/`workflows:` (the `cigen.yml` form) into the
    /// loaded lists, so both layouts reach `model` in the same shape.
    fn finish(
        self,
        mut project: RawProject,
        mut commands: Vec<LoadedCommand>,
        mut workflows: Vec<LoadedWorkflow>,
    ) -> Result<Loaded> {
        let inline_source = self.project_sources.last().copied().unwrap_or(0);
        for (name, body) in std::mem::take(&mut project.commands) {
            let origin = Origin {
                source: inline_source,
                keys: vec!["commands".into(), name.clone()],
            };
            commands.push(LoadedCommand { name, origin, body });
        }
        for (name, inline) in std::mem::take(&mut project.workflows) {
            let keys = vec!["workflows".to_string(), name.clone()];
            let mut jobs = vec![];
            for (key, raw) in inline.jobs {
                let (stage, job) = match key.split_once('/') {
                    Some((stage, job)) => (Some(stage.to_string()), job.to_string()),
                    None => (None, key.clone()),
                };
                let mut job_keys = keys.clone();
                job_keys.extend(["jobs".to_string(), key]);
                jobs.push(LoadedJob {
                    name: job,
                    stage,
                    origin: Origin {
                        source: inline_source,
                        keys: job_keys,
                    },
                    raw,
                });
            }
            let raw = RawWorkflow {
                trigger: inline.trigger,
                stages: inline.stages,
                when: inline.when,
                github: inline.github,
            };
            workflows.push(LoadedWorkflow {
                name,
                origin: Origin {
                    source: inline_source,
                    keys,
                },
                raw,
                jobs,
            });
        }
        Ok(Loaded {
            root: self.root,
            sources: self.sources,
            project_sources: self.project_sources,
            project,
            commands,
            workflows,
        })
    }
}

/// Parses one file. An empty document (or one of comments only) is the
/// type's default, so an empty `config.yml` is valid.
fn parse<T: DeserializeOwned + Default>(source: &Source) -> Result<T> {
    // One pass: an empty document deserializes to `None`.
    serde_yaml::from_str::<Option<T>>(&source.text)
        .map(Option::unwrap_or_default)
        .map_err(|err| {
            let line = err.location().map(|location| location.line());
            match diagnose::tab_line(source, line) {
                Some(tab) => diagnose::tab_error(source, tab),
                None => serde_error(&source.path, &err, Some(source)),
            }
        })
}

/// A job file: unlike settings, an empty one is a mistake.
fn parse_job(source: &Source) -> Result<RawJob> {
    match diagnose::empty_job(source) {
        Some(err) => Err(err),
        None => parse(source),
    }
}

fn serde_error(file: &Path, err: &serde_yaml::Error, source: Option<&Source>) -> Error {
    let text = err.to_string();
    let message = match text.find(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text.clone(),
    };
    let message = diagnose::user_words(&message);
    let (path, message) = match message.split_once(": ") {
        Some((path, rest)) if !path.contains(' ') => (path.to_string(), rest.to_string()),
        _ => (String::new(), message),
    };
    let unknown = between(&message, "unknown field `", "`");
    let key = match (&unknown, path.is_empty()) {
        (Some(field), true) => field.clone(),
        (Some(field), false) => format!("{path}.{field}"),
        (None, false) => path.clone(),
        (None, true) => "(document)".to_string(),
    };
    let hint = unknown.as_ref().and_then(|field| {
        let expected = message.split("expected ").nth(1).unwrap_or("");
        let names: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        suggest(field, names)
    });
    // At the end of the input the parser stands on the line after the last one.
    let last = source.map(|source| source.text.lines().count().max(1));
    let mut line = err
        .location()
        .map(|location| last.map_or(location.line(), |last| location.line().min(last)));
    if line.is_none()
        && let (Some(source), Some(field)) = (source, &unknown)
    {
        line = source.line_of(&[field.as_str()], None);
    }
    if let Some(source) = source {
        // Only where `trigger` is a key: a workflow.
        if unknown.as_deref() == Some("triggers") && message.contains("`trigger`") {
            return diagnose::triggers(source, line, &key);
        }
        let duplicate = between(&message, "duplicate field `", "`")
            .or_else(|| between(&message, "duplicate entry with key \"", "\""));
        if let Some(field) = duplicate {
            line = diagnose::duplicate_line(source, &field, line.unwrap_or(1)).or(line);
            let key = if path.is_empty() {
                field.clone()
            } else {
                format!("{path}.{field}")
            };
            return ConfigError::new(file, key, "duplicate key: keep one of the two")
                .line(line)
                .into();
        }
    }
    ConfigError::new(file, key, message)
        .line(line)
        .hint(hint)
        .into()
}

fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(text[from..from + len].to_string())
}

/// `config.yml` or `config.yaml` in `dir`, with its shown path; both is an
/// error naming both, since only one would be read.
fn config_file(dir: &Path, shown: &Path) -> Result<Option<(PathBuf, PathBuf)>> {
    let [yml, yaml] = ["config.yml", "config.yaml"].map(|name| (dir.join(name), shown.join(name)));
    match (yml.0.exists(), yaml.0.exists()) {
        (true, true) => Err(ConfigError::new(
            &yaml.1,
            "(file)",
            format!(
                "both {} and {} exist: keep one of them",
                yml.1.display(),
                yaml.1.display()
            ),
        )
        .into()),
        (true, false) => Ok(Some(yml)),
        (false, true) => Ok(Some(yaml)),
        (false, false) => Ok(None),
    }
}

fn stem(file: &str) -> String {
    file.rsplit_once('.')
        .map_or(file, |(stem, _)| stem)
        .to_string()
}

/// `*.yml` / `*.yaml` files of a directory, sorted by name; none if it is
/// missing. One that cannot be followed (a broken symbolic link) is an I/O
/// error naming it, never a file silently left out.
fn yaml_files(dir: &Path) -> Result<Vec<(PathBuf, String)>> {
    let mut files = vec![];
    for (path, name) in entries(dir)? {
        if !(name.ends_with(".yml") || name.ends_with(".yaml")) {
            continue;
        }
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => files.push((path, name)),
            Ok(_) => {}
            Err(err) => return Err(unfollowable(&path, err)),
        }
    }
    Ok(files)
}

/// The error for an entry whose target cannot be read; a dangling link
/// says where it points.
fn unfollowable(path: &Path, err: std::io::Error) -> Error {
    match std::fs::read_link(path) {
        Ok(target) => Error::io(
            path,
            std::io::Error::new(
                err.kind(),
                format!(
                    "a symbolic link to {}, which cannot be read: {err}",
                    target.display()
                ),
            ),
        ),
        Err(_) => Error::io(path, err),
    }
}

fn subdirs(dir: &Path) -> Result<Vec<(PathBuf, String)>> {
    Ok(entries(dir)?
        .into_iter()
        .filter(|(path, _)| path.is_dir())
        .collect())
}

fn entries(dir: &Path) -> Result<Vec<(PathBuf, String)>> {
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(err) => return Err(Error::io(dir, err)),
    };
    let mut out = vec![];
    for entry in read {
        let entry = entry.map_err(|err| Error::io(dir, err))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') {
            out.push((entry.path(), name));
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}
