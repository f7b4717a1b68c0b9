//! What a job's hash covers, through the real binary: the canonical JSON of
//! the rendered job (never the YAML writer's text), the orbs it uses, the
//! pipeline values it references; and the warnings for what a hash cannot
//! see (floating orb versions, per-pipeline values, commit-bound outputs).

use crate::common::*;
use crate::hashsupport::{self, GitFile};

#[test]
fn a_value_without_canonical_form_is_a_config_error_naming_file_line_and_path() {
    let repo = minimal(&[(
        "lint.yml",
        "image: cimg/base:current\nsource_files: [\"src/**\"]\nsteps:\n  - when:\n      condition: {1: x}\n      steps: [{run: make}]\n",
    )])
    .file("src/a.rs", "a\n");
    repo.commit_all();
    for command in ["generate", "hash"] {
        let output = repo.cigen().arg(command).output().expect("runs");
        assert_failed(
            &output,
            2,
            "error: .cigen/workflows/main/jobs/lint.yml:5: `steps[0].when.condition`: the mapping key `1` is not a string: \
             CircleCI keys are names (quote it); the job hash needs a canonical form of every value\n",
        );
    }
}

/// The canonical-form error names the path and line the user wrote, not
/// the rendered job's (with `checkout` added, a `{name, run}` shorthand
/// expanded, `image` and `services` made one `docker` list), in a job file
/// and in `cigen.yml`.
#[test]
fn the_canonical_form_error_names_the_written_path_not_the_rendered_one() {
    let tagged = "the YAML tag `!t` has no meaning to CircleCI: remove it; the job hash needs a canonical form of every value";
    let cases = [
        (
            "steps:\n  - {name: T, run: make, environment: {1: x}}\n",
            "4: `steps[0].environment`: the mapping key `1` is not a string: CircleCI keys are names (quote it); the job hash needs a canonical form of every value"
                .to_string(),
        ),
        (
            "services:\n  - image: b\n    command: [!t x]\nsteps: [{run: make}]\n",
            format!("5: `services[0].command[0]`: {tagged}"),
        ),
    ];
    for (rest, expected) in cases {
        let repo = minimal(&[(
            "lint.yml",
            &format!("image: a\nsource_files: [\"src/**\"]\n{rest}"),
        )])
        .file("src/a.rs", "a\n");
        repo.commit_all();
        repo.fails_with(
            &["generate"],
            2,
            &format!("error: .cigen/workflows/main/jobs/lint.yml:{expected}\n"),
        );
    }
    let repo = Repo::new()
        .file(
            "cigen.yml",
            "provider: circleci\nworkflows:\n  main:\n    jobs:\n      lint:\n        image: a\n        source_files: [\"src/**\"]\n        steps:\n          - run: {command: make, shell: !t bash}\n",
        )
        .file("src/a.rs", "a\n");
    repo.commit_all();
    repo.fails_with(
        &["generate"],
        2,
        &format!("error: cigen.yml:9: `steps[0].run.shell`: {tagged}\n"),
    );
}

/// Jobs: `direct` uses `node/install`; `nested` uses it inside `when`;
/// `through` uses the command `notify`, which uses `slack/notify`; `plain`
/// uses no orb. All hashed. `node` and `slack` are spliced in.
fn orb_project(node: &str, slack: &str) -> Repo {
    let job = |steps: &str| {
        format!("image: cimg/base:current\nsource_files: [\"src/**\"]\nsteps:\n{steps}")
    };
    let repo = Repo::new()
        .file(
            ".cigen/config.yml",
            &format!("provider: circleci\norbs:\n  node: {node}\n  slack: {slack}\n"),
        )
        .file(
            ".cigen/commands/notify.yml",
            "steps:\n  - slack/notify: {event: pass}\n",
        )
        .file(
            ".cigen/workflows/main/jobs/direct.yml",
            &job("  - node/install: {node-version: '20'}\n"),
        )
        .file(
            ".cigen/workflows/main/jobs/nested.yml",
            &job("  - when:\n      condition: true\n      steps: [node/install]\n"),
        )
        .file(
            ".cigen/workflows/main/jobs/through.yml",
            &job("  - notify\n"),
        )
        .file(
            ".cigen/workflows/main/jobs/plain.yml",
            &job("  - {name: Test, run: make test}\n"),
        )
        .file("src/a.rs", "a\n");
    repo.commit_all();
    repo
}

