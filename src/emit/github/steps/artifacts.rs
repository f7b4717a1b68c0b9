//! The steps that move files: caches (`save_cache`/`restore_cache` →
//! `actions/cache/save|restore@v4`), the workspace (`persist_to_workspace`
//! → a tar in the runner's temp directory uploaded as artifact
//! `cigen-workspace-<variant>-<n>`; `attach_workspace` → every
//! `cigen-workspace-*` artifact downloaded and unpacked in order) and
//! stored files (`store_artifacts`/`store_test_results` →
//! `actions/upload-artifact@v4`). Artifacts lose file modes and skip
//! hidden files unless told (https://github.com/actions/upload-artifact),
//! hence the tar for workspaces. Input: a step body whose `<< … >>` are
//! already expressions; output: GitHub steps. Pure.

use serde_yaml::{Mapping, Value};

use super::templates::cache_key;
use super::{Refusal, StepContext};
use crate::emit::github::steps::commands;

const CACHE_SAVE: &str = "actions/cache/save@v4";
const CACHE_RESTORE: &str = "actions/cache/restore@v4";
const UPLOAD: &str = "actions/upload-artifact@v4";
const DOWNLOAD: &str = "actions/download-artifact@v4";

/// Per-job numbering of the artifacts a job uploads (names are unique per run).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    workspace: usize,
    artifacts: usize,
    test_results: usize,
}

fn uses(action: &str, name: Option<&Value>, with: Mapping) -> Value {
    let mut step = Mapping::new();
    if let Some(name) = name {
        step.insert("name".into(), name.clone());
    }
    step.insert("uses".into(), action.into());
    step.insert("with".into(), Value::Mapping(with));
    Value::Mapping(step)
}

fn run(name: &str, script: String) -> Value {
    let mut step = Mapping::new();
    step.insert("name".into(), name.into());
    step.insert("run".into(), script.into());
    Value::Mapping(step)
}

fn lines(value: Option<&Value>) -> String {
    match value {
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("\n"),
        Some(Value::String(text)) => text.clone(),
        _ => String::new(),
    }
}

pub(crate) fn save_cache(body: &Value) -> Result<Vec<Value>, Refusal> {
    let key = cache_key(body.get("key").and_then(Value::as_str).unwrap_or_default())?;
    let mut with = Mapping::new();
    with.insert("path".into(), lines(body.get("paths")).into());
    with.insert("key".into(), key.into());
    Ok(vec![uses(CACHE_SAVE, body.get("name"), with)])
}

/// `restore_cache`: GitHub restores only with the paths the cache was saved
/// with, which CircleCI's step does not name: they come from the
/// `save_cache` whose key starts like this one's first key.
pub(crate) fn restore_cache(
    ctx: &StepContext<'_>,
    body: &Value,
    raw_key: &str,
) -> Result<Vec<Value>, Refusal> {
    let keys: Vec<String> = match (body.get("keys"), body.get("key")) {
        (Some(keys), _) => lines(Some(keys)).lines().map(str::to_string).collect(),
        (None, key) => vec![lines(key)],
    };
    let keys = keys
        .iter()
        .map(|key| cache_key(key))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(paths) = saved_paths(ctx, raw_key) else {
        return Err(Refusal {
            message: format!("no `save_cache` in the project has a key starting like `{raw_key}`: GitHub restores a cache only with the paths it was saved with"),
            hint: "save the cache in this job (or another) with a key of the same prefix, or write `github: {steps: …}`".into(),
        });
    };
    let (first, rest) = keys.split_first().expect("at least one key");
    let mut with = Mapping::new();
    with.insert("path".into(), paths.into());
    with.insert("key".into(), first.clone().into());
    if !rest.is_empty() {
        with.insert("restore-keys".into(), rest.join("\n").into());
    }
    Ok(vec![uses(CACHE_RESTORE, body.get("name"), with)])
}

