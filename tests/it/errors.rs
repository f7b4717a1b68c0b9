//! Bad input: every invalid configuration exits 2 with `error: FILE:LINE:
//! `KEY`: …`, suggests the nearest valid name where there is one, never
//! panics and writes no output at all.

use crate::common::*;

/// `generate` exits 2 with exactly `expected` on stderr and writes nothing.
fn fails(repo: &Repo, expected: &str) {
    repo.fails_with(&["generate"], 2, expected);
}

fn job(body: &str) -> Repo {
    minimal(&[("test/rspec.yml", body)]).file(
        ".cigen/workflows/main/config.yml",
        "stages: [{name: test}, {name: build}]\n",
    )
}

const OK_JOB: &str = "image: a\nsteps: [{run: make}]\n";

#[test]
fn yaml_syntax_error_names_file_and_line() {
    // The parser stops past the last line; the error names the last line.
    fails(
        &job("image: a\nsteps:\n  - run: [unclosed\n"),
        "error: .cigen/workflows/main/jobs/test/rspec.yml:3: `(document)`: did not find expected ',' or ']'\n",
    );
    fails(
        &job("image: a\nsteps:\n  - run: [unclosed"),
        "error: .cigen/workflows/main/jobs/test/rspec.yml:3: `(document)`: did not find expected ',' or ']'\n",
    );
    // Within the file, the parser's own line.
    fails(
        &job("image: a\nsteps: [{run: make}\nparallelism: 2\nshell: bash\n"),
        "error: .cigen/workflows/main/jobs/test/rspec.yml:3: `(document)`: did not find expected ',' or ']'\n",
    );
}

#[test]
fn non_utf8_is_an_error_with_its_line() {
    let repo = job(OK_JOB);
    std::fs::write(
        repo.path()
            .join(".cigen/workflows/main/jobs/test/rspec.yml"),
        b"image: a\nsteps: [\xff\xfe]\n",
    )
    .expect("write");
    fails(
        &repo,
        "error: .cigen/workflows/main/jobs/test/rspec.yml:2: `(file)`: file is not valid UTF-8\n",
    );
}

#[test]
fn unknown_field_suggests_the_near_match() {
    fails(
        &job("image: a\nsteps: [{run: make}]\nsource_file: [\"x\"]\n"),
        "error: .cigen/workflows/main/jobs/test/rspec.yml:3: `source_file`: unknown field `source_file`, expected one of `description`, `image`, `docker`, `machine`, `macos`, `services`, `resource_class`, `architectures`, `environment`, `context`, `parallelism`, `working_directory`, `shell`, `checkout`, `steps`, `source_files`, `requires`, `requires_any`, `approval`, `filters`, `allow_stage_noun`, `github`\n  hint: did you mean `source_files`?\n",
    );
    fails(
        &job(OK_JOB).file(
            ".cigen/config.yml",
            "architecture:\n  amd64: {resource_class: medium}\n",
        ),
        "error: .cigen/config.yml:1: `architecture`: unknown field `architecture`, expected one of `provider`, `providers`, `dynamic`, `dynamic_workflow`, `setup`, `parameters`, `architectures`, `source_file_groups`, `hash_salt`, `orbs`, `commands`, `workflows`\n  hint: did you mean `architectures`?\n",
    );
}

#[test]
fn wrong_type_names_the_key() {
    fails(
        &job("image: a\nparallelism: 2\napproval: sometimes\nsteps: [{run: make}]\n"),
        "error: .cigen/workflows/main/jobs/test/rspec.yml:3: `approval`: invalid type: string \"sometimes\", expected a boolean\n",
    );
}

