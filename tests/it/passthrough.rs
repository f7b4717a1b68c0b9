//! What cigen passes through to CircleCI (built-in steps, executors,
//! filters, command bodies) is checked at generate time, and never more
//! strictly than CircleCI: a corpus built at test time from the schema
//! `check-jsonschema` ships (every property of every built-in step, docker
//! entry, machine, macos, filters and command) goes through `generate`
//! unchanged (a job's `environment` as the map it stands for) and the
//! output passes that schema; typos fail with exit 2 and
//! an exact `FILE:LINE: `KEY`: …` message.

use serde_json::{Value as Json, json};
use serde_yaml::Value;

use crate::circleci_schema::{Schema, single};
use crate::common::*;

fn yaml_text(value: &Json) -> String {
    serde_yaml::to_string(value).expect("yaml")
}

fn job_file(body: Json) -> String {
    yaml_text(&body)
}

/// Job keys whose every schema form gets a job of its own.
const JOB_KEYS: [&str; 7] = [
    "environment",
    "machine",
    "macos",
    "parallelism",
    "resource_class",
    "shell",
    "working_directory",
];

/// The job bodies of the corpus: (file name, body), each a valid job.
fn corpus_jobs(schema: &Schema) -> Vec<(String, Json)> {
    let base = |extra: Json| {
        let mut job = json!({"checkout": false, "steps": [{"run": "true"}]});
        for (key, value) in extra.as_object().expect("object") {
            job[key] = value.clone();
        }
        job
    };
    let mut jobs = vec![];
    let steps: Vec<Json> = schema.step_examples();
    jobs.push((
        "steps".to_string(),
        base(json!({"image": "cimg/base:current", "steps": steps})),
    ));
    // Every docker entry in one list: the first is the primary container, the rest services.
    let entries: Vec<Json> = schema
        .job_property_examples("docker")
        .into_iter()
        .flat_map(|list| {
            list.as_array()
                .cloned()
                .expect("a `docker` example is a list")
        })
        .collect();
    assert!(!entries.is_empty(), "the schema gives no `docker` example");
    jobs.push(("docker".to_string(), base(json!({"docker": entries}))));
    jobs.push((
        "services".to_string(),
        base(json!({"image": "cimg/base:current", "services": entries})),
    ));
    for key in JOB_KEYS {
        let examples = schema.job_property_examples(key);
        assert!(!examples.is_empty(), "the schema gives no `{key}` example");
        for (index, value) in examples.into_iter().enumerate() {
            let mut extra = single(key, value);
            if key != "machine" && key != "macos" {
                extra["image"] = json!("cimg/base:current");
            }
            jobs.push((format!("{key}_{index}"), base(extra)));
        }
    }
    let filters = schema.filter_examples();
    assert!(!filters.is_empty(), "the schema gives no `filters` example");
    for (index, filters) in filters.into_iter().enumerate() {
        jobs.push((
            format!("filters_{index}"),
            base(json!({"image": "cimg/base:current", "filters": filters})),
        ));
    }
    jobs
}