/// The literal start of a key, before its first template.
fn prefix(key: &str) -> &str {
    let end = [key.find("{{"), key.find("<<")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(key.len());
    &key[..end]
}

/// The paths of the first `save_cache` (this job's, then any job's) whose
/// key starts with `raw_key`'s literal start (or equals it).
fn saved_paths(ctx: &StepContext<'_>, raw_key: &str) -> Option<String> {
    let mut saves = vec![];
    collect_saves(ctx, &ctx.job.steps, &mut saves, 0);
    for workflow in &ctx.project.workflows {
        for job in &workflow.jobs {
            collect_saves(ctx, &job.steps, &mut saves, 0);
        }
    }
    let start = prefix(raw_key);
    saves
        .into_iter()
        .find(|(key, paths)| {
            (key == raw_key || (!start.is_empty() && key.starts_with(start)))
                && !paths.contains("<<")
        })
        .map(|(_, paths)| paths)
}

fn collect_saves(
    ctx: &StepContext<'_>,
    steps: &[Value],
    out: &mut Vec<(String, String)>,
    depth: usize,
) {
    if depth > super::MAX_DEPTH {
        return;
    }
    for step in steps {
        match step {
            Value::Sequence(inner) => collect_saves(ctx, inner, out, depth + 1),
            Value::String(name) => {
                if let Some(body) = ctx.project.commands.get(name)
                    && let Ok(inner) = commands::inline(name, body, &Value::Null)
                {
                    collect_saves(ctx, &inner, out, depth + 1);
                }
            }
            Value::Mapping(map) => {
                for (name, body) in map {
                    let name = name.as_str().unwrap_or_default();
                    if name == "save_cache" {
                        let key = body.get("key").and_then(Value::as_str).unwrap_or_default();
                        out.push((key.to_string(), lines(body.get("paths"))));
                    } else if let Some(Value::Sequence(inner)) = body.get("steps") {
                        collect_saves(ctx, inner, out, depth + 1);
                    } else if let Some(command) = ctx.project.commands.get(name)
                        && let Ok(inner) = commands::inline(name, command, body)
                    {
                        collect_saves(ctx, &inner, out, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }
}

/// `-${{ strategy.job-index }}` for a parallel job: each matrix leg
/// uploads under its own name.
fn leg(ctx: &StepContext<'_>) -> &'static str {
    if ctx.job.parallel() {
        "-${{ strategy.job-index }}"
    } else {
        ""
    }
}

/// A path for the shell: `~/x` as `"$HOME"/'x'`, a glob left open, any
/// other text single-quoted.
fn shell_path(path: &str) -> String {
    if path.contains(['*', '?', '[']) {
        return path.to_string();
    }
    let quote = |text: &str| format!("'{}'", text.replace('\'', r"'\''"));
    match path.strip_prefix("~/") {
        Some(rest) => format!("\"$HOME\"/{}", quote(rest)),
        None if path == "~" => "\"$HOME\"".into(),
        None => quote(path),
    }
}

pub(crate) fn persist(ctx: &StepContext<'_>, counters: &mut Counters, body: &Value) -> Vec<Value> {
    counters.workspace += 1;
    let name = format!("cigen-workspace-{}-{}", ctx.variant, counters.workspace);
    let root = lines(body.get("root"));
    let paths = match body.get("paths") {
        Some(paths) => lines(Some(paths)),
        None => lines(body.get("path")),
    };
    let paths: Vec<String> = paths.lines().map(shell_path).collect();
    let script = format!(
        "cd {} && tar -cf \"$RUNNER_TEMP/{name}.tar\" -- {}",
        shell_path(&root),
        paths.join(" ")
    );
    let mut with = Mapping::new();
    with.insert("name".into(), format!("{name}{}", leg(ctx)).into());
    with.insert(
        "path".into(),
        format!("${{{{ runner.temp }}}}/{name}.tar").into(),
    );
    with.insert("if-no-files-found".into(), "error".into());
    vec![
        run("Persist to workspace", script),
        uses(UPLOAD, body.get("name"), with),
    ]
}

pub(crate) fn attach(body: &Value) -> Vec<Value> {
    let at = shell_path(&lines(body.get("at")));
    let mut with = Mapping::new();
    with.insert("pattern".into(), "cigen-workspace-*".into());
    with.insert("merge-multiple".into(), true.into());
    with.insert("path".into(), "${{ runner.temp }}/cigen-workspace".into());
    let script = format!(
        "mkdir -p {at}\nfor archive in \"$RUNNER_TEMP\"/cigen-workspace/*.tar; do\n  [ -e \"$archive\" ] || continue\n  tar -C {at} -xf \"$archive\"\ndone\n"
    );
    vec![
        uses(DOWNLOAD, body.get("name"), with),
        run("Attach workspace", script),
    ]
}

/// `store_artifacts` (`test_results` false) or `store_test_results`.
pub(crate) fn store(
    ctx: &StepContext<'_>,
    counters: &mut Counters,
    body: &Value,
    test_results: bool,
) -> Vec<Value> {
    let (kind, n) = if test_results {
        counters.test_results += 1;
        ("test-results", counters.test_results)
    } else {
        counters.artifacts += 1;
        ("artifacts", counters.artifacts)
    };
    let mut with = Mapping::new();
    with.insert(
        "name".into(),
        format!("{}-{kind}-{n}{}", ctx.variant, leg(ctx)).into(),
    );
    with.insert("path".into(), lines(body.get("path")).into());
    with.insert("include-hidden-files".into(), true.into());
    vec![uses(UPLOAD, body.get("name"), with)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_paths_are_quoted_and_globs_left_open() {
        assert_eq!(shell_path("dist"), "'dist'");
        assert_eq!(shell_path("it's"), r"'it'\''s'");
        assert_eq!(shell_path("~/project"), "\"$HOME\"/'project'");
        assert_eq!(shell_path("*.jar"), "*.jar");
    }

    #[test]
    fn a_key_prefix_stops_at_the_first_template() {
        assert_eq!(prefix("v1-deps-{{ checksum \"x\" }}"), "v1-deps-");
        assert_eq!(prefix("v1-<< pipeline.git.branch >>"), "v1-");
        assert_eq!(prefix("{{ arch }}"), "");
    }
}