#[test]
fn unknown_requires_suggests_a_job() {
    let repo =
        job("image: a\nsteps: [{run: make}]\nrequires:\n  - test_rspek_x\n  - build_imagee\n")
            .file(".cigen/workflows/main/jobs/build/image.yml", OK_JOB);
    fails(
        &repo,
        "error: .cigen/workflows/main/jobs/test/rspec.yml:4: `requires: test_rspek_x`: unknown job `test_rspek_x` in requires\n  hint: did you mean `test_rspec`?\n",
    );
    let repo = job("image: a\nsteps: [{run: make}]\nrequires:\n  - build_imagee\n")
        .file(".cigen/workflows/main/jobs/build/image.yml", OK_JOB);
    fails(
        &repo,
        "error: .cigen/workflows/main/jobs/test/rspec.yml:4: `requires: build_imagee`: unknown job `build_imagee` in requires\n  hint: did you mean `build_image`?\n",
    );
}

#[test]
fn unknown_requires_any_group_arch_and_status() {
    fails(
        &job("image: a\nsteps: [{run: make}]\napproval: true\nrequires_any: [approve_nothing]\n"),
        "error: .cigen/workflows/main/jobs/test/rspec.yml:4: `requires_any: approve_nothing`: unknown job `approve_nothing` in requires_any\n  hint: did you mean `approve_test_rspec`?\n",
    );

    let repo = job("image: a\nsteps: [{run: make}]\nsource_files: [\"@rubyy\"]\n").file(
        ".cigen/config.yml",
        "source_file_groups:\n  ruby: [\"**/*.rb\"]\n",
    );
    fails(
        &repo,
        "error: .cigen/workflows/main/jobs/test/rspec.yml:3: `source_files: @rubyy`: unknown source file group `rubyy`\n  hint: did you mean `ruby`?\n",
    );

    let repo = job("image: a\nsteps: [{run: make}]\narchitectures: [amd64, arm46]\n")
        .file(".cigen/config.yml", "architectures:\n  amd64: {resource_class: medium}\n  arm64: {resource_class: arm.medium}\n");
    fails(
        &repo,
        "error: .cigen/workflows/main/jobs/test/rspec.yml:3: `architectures: arm46`: unknown architecture `arm46`: declare it under `architectures:` in config.yml\n  hint: did you mean `arm64`?\n",
    );

    let repo = job("image: a\nsteps: [{run: make}]\n").file(
        ".cigen/workflows/main/jobs/build/x.yml",
        "image: a\nsteps: [{run: make}]\nrequires:\n  - test_rspec: [success, faild]\n",
    );
    fails(
        &repo,
        "error: .cigen/workflows/main/jobs/build/x.yml:4: `requires: faild`: unknown job status `faild`: expected one of success, failed, canceled, not_run, unauthorized, terminal\n  hint: did you mean `failed`?\n",
    );
}

#[test]
fn job_directory_must_be_a_declared_stage() {
    let repo = job(OK_JOB).file(".cigen/workflows/main/jobs/biuld/image.yml", OK_JOB);
    fails(
        &repo,
        "error: .cigen/workflows/main/jobs/biuld/image.yml: `stage biuld`: job directory `biuld` is not a declared stage of this workflow\n  hint: did you mean `build`?\n",
    );
}

#[test]
fn unknown_stage_in_stage_requires() {
    let repo = job(OK_JOB).file(
        ".cigen/workflows/main/config.yml",
        "stages:\n  - name: test\n  - name: build\n    requires: [tset]\n",
    );
    fails(
        &repo,
        "error: .cigen/workflows/main/config.yml:4: `stages: tset`: stage `build` requires unknown stage `tset`\n  hint: did you mean `test`?\n",
    );
}