#[test]
fn an_orb_version_moves_exactly_the_hashes_of_jobs_using_that_orb() {
    let pinned = orb_project("circleci/node@5.2.0", "circleci/slack@4.13.3");
    let before = hash_json(&pinned, &[]);
    assert_eq!(before.len(), 4);

    let node = orb_project("circleci/node@6.1.0", "circleci/slack@4.13.3");
    assert_eq!(moved(&before, &hash_json(&node, &[])), ["direct", "nested"]);

    let slack = orb_project("circleci/node@5.2.0", "circleci/slack@4.14.0");
    assert_eq!(moved(&before, &hash_json(&slack, &[])), ["through"]);

    // An orb no job uses moves nothing.
    let extra = orb_project("circleci/node@5.2.0", "circleci/slack@4.13.3");
    extra.write(
        ".cigen/config.yml",
        "provider: circleci\norbs:\n  node: circleci/node@5.2.0\n  slack: circleci/slack@4.13.3\n  aws: circleci/aws-cli@4.0.0\n",
    );
    assert_eq!(
        moved(&before, &hash_json(&extra, &[])),
        Vec::<String>::new()
    );
}

#[test]
fn a_floating_orb_version_on_a_hashed_job_warns_naming_file_line_orb_and_jobs() {
    for version in ["5", "5.2", "volatile"] {
        let repo = orb_project(&format!("circleci/node@{version}"), "circleci/slack@4.13.3");
        let output = repo.cigen().arg("generate").output().expect("runs");
        assert!(output.status.success(), "{}", stderr(&output));
        let warnings: Vec<String> = stderr(&output).lines().map(str::to_string).collect();
        assert_eq!(
            warnings,
            [format!(
                "warning: .cigen/config.yml:3: orb `node: circleci/node@{version}` has a floating version: the hash of `direct`, `nested` cannot see which release CircleCI resolves it to, so a new release would be skipped over; pin a full version (`circleci/node@X.Y.Z`)"
            )]
        );
    }
    // Pinned, or floating but used by no hashed job: no warning.
    let repo = orb_project("circleci/node@5.2.0", "circleci/slack@4.13.3");
    repo.write(
        ".cigen/config.yml",
        "provider: circleci\norbs:\n  node: circleci/node@5.2.0\n  slack: circleci/slack@4.13.3\n  aws: circleci/aws-cli@volatile\n",
    );
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success());
    assert_eq!(stderr(&output), "");
}

/// JSON with the keys of every object sorted, written here independently
/// of cigen (the format in `src/hash/mod.rs`).
fn canonical_json(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", items.join(","))
        }
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let entries: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        serde_json::Value::from(k.as_str()),
                        canonical_json(&map[k])
                    )
                })
                .collect();
            format!("{{{}}}", entries.join(","))
        }
        scalar => scalar.to_string(),
    }
}

fn index_files(repo: &Repo) -> Vec<GitFile> {
    let out = hashsupport::run_git(repo.path(), &["ls-files", "-s", "-z"], &[]);
    out.split('\0')
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (meta, path) = line.split_once('\t').expect("tab");
            let fields: Vec<&str> = meta.split(' ').collect();
            GitFile {
                path: path.to_string(),
                mode: u32::from_str_radix(fields[0], 8).expect("mode"),
                id: fields[1].to_string(),
            }
        })
        .collect()
}

#[test]
fn the_job_field_is_the_canonical_json_of_the_rendered_job_not_yaml_text() {
    let repo = orb_project("circleci/node@5.2.0", "circleci/slack@4.13.3");
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let main = repo.yaml(".circleci/main.yml");
    let document = serde_json::json!({
        "job": serde_json::to_value(&main["jobs"]["through"]).expect("json"),
        "commands": {"notify": serde_json::to_value(&main["commands"]["notify"]).expect("json")},
        "context": [],
        "orbs": {"slack": "circleci/slack@4.13.3"},
    });
    let input = cigen::hash::HashInput {
        variant_id: "through".into(),
        arch: "amd64".into(),
        canonical_job: canonical_json(&document).into_bytes(),
        patterns: vec![],
        upstream: vec![],
        walked: vec![],
        values: vec![],
    };
    let files: Vec<GitFile> = index_files(&repo)
        .into_iter()
        .filter(|f| f.path.starts_with("src/"))
        .collect();
    let expected = hashsupport::expected(&input, &files, &[], None);
    assert_eq!(hash_json(&repo, &[])["through"], expected.as_str());
}

/// The stderr lines of a successful `generate` run: its warnings, nothing else.
fn warnings(repo: &Repo) -> Vec<String> {
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    stderr(&output).lines().map(str::to_string).collect()
}

