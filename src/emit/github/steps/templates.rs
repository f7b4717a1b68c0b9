//! The two template languages inside a CircleCI step, rewritten for GitHub:
//! `<< pipeline.… >>` (config templating, in any string) becomes a
//! `${{ … }}` expression (`values`), and a cache key's `{{ … }}`
//! (https://circleci.com/docs/reference/configuration-reference/#save_cache)
//! becomes the matching `${{ … }}` (`checksum "f"` → `hashFiles('f')`).
//! Input: a string; output: the rewritten string or the first template
//! GitHub cannot express, named. `<< parameters.… >>` is the command
//! inliner's (`commands`): one still here is outside any command.

use serde_yaml::Value;

use super::{GITHUB_STEPS_HINT, Refusal};
use crate::emit::github::values::{self, Use};
use crate::model::Project;

/// The insides of every `<< … >>` in `text` that names a pipeline value
/// or a parameter, with their byte ranges (the whole `<< … >>`). Other
/// `<<` (a shell heredoc) are left alone.
pub(crate) fn templates(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut found = vec![];
    let mut from = 0;
    while let Some(start) = text[from..].find("<<").map(|at| at + from) {
        let Some(end) = text[start + 2..].find(">>").map(|at| at + start + 2) else {
            break;
        };
        let inside = text[start + 2..end].trim();
        if inside.starts_with("pipeline.") || inside.starts_with("parameters.") {
            found.push((start..end + 2, inside));
            from = end + 2;
        } else {
            from = start + 2;
        }
    }
    found
}

/// `text` with each `<< pipeline.X >>` as `${{ <expression> }}`.
pub(crate) fn text(project: &Project, text: &str) -> Result<String, Refusal> {
    let mut out = String::new();
    let mut last = 0;
    for (range, inside) in templates(text) {
        out.push_str(&text[last..range.start]);
        out.push_str(&format!(
            "${{{{ {} }}}}",
            pipeline(project, inside, Use::Text)?
        ));
        last = range.end;
    }
    out.push_str(&text[last..]);
    Ok(out)
}

/// A `run` step's command with each `<< pipeline.X >>` as `${NAME}`, and
/// the (NAME, `${{ <expression> }}`) pairs its `env` must set. A branch or
/// tag name is chosen by whoever pushes it: pasted into the script as
/// `${{ … }}` it would run as shell, GitHub's script-injection pattern
/// (https://docs.github.com/en/actions/reference/security/secure-use#good-practices-for-mitigating-script-injection-attacks),
/// so values reach the script through the environment. NAME is the one
/// `cigen setup` reads the value from (`CIGEN_PARAM_P`, `CIGEN_PIPELINE_…`).
/// Inside single quotes the shell does not expand it, where CircleCI's
/// templating would have pasted the value: the README says so.
pub(crate) fn run_values(
    project: &Project,
    body: &Value,
    job_shell: Option<&str>,
) -> Result<(Value, Vec<(String, String)>), Refusal> {
    let command = match body {
        Value::String(command) => command,
        Value::Mapping(map) => match map.get("command").and_then(Value::as_str) {
            Some(command) => command,
            None => return Ok((body.clone(), vec![])),
        },
        _ => return Ok((body.clone(), vec![])),
    };
    let shell = body.get("shell").and_then(Value::as_str).or(job_shell);
    let mut out = String::new();
    let mut values: Vec<(String, String)> = vec![];
    let mut last = 0;
    for (range, inside) in templates(command) {
        if !inside.starts_with("pipeline.") {
            continue; // `parameters.…` outside a command: `value` refuses it
        }
        if let Some(shell) = shell.filter(|shell| !is_posix_shell(shell)) {
            return Err(Refusal {
                message: format!(
                    "`<< {inside} >>` in a `{shell}` script: cigen passes pipeline values to GitHub scripts as shell variables, which only sh-like shells expand"
                ),
                hint: "read the value from the environment in the script (set it in the step's `environment`), or write this job's GitHub steps under `github: {steps: …}`".into(),
            });
        }
        let name = crate::model::refs::env_name(inside);
        let expression = format!("${{{{ {} }}}}", pipeline(project, inside, Use::Text)?);
        out.push_str(&command[last..range.start]);
        out.push_str(&format!("${{{name}}}"));
        last = range.end;
        if !values.iter().any(|(known, _)| *known == name) {
            values.push((name, expression));
        }
    }
    out.push_str(&command[last..]);
    let body = match body {
        Value::Mapping(map) => {
            let mut map = map.clone();
            map.insert("command".into(), out.into());
            Value::Mapping(map)
        }
        _ => Value::String(out),
    };
    Ok((body, values))
}

/// Whether a `shell` (`bash`, `/bin/sh -eo pipefail`, …) expands `${NAME}`.
fn is_posix_shell(shell: &str) -> bool {
    let program = shell.split_whitespace().next().unwrap_or_default();
    let name = program.rsplit('/').next().unwrap_or(program);
    matches!(name, "sh" | "bash" | "dash" | "ksh" | "zsh" | "ash")
}