#[test]
fn every_form_the_circleci_schema_lists_passes_through_unchanged() {
    let schema = Schema::load();
    // The job `environment` forms the corpus must hold: a list, a string and a null value.
    let environments = schema.job_property_examples("environment");
    let null_value = |e: &Json| e.as_object().is_some_and(|m| m.values().any(Json::is_null));
    assert!(environments.iter().any(Json::is_array), "{environments:?}");
    assert!(environments.iter().any(Json::is_string), "{environments:?}");
    assert!(environments.iter().any(null_value), "{environments:?}");
    let jobs = corpus_jobs(&schema);
    let commands = schema.command_examples();
    assert!(!commands.is_empty(), "the schema gives no command example");
    // The corpus writes `<< pipeline.parameters.x >>` where the schema takes an expression.
    let mut repo = Repo::new().file(
        ".cigen/config.yml",
        "provider: circleci\nparameters:\n  x: {type: string, default: x}\n",
    );
    let mut uses = vec![];
    for (index, body) in commands.iter().enumerate() {
        repo = repo.file(&format!(".cigen/commands/c{index}.yml"), &yaml_text(body));
        uses.push(json!(format!("c{index}")));
    }
    repo = repo.file(
        ".cigen/workflows/main/jobs/commands.yml",
        &job_file(json!({"image": "cimg/base:current", "steps": uses})),
    );
    for (name, body) in &jobs {
        repo = repo.file(
            &format!(".cigen/workflows/main/jobs/{name}.yml"),
            &job_file(body.clone()),
        );
    }
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(
        output.status.success(),
        "cigen rejected a form CircleCI's schema accepts:\n{}",
        stderr(&output)
    );
    assert_circleci_schema(&[
        repo.path().join(".circleci/config.yml"),
        repo.path().join(".circleci/main.yml"),
    ]);

    let main = repo.yaml(".circleci/main.yml");
    let as_yaml =
        |value: &Json| -> Value { serde_yaml::from_str(&yaml_text(value)).expect("yaml") };
    for (name, body) in &jobs {
        let job = &main["jobs"][name.as_str()];
        assert_eq!(job["steps"], as_yaml(&body["steps"]), "steps of {name}");
        for key in JOB_KEYS {
            if let Some(value) = body.get(key) {
                let expected = match key {
                    "environment" => environment_map(value),
                    _ => as_yaml(value),
                };
                assert_eq!(job[key], expected, "{key} of {name}");
            }
        }
        if let Some(services) = body.get("services") {
            let emitted = job["docker"].as_sequence().expect("docker");
            assert_eq!(
                emitted[1..],
                *as_yaml(services).as_sequence().expect("list")
            );
        }
        if let Some(docker) = body.get("docker") {
            assert_eq!(job["docker"], as_yaml(docker), "docker of {name}");
        }
        if let Some(filters) = body.get("filters") {
            let (_, params) = workflow_jobs(&main, "main")
                .into_iter()
                .find(|(job, _)| job == name)
                .expect("job in workflow");
            assert_eq!(params["filters"], as_yaml(filters), "filters of {name}");
        }
    }
    for (index, body) in commands.iter().enumerate() {
        assert_eq!(
            main["commands"][format!("c{index}").as_str()],
            as_yaml(body),
            "command c{index}"
        );
    }
}

/// What a job's `environment` in any schema form is emitted as: the map of
/// names to text it stands for (`NAME=VALUE` and `NAME:` read as a shell
/// would), absent when it sets nothing.
fn environment_map(written: &Json) -> Value {
    fn add(written: &Json, out: &mut serde_yaml::Mapping) {
        match written {
            Json::Object(map) => {
                for (name, value) in map {
                    let text = match value {
                        Json::String(text) => text.clone(),
                        Json::Null => String::new(),
                        other => other.to_string(),
                    };
                    out.insert(name.as_str().into(), text.into());
                }
            }
            Json::Array(items) => items.iter().for_each(|item| add(item, out)),
            Json::String(pair) => {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                out.insert(name.into(), value.into());
            }
            _ => {}
        }
    }
    let mut out = serde_yaml::Mapping::new();
    add(written, &mut out);
    if out.is_empty() {
        Value::Null
    } else {
        Value::Mapping(out)
    }
}

/// The corpus really covers the schema: every built-in step the schema
/// lists, and every key of each, appears in it.
#[test]
fn the_corpus_covers_every_built_in_step_and_key() {
    let schema = Schema::load();
    let steps = schema.step_examples();
    for (name, keys) in schema.builtin_step_keys() {
        let bodies: Vec<&Json> = steps.iter().filter_map(|step| step.get(&name)).collect();
        assert!(!bodies.is_empty(), "no example of step `{name}`");
        for key in keys {
            assert!(
                bodies.iter().any(|body| body.get(&key).is_some()),
                "no example of `{name}.{key}`"
            );
        }
    }
    assert!(steps.iter().any(|s| s.get("when").is_some()));
    assert!(steps.iter().any(|s| s.get("unless").is_some()));
}

/// `generate` exits 2 with exactly `expected` on stderr and writes nothing.
fn fails(repo: &Repo, expected: &str) {
    repo.fails_with(&["generate"], 2, expected);
}

const JOB: &str = ".cigen/workflows/main/jobs/rspec.yml";

fn job(body: &str) -> Repo {
    minimal(&[("rspec.yml", body)])
}

/// Asserts the whole error: `error: rspec.yml:LINE: `KEY`: MESSAGE` and the hint line.
fn assert_error(body: &str, line: usize, key: &str, message: &str, hint: Option<&str>) {
    let mut expected = format!("error: {JOB}:{line}: `{key}`: {message}\n");
    if let Some(hint) = hint {
        expected.push_str(&format!("  hint: {hint}\n"));
    }
    fails(&job(body), &expected);
}