#[test]
fn a_per_pipeline_value_in_a_hashed_job_warns_that_it_never_skips() {
    let repo = minimal(&[
        (
            "stamp.yml",
            "image: cimg/base:current\nsource_files: [\"src/**\"]\nsteps:\n  - {name: Stamp, run: echo build << pipeline.number >>}\n",
        ),
        // Not hashed: no warning, it never skips anyway.
        (
            "log.yml",
            "image: cimg/base:current\nsteps:\n  - {name: Log, run: echo << pipeline.id >>}\n",
        ),
    ])
    .file("src/a.rs", "a\n");
    assert_eq!(
        warnings(&repo),
        [
            "warning: .cigen/workflows/main/jobs/stamp.yml:4: job `stamp` uses `<< pipeline.number >>`, which differs in every pipeline: its hash never matches an earlier one, so it never skips (drop the value, or the job's source_files)"
        ]
    );
}

#[test]
fn commit_bound_variables_in_a_hashed_job_warn_with_file_and_line() {
    let repo = minimal(&[(
        "image.yml",
        "image: cimg/base:current\nsource_files: [\"src/**\"]\nenvironment:\n  TAG: app:${CIRCLE_SHA1}\nsteps:\n  - {name: Build, run: docker build -t \"$TAG\" .}\n  - publish\n",
    )])
    .file(
        ".cigen/commands/publish.yml",
        "steps:\n  - run:\n      name: Publish\n      command: |\n        echo build $CIRCLE_BUILD_NUM\n",
    )
    .file("src/a.rs", "a\n");
    let hint = "what it makes under that name (an image tag, an artifact) is never made when the job is skipped; name it by `$CIGEN_JOB_HASH`, the hash of the job's inputs, instead";
    assert_eq!(
        warnings(&repo),
        [
            format!(
                "warning: .cigen/commands/publish.yml:5: job `image` uses `$CIRCLE_BUILD_NUM`: {hint}"
            ),
            format!(
                "warning: .cigen/workflows/main/jobs/image.yml:4: job `image` uses `$CIRCLE_SHA1`: {hint}"
            ),
        ]
    );
    // The same steps in a job without source_files never skip: no warning.
    repo.write(
        ".cigen/workflows/main/jobs/image.yml",
        "image: cimg/base:current\nenvironment:\n  TAG: app:${CIRCLE_SHA1}\nsteps:\n  - publish\n",
    );
    assert_eq!(warnings(&repo), Vec::<String>::new());
}

#[test]
fn a_reference_to_an_undeclared_pipeline_parameter_is_a_config_error() {
    let repo = minimal(&[(
        "deploy.yml",
        "image: cimg/base:current\nsteps:\n  - checkout\n  - {name: Deploy, run: ./deploy << pipeline.parameters.deploy_rev >>}\n",
    )])
    .file(
        ".cigen/config.yml",
        "provider: circleci\nparameters:\n  deploy_ref: {type: string, default: main}\n",
    );
    repo.fails_with(
        &["generate"],
        2,
        "error: .cigen/workflows/main/jobs/deploy.yml:4: `pipeline.parameters.deploy_rev`: job `deploy` uses pipeline parameter `deploy_rev`, which is not declared under `parameters:` in config.yml\n  hint: did you mean `deploy_ref`?\n",
    );
}

/// Two parameters whose names differ only in `-` and `_`.
const CLASHING_PARAMETERS: &str = "provider: circleci\nparameters:\n  a-b: {type: string, default: x}\n  a_b: {type: string, default: y}\n";

/// The refusal when `deploy.yml` line 5 reads `a_b` and a hash also covers `a-b`.
const CLASH_AT_DEPLOY: &str = "error: .cigen/workflows/main/jobs/deploy.yml:5: `pipeline.parameters.a_b`: `pipeline.parameters.a_b` and `pipeline.parameters.a-b` would both reach `cigen setup` as `CIGEN_PARAM_a_b`: rename one\n";

#[test]
fn two_values_that_would_share_one_variable_are_a_config_error() {
    let repo = minimal(&[(
        "deploy.yml",
        "image: cimg/base:current\nsource_files: [\"src/**\"]\nsteps:\n  - {name: A, run: echo << pipeline.parameters.a-b >>}\n  - {name: B, run: echo << pipeline.parameters.a_b >>}\n",
    )])
    .file(".cigen/config.yml", CLASHING_PARAMETERS)
    .file("src/a.rs", "a\n");
    repo.fails_with(&["generate"], 2, CLASH_AT_DEPLOY);
}