/// Every string inside `value` (keys too) through `text`.
pub(crate) fn value(project: &Project, value: &Value) -> Result<Value, Refusal> {
    Ok(match value {
        Value::String(s) => Value::String(text(project, s)?),
        Value::Sequence(items) => Value::Sequence(
            items
                .iter()
                .map(|item| self::value(project, item))
                .collect::<Result<_, _>>()?,
        ),
        Value::Mapping(map) => Value::Mapping(
            map.iter()
                .map(|(k, v)| Ok((self::value(project, k)?, self::value(project, v)?)))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

/// The expression of `inside` (`pipeline.git.branch`), used as `usage`.
pub(crate) fn pipeline(project: &Project, inside: &str, usage: Use) -> Result<String, Refusal> {
    if inside.starts_with("parameters.") {
        return Err(Refusal {
            message: format!(
                "`<< {inside} >>` is outside any command: only a command's steps have parameters"
            ),
            hint:
                "move the steps into a command under .cigen/commands/ that declares the parameter"
                    .into(),
        });
    }
    values::inner(project, inside, usage).ok_or_else(|| Refusal {
        message: format!(
            "`<< {inside} >>` has no GitHub Actions equivalent: {}",
            values::SUPPORTED
        ),
        hint: GITHUB_STEPS_HINT.into(),
    })
}

/// A cache key with each `{{ … }}` as its GitHub expression; `${{ … }}`
/// already there (from `text`) is kept.
pub(crate) fn cache_key(key: &str) -> Result<String, Refusal> {
    let mut out = String::new();
    let mut rest = key;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        let end = start + len + 2;
        let already = start > 0 && rest.as_bytes()[start - 1] == b'$';
        out.push_str(&rest[..start]);
        if already {
            out.push_str(&rest[start..end]);
        } else {
            let inside = rest[start + 2..end - 2].trim();
            out.push_str(&format!("${{{{ {} }}}}", key_template(inside)?));
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    Ok(out)
}

fn key_template(inside: &str) -> Result<String, Refusal> {
    let fail = |message: String, hint: &str| Refusal {
        message,
        hint: hint.to_string(),
    };
    match inside {
        ".Branch" => return Ok("github.head_ref || github.ref_name".into()),
        ".Revision" => return Ok("github.sha".into()),
        "arch" => return Ok("runner.arch".into()),
        "epoch" => {
            return Err(fail(
                "`{{ epoch }}` has no GitHub Actions equivalent (expressions have no clock)".into(),
                "use a key that changes with its inputs (`{{ checksum \"file\" }}`), or write `github: {steps: …}`",
            ));
        }
        _ => {}
    }
    if let Some(variable) = inside.strip_prefix(".Environment.") {
        return Ok(format!("env.{variable}"));
    }
    if let Some(argument) = inside.strip_prefix("checksum") {
        let file = argument.trim().trim_matches('"');
        if file.starts_with('/') || file.starts_with('~') {
            return Err(fail(
                format!(
                    "`{{{{ checksum \"{file}\" }}}}` names a file outside the workspace: GitHub's hashFiles reads only files inside it (an absolute path hashes to '')"
                ),
                "name the file relative to the repository root",
            ));
        }
        return Ok(format!("hashFiles({})", values::literal(file)));
    }
    Err(fail(
        format!(
            "cache key template `{{{{ {inside} }}}}` has no GitHub Actions equivalent: cigen translates checksum, .Branch, .Revision, arch and .Environment.NAME"
        ),
        GITHUB_STEPS_HINT,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::github::test_support;

    #[test]
    fn pipeline_values_become_expressions_and_heredocs_stay() {
        let (_dir, project) = test_support::project("provider: github\n");
        assert_eq!(
            text(&project, "echo << pipeline.git.revision >> <<EOF >> log").expect("ok"),
            "echo ${{ github.sha }} <<EOF >> log"
        );
        assert_eq!(
            text(&project, "x-<<pipeline.number>>").expect("ok"),
            "x-${{ github.run_number }}"
        );
        let err = text(&project, "<< pipeline.trigger_source >>").expect_err("refused");
        assert!(
            err.message
                .starts_with("`<< pipeline.trigger_source >>` has no GitHub"),
            "{}",
            err.message
        );
        let err = text(&project, "<< parameters.x >>").expect_err("refused");
        assert!(
            err.message.contains("outside any command"),
            "{}",
            err.message
        );
    }

    #[test]
    fn cache_key_templates_become_expressions() {
        assert_eq!(
            cache_key("v1-{{ arch }}-{{ .Branch }}-{{ checksum \"Gemfile.lock\" }}-{{ .Revision }}-{{ .Environment.CACHE_V }}").expect("ok"),
            "v1-${{ runner.arch }}-${{ github.head_ref || github.ref_name }}-${{ hashFiles('Gemfile.lock') }}-${{ github.sha }}-${{ env.CACHE_V }}"
        );
        assert_eq!(
            cache_key("v1-${{ github.sha }}-{{checksum \"a b\"}}").expect("ok"),
            "v1-${{ github.sha }}-${{ hashFiles('a b') }}"
        );
    }

    #[test]
    fn untranslatable_cache_key_templates_are_named() {
        let err = cache_key("v1-{{ checksum \"/tmp/x\" }}").expect_err("absolute");
        assert!(
            err.message
                .starts_with("`{{ checksum \"/tmp/x\" }}` names a file outside the workspace"),
            "{}",
            err.message
        );
        assert!(
            cache_key("{{ epoch }}")
                .expect_err("epoch")
                .message
                .starts_with("`{{ epoch }}` has no")
        );
        let err = cache_key("{{ .BuildNum }}").expect_err("other");
        assert_eq!(
            err.message,
            "cache key template `{{ .BuildNum }}` has no GitHub Actions equivalent: cigen translates checksum, .Branch, .Revision, arch and .Environment.NAME"
        );
    }
}
