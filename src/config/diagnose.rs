//! Errors that need more than serde's message to point at their cause:
//! type errors in settings (strictly typed, blamed on the file, line and key
//! that set them), duplicate keys (the line of the second one), tabs in
//! indentation, empty job files, and `triggers:` (CircleCI's scheduled
//! workflows, which cigen replaces with a parameter). Input: sources and
//! serde errors; output: `ConfigError`s. It decides nothing about validity.

use serde_yaml::Value;

use super::raw::RawProject;
use super::source::Source;
use crate::error::{ConfigError, Error, Result};

/// Keys of `cigen.yml` that are not settings (jobs stay as leniently typed
/// as in their own files).
const NOT_SETTINGS: [&str; 2] = ["commands", "workflows"];

/// Settings as they are merged: typed strictly, like `serde_yaml::from_value`
/// reads the merged fragments (`hash_salt: 2024` is an integer, not a
/// string). Checked file by file so the error names the file that sets it.
pub(super) fn check_settings_types(source: &Source, value: &Value) -> Result<()> {
    let mut value = value.clone();
    if let Value::Mapping(map) = &mut value {
        for key in NOT_SETTINGS {
            map.remove(key);
        }
    }
    typed_settings(value).map(drop).map_err(|(keys, message)| {
        let path: Vec<&str> = keys.iter().map(String::as_str).collect();
        type_error(source, &path, &message).into()
    })
}

/// The merged settings; a failure (which per-file checks make unlikely) is
/// blamed on the last of `sources` that sets the failing key.
pub(super) fn merged_settings(sources: &[&Source], merged: Value) -> Result<RawProject> {
    typed_settings(merged).map_err(|(keys, message)| {
        let path: Vec<&str> = keys.iter().map(String::as_str).collect();
        let source = sources
            .iter()
            .rev()
            .find(|s| s.line_of(&path, None).is_some())
            .or(sources.last())
            .copied();
        match source {
            Some(source) => type_error(source, &path, &message).into(),
            None => Error::Internal(format!("settings with no file to blame: {message}")),
        }
    })
}

fn typed_settings(value: Value) -> std::result::Result<RawProject, (Vec<String>, String)> {
    if value.is_null() {
        return Ok(RawProject::default());
    }
    serde_path_to_error::deserialize(value).map_err(|err| {
        let keys = err
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                _ => None,
            })
            .collect();
        (keys, err.into_inner().to_string())
    })
}

fn type_error(source: &Source, path: &[&str], message: &str) -> ConfigError {
    let key = if path.is_empty() {
        "(document)".to_string()
    } else {
        path.join(".")
    };
    ConfigError::new(&source.path, key, user_words(message)).line(source.line_of(path, None))
}

/// serde's words for YAML's kinds, as a user reads them: `sequence` is a
/// list, `map` a mapping (`invalid type: sequence, expected a map`). The one
/// place the config error path rewrites serde's messages.
pub(super) fn user_words(message: &str) -> String {
    const WORDS: [(&str, &str); 2] = [("sequence", "list"), ("map", "mapping")];
    let mut out = message.to_string();
    for (serde, user) in WORDS {
        for (before, after) in [("invalid type: ", ","), ("expected a ", "")] {
            out = replace_word(
                &out,
                &format!("{before}{serde}{after}"),
                &format!("{before}{user}{after}"),
            );
        }
    }
    out
}

/// Replaces `from` where it ends a word (not `map` in `mapping`).
fn replace_word(text: &str, from: &str, to: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let end = at + from.len();
        let whole = !rest[end..].starts_with(|c: char| c.is_alphanumeric() || c == '_');
        out.push_str(&rest[..at]);
        out.push_str(if whole { to } else { from });
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The line of the second `key:` at one indentation, at or after line
/// `from` (1-based): where a duplicate key is written.
pub(super) fn duplicate_line(source: &Source, key: &str, from: usize) -> Option<usize> {
    let mut first_at_indent: Vec<usize> = vec![];
    for (index, line) in source.text.lines().enumerate().skip(from.saturating_sub(1)) {
        let trimmed = line.trim_start();
        let body = trimmed
            .trim_start_matches("- ")
            .trim_start_matches(['"', '\'']);
        let Some(rest) = body.strip_prefix(key) else {
            continue;
        };
        if !rest.trim_start_matches(['"', '\'']).starts_with(':') {
            continue;
        }
        let indent = line.len() - body.len();
        if first_at_indent.contains(&indent) {
            return Some(index + 1);
        }
        first_at_indent.push(indent);
    }
    None
}

/// The first line (1-based) whose indentation holds a tab, up to `until`.
pub(super) fn tab_line(source: &Source, until: Option<usize>) -> Option<usize> {
    source
        .text
        .lines()
        .take(until.unwrap_or(usize::MAX))
        .position(|line| {
            let indent = &line[..line.len() - line.trim_start().len()];
            indent.contains('\t')
        })
        .map(|index| index + 1)
}

pub(super) fn tab_error(source: &Source, line: usize) -> Error {
    ConfigError::new(
        &source.path,
        "(indentation)",
        "tabs are not allowed in YAML indentation: indent with spaces",
    )
    .line(Some(line))
    .into()
}

/// A job file with nothing but blank lines and comments.
pub(super) fn empty_job(source: &Source) -> Option<Error> {
    let blank = source.text.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with('#') || line == "---"
    });
    blank.then(|| {
        ConfigError::new(
            &source.path,
            "(file)",
            "the job file is empty: a job needs an executor (`image`, `docker`, `machine` or `macos`) and `steps`",
        )
        .into()
    })
}

/// `triggers:` is how CircleCI wrote scheduled workflows; those cannot be
/// used with dynamic config, and schedule triggers replace them
/// (https://circleci.com/docs/guides/orchestrate/migrate-scheduled-workflows-to-schedule-triggers).
pub(super) fn triggers(source: &Source, line: Option<usize>, key: &str) -> Error {
    ConfigError::new(
        &source.path,
        key,
        "cigen has no `triggers`: schedules are set on the CircleCI project, as a scheduled trigger that sets a pipeline parameter",
    )
    .line(line)
    .hint(Some(
        "give this workflow `trigger: {parameter: P}` with a boolean parameter `P`, and let the project's schedule set `P` to true".into(),
    ))
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_kinds_read_as_yaml_users_name_them() {
        assert_eq!(
            user_words("invalid type: sequence, expected a map"),
            "invalid type: list, expected a mapping"
        );
        assert_eq!(
            user_words("invalid type: map, expected a sequence"),
            "invalid type: mapping, expected a list"
        );
        let own = "invalid type: string \"x\", expected a mapping such as `{map: x}`";
        assert_eq!(user_words(own), own);
    }
}