#[test]
fn unknown_trigger_parameter_and_bad_parameter_types() {
    let repo = job(OK_JOB)
        .file(
            ".cigen/config.yml",
            "parameters:\n  run_nightly: {type: boolean, default: false}\n",
        )
        .file(
            ".cigen/workflows/nightly/config.yml",
            "trigger: {parameter: run_nighty}\n",
        )
        .file(".cigen/workflows/nightly/jobs/n.yml", OK_JOB);
    fails(
        &repo,
        "error: .cigen/workflows/nightly/config.yml:1: `trigger.parameter`: trigger parameter `run_nighty` is not a declared boolean parameter\n  hint: did you mean `run_nightly`?\n",
    );

    fails(
        &job(OK_JOB).file(
            ".cigen/config.yml",
            "parameters:\n  flag: {type: bool, default: false}\n",
        ),
        "error: .cigen/config.yml:2: `parameters.flag`: unknown parameter type `bool`: expected boolean, string, integer or enum\n  hint: did you mean `boolean`?\n",
    );
    fails(
        &job(OK_JOB).file(
            ".cigen/config.yml",
            "parameters:\n  flag: {type: boolean, default: \"yes\"}\n",
        ),
        "error: .cigen/config.yml:2: `parameters.flag`: default does not match type `boolean`\n",
    );
}

#[test]
fn dependency_cycles_print_the_cycle() {
    let repo = minimal(&[
        ("a.yml", "image: x\nrequires: [b]\nsteps: [{run: make}]\n"),
        ("b.yml", "image: x\nrequires: [c]\nsteps: [{run: make}]\n"),
        ("c.yml", "image: x\nrequires: [a]\nsteps: [{run: make}]\n"),
        ("d.yml", "image: x\nsteps: [{run: make}]\n"),
    ]);
    fails(
        &repo,
        "error: .cigen/workflows/main/jobs/a.yml: `requires`: dependency cycle: a -> b -> c -> a (each requires the next)\n",
    );
}

#[test]
fn a_job_that_requires_itself_is_told_so_not_that_it_is_unknown() {
    fails(
        &minimal(&[("a.yml", "image: x\nrequires: [a]\nsteps: [{run: make}]\n")]),
        "error: .cigen/workflows/main/jobs/a.yml:2: `requires: a`: job `a` cannot require itself\n",
    );
    fails(
        &minimal(&[(
            "a.yml",
            "image: x\napproval: true\nrequires_any: [a]\nsteps: [{run: make}]\n",
        )]),
        "error: .cigen/workflows/main/jobs/a.yml:3: `requires_any: a`: job `a` cannot require itself\n",
    );
    // Its own gate, one of its variants, its name within its stage.
    fails(
        &minimal(&[(
            "a.yml",
            "image: x\napproval: true\nrequires: [approve_a]\nsteps: [{run: make}]\n",
        )]),
        "error: .cigen/workflows/main/jobs/a.yml:3: `requires: approve_a`: job `a` cannot require itself: `approve_a` is its own approval\n",
    );
    fails(
        &minimal(&[("a.yml", "image: x\narchitectures: [amd64, arm64]\nrequires: [a_arm64]\nsteps: [{run: make}]\n")])
            .file(".cigen/config.yml", "architectures:\n  amd64: {resource_class: medium}\n  arm64: {resource_class: arm.medium}\n"),
        "error: .cigen/workflows/main/jobs/a.yml:3: `requires: a_arm64`: job `a` cannot require itself: `a_arm64` is one of its variants\n",
    );
    fails(
        &job("image: x\nrequires: [rspec]\nsteps: [{run: make}]\n"),
        "error: .cigen/workflows/main/jobs/test/rspec.yml:2: `requires: rspec`: job `test_rspec` cannot require itself: `rspec` is its name in stage `test`\n",
    );
}

#[test]
fn duplicate_ids_name_both_files() {
    let repo = job(OK_JOB).file(".cigen/workflows/main/jobs/test_rspec.yml", OK_JOB);
    fails(
        &repo,
        "error: .cigen/workflows/main/jobs/test/rspec.yml: `(job id)`: job id `test_rspec` is also used by .cigen/workflows/main/jobs/test_rspec.yml\n",
    );
    // A variant id colliding with another job.
    let repo = Repo::new()
        .file(".cigen/config.yml", "architectures:\n  amd64: {resource_class: medium}\n  arm64: {resource_class: arm.medium}\n")
        .file(".cigen/workflows/main/jobs/build.yml", "image: a\narchitectures: [amd64, arm64]\nsteps: [{run: make}]\n")
        .file(".cigen/workflows/main/jobs/build_arm64.yml", OK_JOB);
    fails(
        &repo,
        "error: .cigen/workflows/main/jobs/build_arm64.yml: `(job id)`: id `build_arm64` is produced twice in workflow `main`: by this file and by .cigen/workflows/main/jobs/build.yml\n  hint: rename one of the jobs: variants are named `<id>_<arch>`, approvals `approve_<stage>` and `approve_<id>`\n",
    );
}