#[test]
fn misspelled_run_command_is_an_error() {
    assert_error(
        "image: a\nsteps:\n  - checkout\n  - run:\n      name: Test\n      comand: make test\n",
        6,
        "steps[1].run.comand",
        "unknown key `comand` in `run`",
        Some("did you mean `command`?"),
    );
}

#[test]
fn misspelled_filter_is_an_error_not_no_filter() {
    assert_error(
        "image: a\nsteps: [{run: make}]\nfilters:\n  branch:\n    only: main\n",
        4,
        "filters.branch",
        "unknown key `branch` in `filters`",
        Some("did you mean `branches`?"),
    );
    assert_error(
        "image: a\nsteps: [{run: make}]\nfilters:\n  tags:\n    onyl: /v.*/\n",
        5,
        "filters.tags.onyl",
        "unknown key `onyl` in `tags`",
        Some("did you mean `only`?"),
    );
    assert_error(
        "image: a\nsteps: [{run: make}]\nfilters: << pipeline.parameters.only >>\n",
        3,
        "filters",
        "a filter expression reads pipeline values directly, without `<< … >>`",
        Some("write `pipeline.parameters.NAME` or `pipeline.git.branch` as they are"),
    );
}

#[test]
fn misspelled_step_keys_are_errors() {
    assert_error(
        "image: a\nsteps:\n  - run: make\n  - store_test_results: {pth: out}\n",
        4,
        "steps[1].store_test_results.pth",
        "unknown key `pth` in `store_test_results`",
        Some("did you mean `path`?"),
    );
    assert_error(
        "image: a\nsteps:\n  - name: Test\n    run: make\n    no_output_timout: 5m\n",
        5,
        "steps[0].no_output_timout",
        "unknown key `no_output_timout` beside `run` in the `{name, run}` shorthand",
        Some("did you mean `no_output_timeout`?"),
    );
    assert_error(
        "image: a\nsteps:\n  - checkout:\n      method: blobles\n",
        4,
        "steps[0].checkout.method",
        "expected one of `blobless`, `full`, `shallow`, found `blobles`",
        Some("did you mean `blobless`?"),
    );
    assert_error(
        "image: a\nsteps:\n  - run: {command: make, when: allways}\n",
        3,
        "steps[0].run.when",
        "expected one of `always`, `on_success`, `on_fail`, found `allways`",
        Some("did you mean `always`?"),
    );
    assert_error(
        "image: a\nsteps:\n  - when:\n      condition: true\n      steps:\n        - save_cache: {key: v1, path: vendor}\n",
        6,
        "steps[0].when.steps[0].save_cache.path",
        "unknown key `path` in `save_cache`",
        Some("did you mean `paths`?"),
    );
}

#[test]
fn wrong_types_and_missing_keys_are_errors() {
    assert_error(
        "image: a\nparallelism: four\nsteps: [{run: make}]\n",
        2,
        "parallelism",
        "expected a positive integer, found `four`",
        None,
    );
    assert_error(
        "image: a\nparallelism: 0\nsteps: [{run: make}]\n",
        2,
        "parallelism",
        "expected a positive integer, found `0`",
        None,
    );
    assert_error(
        "image: a\nsteps:\n  - run:\n      command: make\n      background: maybe\n",
        5,
        "steps[0].run.background",
        "expected `true` or `false`, found `maybe`",
        None,
    );
    assert_error(
        "image: a\nsteps:\n  - run:\n      command: make\n      environment:\n        A: [1, 2]\n",
        6,
        "steps[0].run.environment.A",
        "an environment value is a string, number or boolean, found a list",
        None,
    );
    assert_error(
        "image: a\nsteps:\n  - restore_cache: {key: a, keys: [b]}\n",
        3,
        "steps[0].restore_cache",
        "`restore_cache` needs exactly one of `key` and `keys`",
        None,
    );
    assert_error(
        "image: a\nsteps:\n  - persist_to_workspace:\n      paths: [out]\n",
        3,
        "steps[0].persist_to_workspace.root",
        "`persist_to_workspace` needs `root`",
        None,
    );
}

#[test]
fn string_keys_refuse_numbers() {
    assert_error(
        "image: a\nresource_class: 2\nsteps: [{run: make}]\n",
        2,
        "resource_class",
        "invalid type: integer `2`, expected a string",
        None,
    );
    assert_error(
        "image: a\nshell: 5\nsteps: [{run: make}]\n",
        2,
        "shell",
        "expected a string or a list of strings, found `5`",
        None,
    );
}