/// The clash check looked only at hashed jobs' own references: a value of
/// an unhashed job that a hash walks through (`compile` before `deploy`)
/// also reaches `cigen setup` and the hashed job's environment, so `a-b`
/// there and `a_b` in `deploy` passed, one overwriting the other.
#[test]
fn r_two_values_sharing_one_variable_through_a_walked_unhashed_job_were_not_refused() {
    let repo = minimal(&[
        (
            "compile.yml",
            "image: cimg/base:current\nsteps:\n  - {name: A, run: echo << pipeline.parameters.a-b >>}\n",
        ),
        (
            "deploy.yml",
            "image: cimg/base:current\nsource_files: [\"src/**\"]\nrequires: [compile]\nsteps:\n  - {name: B, run: echo << pipeline.parameters.a_b >>}\n",
        ),
    ])
    .file(".cigen/config.yml", CLASHING_PARAMETERS)
    .file("src/a.rs", "a\n");
    repo.fails_with(&["generate"], 2, CLASH_AT_DEPLOY);
    // Once nothing walks `compile` (no hashed job after it), its value reaches no hash.
    let alone = repo.file(
        ".cigen/workflows/main/jobs/deploy.yml",
        "image: cimg/base:current\nsource_files: [\"src/**\"]\nsteps:\n  - {name: B, run: echo << pipeline.parameters.a_b >>}\n",
    );
    let output = alone.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn pipeline_in_setup_in_a_hashed_job_warns_that_it_never_records() {
    let repo = minimal(&[(
        "probe.yml",
        "image: cimg/base:current\nsource_files: [\"src/**\"]\nsteps:\n  - {name: Probe, run: echo << pipeline.in_setup >>}\n",
    )])
    .file("src/a.rs", "a\n");
    assert_eq!(
        warnings(&repo),
        [
            "warning: .cigen/workflows/main/jobs/probe.yml:4: job `probe` uses `<< pipeline.in_setup >>`, which is `true` where `cigen setup` hashes it and `false` where the job runs: its record step never finds the value its hash covers and never records, so it never skips (drop the value, or the job's source_files)"
        ]
    );
}

/// `install` (hashed) → `compile` (unhashed, reads `flavor`) → `test`
/// (hashed) and `lint` (hashed, requires `install` only); `report`
/// (unhashed) requires `test`. `compile` is spliced in.
fn walked_project(compile: &str) -> Repo {
    let hashed = |requires: &str, run: &str| {
        format!(
            "image: cimg/base:current\nsource_files: [\"src/**\"]\n{requires}steps:\n  - {{name: Run, run: {run}}}\n"
        )
    };
    let repo = Repo::new()
        .file(
            ".cigen/config.yml",
            "provider: circleci\nparameters:\n  flavor: {type: string, default: plain}\n",
        )
        .file(".cigen/workflows/main/jobs/install.yml", &hashed("", "make deps"))
        .file(
            ".cigen/workflows/main/jobs/compile.yml",
            &format!("image: cimg/base:current\nrequires: [install]\nsteps:\n  - {{name: Compile, run: {compile}}}\n"),
        )
        .file(".cigen/workflows/main/jobs/test.yml", &hashed("requires: [compile]\n", "make test"))
        .file(".cigen/workflows/main/jobs/lint.yml", &hashed("requires: [install]\n", "make lint"))
        .file(
            ".cigen/workflows/main/jobs/report.yml",
            "image: cimg/base:current\nrequires: [test]\nsteps:\n  - {name: Report, run: make report}\n",
        )
        .file("src/a.rs", "a\n");
    repo.generate_and_commit();
    repo
}

/// An unhashed job always runs, but what it does reaches the hashed jobs
/// after it (a workspace, an artifact): its definition is part of their
/// hash, and so are the pipeline values it references.
#[test]
fn r_an_edit_to_an_unhashed_job_between_hashed_ones_moved_no_hash() {
    let before = hash_json(&walked_project("make v1"), &[]);
    let after = hash_json(&walked_project("make v2"), &[]);
    assert_eq!(moved(&before, &after), ["test"]);

    // `report` comes after every hashed job: editing it moves nothing.
    let repo = walked_project("make v1");
    repo.write(
        ".cigen/workflows/main/jobs/report.yml",
        "image: cimg/base:current\nrequires: [test]\nsteps:\n  - {name: Report, run: make other}\n",
    );
    assert_eq!(moved(&before, &hash_json(&repo, &[])), Vec::<String>::new());

    // A value the unhashed job reads moves the hashed job after it, and reaches `cigen setup`.
    let repo = walked_project("make << pipeline.parameters.flavor >>");
    let plain = hash_json(&repo, &[]);
    let spicy = hash_json(&repo, &[("CIGEN_PARAM_flavor", "spicy")]);
    assert_eq!(moved(&plain, &spicy), ["test"]);
    let config = repo.yaml(".circleci/config.yml");
    let setup = &config["jobs"]["cigen_setup"]["steps"][1]["run"];
    assert_eq!(setup["name"], "cigen setup");
    assert_eq!(
        setup["environment"]["CIGEN_PARAM_flavor"],
        "<< pipeline.parameters.flavor >>"
    );
}

const COMPILE: &str = ".cigen/workflows/main/jobs/compile.yml";

/// The floating-orb warning looked only at the hashed jobs' own bodies: a
/// floating orb used by an unhashed job that a hash walks through (its
/// definition, the orb's text included, is in that hash) gave none.
#[test]
fn r_a_floating_orb_in_an_unhashed_job_a_hash_walks_through_gave_no_warning() {
    let repo = walked_project("make");
    repo.write(
        ".cigen/config.yml",
        "provider: circleci\norbs:\n  node: circleci/node@6\n  aws: circleci/aws-cli@4.1.2\n",
    );
    repo.write(
        COMPILE,
        "image: cimg/base:current\nrequires: [install]\nsteps:\n  - {name: Compile, run: make}\n  - node/install\n  - aws/setup\n",
    );
    // `report` comes after every hashed job: no hash walks it, no warning.
    repo.write(
        ".cigen/workflows/main/jobs/report.yml",
        "image: cimg/base:current\nrequires: [test]\nsteps:\n  - node/install\n",
    );
    let expected = "warning: .cigen/workflows/main/jobs/compile.yml:5: job `compile` uses orb `node: circleci/node@6`, which has a floating version; `compile` is not hashed, so its definition enters the hash of `test`, the hashed job(s) after it, and that hash cannot see which release CircleCI resolves it to, so a new release would be skipped over; pin a full version (`circleci/node@X.Y.Z`)";
    assert_eq!(warnings(&repo), [expected]);

    // Through a command the unhashed job uses: the command's line.
    repo.write(
        ".cigen/commands/deps.yml",
        "steps:\n  - run: make deps\n  - node/install\n",
    );
    repo.write(
        COMPILE,
        "image: cimg/base:current\nrequires: [install]\nsteps:\n  - deps\n",
    );
    assert_eq!(
        warnings(&repo),
        [expected.replace(
            ".cigen/workflows/main/jobs/compile.yml:5",
            ".cigen/commands/deps.yml:3"
        )]
    );

    // Pinned: no warning.
    repo.write(
        ".cigen/config.yml",
        "provider: circleci\norbs:\n  node: circleci/node@6.1.0\n  aws: circleci/aws-cli@4.1.2\n",
    );
    assert_eq!(warnings(&repo), Vec::<String>::new());
}

/// The "never skips" warning looked only at the hashed jobs' own bodies: a
/// per-pipeline value in an unhashed job that hashes walk through moves
/// those hashes in every pipeline, silently.
#[test]
fn r_a_per_pipeline_value_reaching_hashes_through_an_unhashed_job_gave_no_warning() {
    let repo = walked_project("echo << pipeline.number >>").file(
        ".cigen/workflows/main/jobs/bench.yml",
        "image: cimg/base:current\nsource_files: [\"src/**\"]\nrequires: [compile]\nsteps:\n  - {name: Bench, run: make bench}\n",
    );
    // It does move them: `bench` and `test` never match an earlier hash.
    let one = hash_json(&repo, &[("CIGEN_PIPELINE_number", "1")]);
    let two = hash_json(&repo, &[("CIGEN_PIPELINE_number", "2")]);
    assert_eq!(moved(&one, &two), ["bench", "test"]);
    assert_eq!(
        warnings(&repo),
        [
            "warning: .cigen/workflows/main/jobs/compile.yml:4: job `compile` uses `<< pipeline.number >>`, which differs in every pipeline; `compile` is not hashed, so the value enters the hash of `bench`, `test`, the hashed job(s) after it: they never skip (drop the value from `compile`, or their source_files)"
        ]
    );

    // `pipeline.in_setup` likewise: setup hashes `true`, the jobs see `false`.
    repo.write(
        COMPILE,
        "image: cimg/base:current\nrequires: [install]\nsteps:\n  - {name: Compile, run: echo << pipeline.in_setup >>}\n",
    );
    assert_eq!(
        warnings(&repo),
        [
            "warning: .cigen/workflows/main/jobs/compile.yml:4: job `compile` uses `<< pipeline.in_setup >>`, which is `true` where `cigen setup` hashes it and `false` where the job runs; `compile` is not hashed, so the value enters the hash of `bench`, `test`, the hashed job(s) after it: they never skip (drop the value from `compile`, or their source_files)"
        ]
    );
}
