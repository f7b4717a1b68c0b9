//! The shapes of what a job passes through to CircleCI besides its steps:
//! `docker` and `services` entries, `machine`, `macos`, `parallelism`,
//! `shell` and the workflow `filters`, plus the keys of a command body. Written from
//! CircleCI's published configuration schema and its reference,
//! https://circleci.com/docs/reference/configuration-reference/ (filters as
//! an expression string: https://circleci.com/docs/guides/orchestrate/using-branch-filters/).
//! Input: a raw job or a command body; output: the first fault, its path
//! from the job's (or command's) top level. It changes nothing.

use serde_yaml::Value;

use super::shape::{Fault, Shape, Table, check, is_expression};
use crate::config::RawJob;

const CODE_SIGNING: Shape = Shape::List(&Shape::Text(
    "a name of letters, digits and `-`, at most 50 long",
    |text| {
        !text.is_empty()
            && text.len() <= 50
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    },
));

const AWS_AUTH: Table = Table::new(
    "aws_auth",
    &[
        ("aws_access_key_id", Shape::Str),
        ("aws_secret_access_key", Shape::Str),
        ("oidc_role_arn", Shape::Str),
    ],
)
.one_of(&["aws_access_key_id", "oidc_role_arn"])
.needs(&[
    ("aws_access_key_id", "aws_secret_access_key"),
    ("aws_secret_access_key", "aws_access_key_id"),
]);

const GCP_AUTH: Table = Table::new(
    "gcp_auth",
    &[
        ("oidc_service_account", Shape::Str),
        ("workload_identity_pool", Shape::Str),
        ("workload_identity_provider", Shape::Str),
    ],
)
.required(&[
    "oidc_service_account",
    "workload_identity_pool",
    "workload_identity_provider",
]);

const AUTH: Table = Table::new(
    "auth",
    &[("username", Shape::Str), ("password", Shape::Str)],
)
.required(&["username", "password"]);

/// One entry of `docker:` (or `services:`).
const DOCKER_ENTRY: Table = Table::new(
    "docker",
    &[
        ("image", Shape::Str),
        ("name", Shape::Str),
        ("entrypoint", Shape::StrOrList),
        ("command", Shape::StrOrList),
        ("user", Shape::Str),
        ("environment", Shape::Env),
        ("aws_auth", Shape::Map(&AWS_AUTH)),
        ("gcp_auth", Shape::Map(&GCP_AUTH)),
        ("auth", Shape::Map(&AUTH)),
    ],
)
.required(&["image"]);

const DOCKER: Shape = Shape::List(&Shape::Map(&DOCKER_ENTRY));

const MACHINE: Table = Table::new(
    "machine",
    &[
        ("enabled", Shape::Scalar),
        ("image", Shape::Str),
        ("docker_layer_caching", Shape::Bool),
        ("resource_class", Shape::Str),
        ("shell", Shape::StrOrList),
        ("code_signing", CODE_SIGNING),
    ],
);

/// `machine: true` (or any scalar) or a map.
const MACHINE_SHAPE: Shape = Shape::Either(&[Shape::Scalar, Shape::Map(&MACHINE)]);

const MACOS: Table = Table::new(
    "macos",
    &[
        ("xcode", Shape::Either(&[Shape::Str, Shape::Number])),
        ("resource_class", Shape::Str),
        ("shell", Shape::StrOrList),
        ("code_signing", CODE_SIGNING),
    ],
)
.required(&["xcode"]);

const PARALLELISM: Shape = Shape::Int(Some(1), None);

const BRANCHES: Table = Table::new(
    "branches",
    &[("only", Shape::StrOrList), ("ignore", Shape::StrOrList)],
);

const TAGS: Table = Table::new(
    "tags",
    &[("only", Shape::StrOrList), ("ignore", Shape::StrOrList)],
);

const FILTERS: Table = Table::new(
    "filters",
    &[
        ("branches", Shape::Map(&BRANCHES)),
        ("tags", Shape::Map(&TAGS)),
    ],
);

/// A filter is a map of `branches`/`tags` or an expression string
/// (`pipeline.git.branch == "main"`).
const FILTERS_SHAPE: Shape = Shape::Either(&[Shape::Str, Shape::Map(&FILTERS)]);

const PARAMETER: Table = Table::new(
    "parameter",
    &[
        (
            "type",
            Shape::Enum(&[
                "boolean",
                "string",
                "steps",
                "enum",
                "executor",
                "integer",
                "env_var_name",
            ]),
        ),
        (
            "default",
            Shape::Either(&[
                Shape::Str,
                Shape::Bool,
                Shape::Int(None, None),
                Shape::List(&Shape::Any),
            ]),
        ),
        ("description", Shape::Str),
        ("enum", Shape::List(&Shape::Str)),
    ],
)
.required(&["type"]);