#[test]
fn executor_entries_are_checked() {
    assert_error(
        "docker:\n  - image: cimg/ruby:3.3\n  - imag: postgres:16\nsteps: [{run: make}]\n",
        3,
        "docker[1].imag",
        "unknown key `imag` in `docker`",
        Some("did you mean `image`?"),
    );
    assert_error(
        "image: a\nservices:\n  - image: postgres:16\n    enviroment: {POSTGRES_DB: x}\nsteps: [{run: make}]\n",
        4,
        "services[0].enviroment",
        "unknown key `enviroment` in `docker`",
        Some("did you mean `environment`?"),
    );
    assert_error(
        "machine:\n  imgae: ubuntu-2204:current\nsteps: [{run: make}]\n",
        2,
        "machine.imgae",
        "unknown key `imgae` in `machine`",
        Some("did you mean `image`?"),
    );
    assert_error(
        "macos:\n  resource_class: m4pro.medium\nsteps: [{run: make}]\n",
        1,
        "macos.xcode",
        "`macos` needs `xcode`",
        None,
    );
}

#[test]
fn command_files_are_checked_and_named() {
    let repo = minimal(&[("rspec.yml", "image: a\nsteps: [setup]\n")]).file(
        ".cigen/commands/setup.yml",
        "descripton: Install\nsteps:\n  - run: make\n",
    );
    fails(
        &repo,
        "error: .cigen/commands/setup.yml:1: `descripton`: unknown key `descripton` in `command`\n  hint: did you mean `description`?\n",
    );
    let repo = minimal(&[("rspec.yml", "image: a\nsteps: [setup]\n")]).file(
        ".cigen/commands/setup.yml",
        "parameters:\n  version: {type: string, default: '3'}\nsteps:\n  - run: {command: make, shel: bash}\n",
    );
    fails(
        &repo,
        "error: .cigen/commands/setup.yml:4: `steps[0].run.shel`: unknown key `shel` in `run`\n  hint: did you mean `shell`?\n",
    );
}

#[test]
fn inline_cigen_yml_errors_name_its_line() {
    let repo = Repo::new().file(
        "cigen.yml",
        "provider: circleci\nworkflows:\n  main:\n    jobs:\n      rspec:\n        image: a\n        steps:\n          - run: {comand: make}\n",
    );
    fails(
        &repo,
        "error: cigen.yml:8: `steps[0].run.comand`: unknown key `comand` in `run`\n  hint: did you mean `command`?\n",
    );
}

#[test]
fn filter_expression_passes_through_unchanged() {
    let repo = job(
        "image: a\nsteps: [{run: make}]\nfilters: pipeline.git.branch == \"main\" or pipeline.git.tag starts-with \"v\"\n",
    );
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let main = repo.yaml(".circleci/main.yml");
    let (_, params) = workflow_jobs(&main, "main")
        .into_iter()
        .find(|(name, _)| name == "rspec")
        .expect("rspec");
    assert_eq!(
        params["filters"],
        Value::from("pipeline.git.branch == \"main\" or pipeline.git.tag starts-with \"v\"")
    );
    assert_circleci_schema(&[repo.path().join(".circleci/main.yml")]);
}

#[test]
fn bad_source_patterns_fail_at_load_time() {
    assert_error(
        "image: a\nsteps: [{run: make}]\nsource_files:\n  - app/**\n  - ./lib/**\n",
        5,
        "source_files[1]",
        "`./lib/**` is not a valid source pattern: expected a path inside the repository without `.` components",
        Some("did you mean `lib/**`?"),
    );
    assert_error(
        "image: a\nsteps: [{run: make}]\nsource_files: [/srv/app/**]\n",
        3,
        "source_files[0]",
        "`/srv/app/**` is not a valid source pattern: expected a path relative to the repository root, not an absolute one",
        None,
    );
    assert_error(
        "image: a\nsteps: [{run: make}]\nsource_files:\n  - \"app/[z-a].rb\"\n",
        4,
        "source_files[0]",
        "`app/[z-a].rb` is not a valid source pattern: invalid range; 'z' > 'a'",
        None,
    );
    let repo = job("image: a\nsteps: [{run: make}]\nsource_files: [\"@ruby\"]\n").file(
        ".cigen/config.yml",
        "provider: circleci\nsource_file_groups:\n  ruby:\n    - Gemfile\n    - ./app/**\n",
    );
    fails(
        &repo,
        "error: .cigen/config.yml:5: `source_file_groups.ruby: ./app/**`: `./app/**` is not a valid source pattern: expected a path inside the repository without `.` components\n  hint: did you mean `app/**`?\n",
    );
}