#[test]
fn a_job_named_like_a_parallel_jobs_record_job_is_an_error_naming_both_files() {
    let parallel = "image: a\nparallelism: 2\nsource_files: [\"src/**\"]\nsteps: [{run: make}]\n";
    let repo = job(parallel)
        .file("src/app.rb", "app\n")
        .file(".cigen/workflows/main/jobs/test/rspec_record.yml", OK_JOB);
    fails(
        &repo,
        "error: .cigen/workflows/main/jobs/test/rspec_record.yml: `(job id)`: id `test_rspec_record` \
         is produced twice in workflow `main`: by this file and by .cigen/workflows/main/jobs/test/rspec.yml\n  \
         hint: cigen adds `test_rspec_record` to record the success of the parallel job `test_rspec`: rename the other job\n",
    );
    // The clash comes from the record job alone: a job that runs in one container has none.
    let repo = job("image: a\nsource_files: [\"src/**\"]\nsteps: [{run: make}]\n")
        .file("src/app.rb", "app\n")
        .file(".cigen/workflows/main/jobs/test/rspec_record.yml", OK_JOB);
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn invalid_job_names_and_reserved_ids() {
    fails(
        &minimal(&[("9lives.yml", OK_JOB)]),
        "error: .cigen/workflows/main/jobs/9lives.yml: `(job name)`: `9lives` is not a valid job name: start with a letter, then letters, digits, `_` or `-`\n",
    );
    fails(
        &minimal(&[("bad job.yml", OK_JOB)]),
        "error: .cigen/workflows/main/jobs/bad job.yml: `(job name)`: `bad job` is not a valid job name: start with a letter, then letters, digits, `_` or `-`\n",
    );
    fails(
        &minimal(&[("cigen_setup.yml", OK_JOB)]),
        "error: .cigen/workflows/main/jobs/cigen_setup.yml: `(job id)`: job id `cigen_setup` is reserved by cigen\n",
    );
}

#[test]
fn whole_file_errors_name_what_is_wrong_not_an_empty_key() {
    fails(
        &job(OK_JOB).file(".cigen/workflows/9w/jobs/x.yml", OK_JOB),
        "error: .cigen/workflows/9w/config.yml: `(workflow name)`: `9w` is not a valid workflow name\n",
    );
    let uses_foo = "image: a\nsteps: [foo]\n";
    let command = "steps: [{run: make}]\n";
    fails(
        &job(uses_foo)
            .file(".cigen/commands/foo.yml", command)
            .file(".cigen/commands/foo.yaml", command),
        "error: .cigen/commands/foo.yml: `(command name)`: command `foo` is also defined in .cigen/commands/foo.yaml\n",
    );
    fails(
        &job(uses_foo).file(".cigen/commands/foo.yml", command).file(
            ".cigen/config.yml",
            "commands:\n  foo:\n    steps: [{run: make}]\n",
        ),
        "error: .cigen/config.yml:2: `(command name)`: command `foo` is also defined in .cigen/commands/foo.yml\n",
    );
    fails(
        &job(OK_JOB).file(".cigen/commands/run.yml", command),
        "error: .cigen/commands/run.yml: `(command name)`: `run` cannot be a command name (reserved or not a valid name)\n",
    );
    fails(
        &job(uses_foo).file(".cigen/commands/foo.yml", "[{run: make}]\n"),
        "error: .cigen/commands/foo.yml: `(file)`: a command is a map with `steps:`\n",
    );
    fails(
        &job(uses_foo).file(".cigen/config.yml", "commands:\n  foo: [{run: make}]\n"),
        "error: .cigen/config.yml:2: `commands.foo`: a command is a map with `steps:`\n",
    );
}

#[test]
fn unknown_steps_and_orbs_are_errors() {
    fails(
        &job("image: a\nsteps:\n  - checkout\n  - chekout\n"),
        "error: .cigen/workflows/main/jobs/test/rspec.yml:4: `steps[1]`: unknown step `chekout`: not a CircleCI built-in step or a command in .cigen/commands/\n  hint: did you mean `checkout`?\n",
    );
    fails(
        &job("image: a\nsteps:\n  - node/install\n"),
        "error: .cigen/workflows/main/jobs/test/rspec.yml:3: `steps[0]`: step `node/install` uses orb `node`, which is not declared in `orbs:`\n",
    );
}

#[test]
fn executor_is_required_and_exclusive() {
    fails(
        &job("steps: [{run: make}]\n"),
        "error: .cigen/workflows/main/jobs/test/rspec.yml: `image`: a job needs exactly one of `image`, `docker`, `machine` or `macos`\n",
    );
    fails(
        &job("image: a\nmachine: true\nsteps: [{run: make}]\n"),
        "error: .cigen/workflows/main/jobs/test/rspec.yml:2: `machine`: both `image` and `machine` are set: a job runs on exactly one of `image`, `docker`, `machine` or `macos`\n",
    );
}

#[test]
fn yaml_alias_bomb_is_refused_without_hanging() {
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (index, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().enumerate() {
        let prev = ["a", "b", "c", "d", "e", "f", "g", "h"][index];
        bomb.push_str(&format!("{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
    }
    let repo = job(OK_JOB).file(".cigen/config/bomb.yml", &bomb);
    let started = std::time::Instant::now();
    fails(
        &repo,
        "error: .cigen/config/bomb.yml:1: `a`: unknown field `a`, expected one of `provider`, `providers`, `dynamic`, `dynamic_workflow`, `setup`, `parameters`, `architectures`, `source_file_groups`, `hash_salt`, `orbs`, `commands`, `workflows`\n",
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn dynamic_workflow_must_exist_and_others_need_a_trigger() {
    let repo = job(OK_JOB).file(".cigen/config.yml", "dynamic_workflow: mian\n");
    fails(
        &repo,
        "error: .cigen/config.yml:1: `dynamic_workflow`: dynamic workflow `mian` does not exist in workflows/\n  hint: did you mean `main`?\n",
    );
    let repo = job(OK_JOB).file(".cigen/workflows/other/jobs/x.yml", OK_JOB);
    fails(
        &repo,
        "error: .cigen/workflows/other/config.yml: `trigger`: workflow `other` is neither the dynamic workflow (`main`) nor has `trigger: {parameter: …}`\n",
    );
}

#[test]
fn an_empty_workflow_when_is_an_error_not_an_invalid_expression() {
    let empty = "an empty string is not a condition: write a logic statement or an expression (`pipeline.git.branch == \"main\"`), or remove `when`";
    fails(
        &job(OK_JOB).file(
            ".cigen/workflows/main/config.yml",
            "stages: [{name: test}]\nwhen: \"\"\n",
        ),
        &format!("error: .cigen/workflows/main/config.yml:2: `when`: {empty}\n"),
    );
    fails(
        &Repo::new().file(
            "cigen.yml",
            "workflows:\n  main:\n    when: '  '\n    jobs:\n      a: {image: a, steps: [{run: make}]}\n",
        ),
        &format!("error: cigen.yml:3: `when`: {empty}\n"),
    );
}

#[test]
fn stale_check_of_an_invalid_config_is_still_exit_2() {
    let repo = job("image: a\nsteps: [{run: make}]\nrequires: [nope]\n");
    repo.fails_with(&["generate", "--check"], 2, "error: .cigen/workflows/main/jobs/test/rspec.yml:3: `requires: nope`: unknown job `nope` in requires\n");
}