/// A file of `.cigen/commands/` (a CircleCI command body).
const COMMAND: Table = Table::new(
    "command",
    &[
        ("description", Shape::Str),
        ("parameters", Shape::Dict(&Shape::Map(&PARAMETER))),
        ("steps", Shape::StepList),
    ],
)
.required(&["steps"]);

/// Checks what a job passes through besides its steps.
pub(crate) fn check_job(job: &RawJob) -> Result<(), Fault> {
    let at = |key: &'static str| move |fault: Fault| fault.under(key);
    if let Some(docker) = &job.docker {
        check_entries(docker).map_err(at("docker"))?;
    }
    check_entries(&job.services).map_err(at("services"))?;
    if let Some(machine) = &job.machine {
        check(machine, &MACHINE_SHAPE).map_err(at("machine"))?;
    }
    if let Some(macos) = &job.macos {
        check(macos, &Shape::Map(&MACOS)).map_err(at("macos"))?;
    }
    if let Some(parallelism) = &job.parallelism {
        check(parallelism, &PARALLELISM).map_err(at("parallelism"))?;
    }
    if let Some(environment) = &job.environment {
        check(environment, &Shape::Env).map_err(at("environment"))?;
    }
    if let Some(shell) = &job.shell {
        check(shell, &Shape::StrOrList).map_err(at("shell"))?;
    }
    if let Some(filters) = &job.filters {
        check_filters(filters).map_err(at("filters"))?;
    }
    Ok(())
}

fn check_entries(entries: &[Value]) -> Result<(), Fault> {
    check(&Value::Sequence(entries.to_vec()), &DOCKER)
}

/// The schema refuses `<< … >>` in a filter expression: expressions read
/// pipeline values (`pipeline.parameters.x`) directly.
fn check_filters(filters: &Value) -> Result<(), Fault> {
    if let Some(text) = filters.as_str()
        && is_expression(text)
    {
        return Err(Fault::new(
            "a filter expression reads pipeline values directly, without `<< … >>`",
        )
        .hint(Some(
            "write `pipeline.parameters.NAME` or `pipeline.git.branch` as they are".into(),
        )));
    }
    check(filters, &FILTERS_SHAPE)
}

/// Checks the keys of a command body (`description`, `parameters`, `steps`).
pub(crate) fn check_command(body: &Value) -> Result<(), Fault> {
    check(body, &Shape::Map(&COMMAND))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::render;

    fn job(text: &str) -> Result<(), (String, String, Option<String>)> {
        let job: RawJob = serde_yaml::from_str(text).expect("raw job");
        check_job(&job).map_err(|fault| (render(&fault.path), fault.message, fault.hint))
    }

    #[test]
    fn schema_forms_pass() {
        for ok in [
            "machine: true",
            "machine: {image: ubuntu-2204:current, docker_layer_caching: true, shell: [bash]}",
            "macos: {xcode: 15.4}",
            "parallelism: << parameters.n >>",
            "filters: pipeline.git.branch == \"main\"",
            "filters: {branches: {only: main, ignore: [a, /b.*/]}, tags: {only: /v.*/}}",
            "docker: [{image: a, auth: {username: u, password: p}, aws_auth: {oidc_role_arn: r}}]",
            "image: a\nservices: [{image: b, environment: [A=1]}]",
        ] {
            assert_eq!(job(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn mistakes_name_the_key() {
        let err = job("parallelism: four").expect_err("invalid");
        assert_eq!(err.0, "parallelism");
        assert_eq!(err.1, "expected a positive integer, found `four`");
        let err = job("filters: {branch: {only: main}}").expect_err("invalid");
        assert_eq!(err.0, "filters.branch");
        assert_eq!(err.2.as_deref(), Some("did you mean `branches`?"));
        let err = job("docker: [{image: a}, {imag: b}]").expect_err("invalid");
        assert_eq!(err.0, "docker[1].imag");
        let err = job("docker: [{image: a, aws_auth: {aws_access_key_id: k}}]").expect_err("x");
        assert_eq!(err.0, "docker[0].aws_auth.aws_access_key_id");
        let err = job("filters: << pipeline.parameters.f >>").expect_err("invalid");
        assert_eq!(err.0, "filters");
    }

    #[test]
    fn command_keys_are_checked() {
        let body = |text: &str| serde_yaml::from_str::<Value>(text).expect("yaml");
        let ok = "description: d\nparameters: {v: {type: string, default: x, description: y}}\nsteps: [checkout]";
        assert_eq!(check_command(&body(ok)), Ok(()));
        let fault = check_command(&body("descripton: d\nsteps: [checkout]")).expect_err("x");
        assert_eq!(fault.hint.as_deref(), Some("did you mean `description`?"));
        let fault = check_command(&body("parameters: {v: {type: strin}}\nsteps: [checkout]"))
            .expect_err("x");
        assert_eq!(render(&fault.path), "parameters.v.type");
    }
}
