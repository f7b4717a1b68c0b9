//! The shapes of CircleCI's built-in steps (`run`, `checkout`,
//! `save_cache`, …), written from CircleCI's published configuration
//! schema (the one `check-jsonschema --builtin-schema vendor.circle-ci`
//! uses) and its reference, https://circleci.com/docs/reference/configuration-reference/#steps.
//! Input: a built-in step's name and body; output: the first fault, its
//! path starting at the step's name. Nested step lists (`when.steps`,
//! `with_tool_cache.steps`) are left to the step normaliser.

use serde_yaml::Value;

use super::shape::{Fault, Shape, Table, check};

const STEP_WHEN: Shape = Shape::Enum(&["always", "on_success", "on_fail"]);

/// `no_output_timeout`: the schema's unanchored `\d+(\.\d+)?[mhs]`, which
/// holds exactly when a digit is directly followed by `m`, `h` or `s`.
const TIMEOUT: Shape = Shape::Either(&[
    Shape::Text("a duration such as `20m`, `1.25h` or `5s`", |text| {
        text.as_bytes()
            .windows(2)
            .any(|pair| pair[0].is_ascii_digit() && b"mhs".contains(&pair[1]))
    }),
    Shape::Int(None, None),
]);

const RERUNS: Shape = Shape::Int(Some(1), Some(5));

/// `auto_rerun_delay`: `1m` to `10m`, or seconds (`30s`).
const RERUN_DELAY: Shape = Shape::Text(
    "a delay from `1m` to `10m`, or seconds such as `30s`",
    |text| {
        let digits =
            |d: &str| !d.is_empty() && !d.starts_with('0') && d.bytes().all(|b| b.is_ascii_digit());
        match (text.strip_suffix('m'), text.strip_suffix('s')) {
            (Some(minutes), _) => digits(minutes) && minutes.parse::<u8>().is_ok_and(|m| m <= 10),
            (_, Some(seconds)) => digits(seconds),
            _ => false,
        }
    },
);

const RUN: Table = Table::new(
    "run",
    &[
        ("command", Shape::Str),
        ("name", Shape::Str),
        ("shell", Shape::Str),
        ("environment", Shape::Env),
        ("background", Shape::Bool),
        ("working_directory", Shape::Str),
        ("no_output_timeout", TIMEOUT),
        ("when", STEP_WHEN),
        ("max_auto_reruns", RERUNS),
        ("auto_rerun_delay", RERUN_DELAY),
        ("pwd", Shape::Str),
        ("path", Shape::Str),
        ("teardown", Shape::List(&Shape::Map(&TEARDOWN_STEP))),
    ],
)
.required(&["command"])
.needs(&[("auto_rerun_delay", "max_auto_reruns")]);

const RUN_STEP: Shape = Shape::Either(&[Shape::Str, Shape::Map(&RUN)]);

/// A `teardown` step: one of five built-ins, the `run` form restricted.
const TEARDOWN_STEP: Table = Table::new(
    "teardown step",
    &[
        (
            "run",
            Shape::Either(&[Shape::Str, Shape::Map(&TEARDOWN_RUN)]),
        ),
        ("save_cache", Shape::Map(&SAVE_CACHE)),
        ("persist_to_workspace", Shape::Map(&PERSIST_TO_WORKSPACE)),
        ("store_artifacts", Shape::Map(&STORE_ARTIFACTS)),
        ("store_test_results", Shape::Map(&STORE_TEST_RESULTS)),
    ],
)
.one_of(&[
    "run",
    "save_cache",
    "persist_to_workspace",
    "store_artifacts",
    "store_test_results",
]);

/// The schema leaves a teardown `run` open to other keys, except `teardown`.
const TEARDOWN_RUN: Table = Table::new(
    "run",
    &[
        ("command", Shape::Str),
        ("name", Shape::Str),
        ("when", STEP_WHEN),
        (
            "background",
            Shape::Is(
                "`false`: a teardown step cannot run in the background",
                |value| value.as_bool() == Some(false),
            ),
        ),
        ("max_auto_reruns", RERUNS),
        ("auto_rerun_delay", RERUN_DELAY),
        (
            "teardown",
            Shape::Never("a teardown step has no `teardown` of its own"),
        ),
    ],
)
.required(&["command"])
.needs(&[("auto_rerun_delay", "max_auto_reruns")])
.open();

const CHECKOUT: Table = Table::new(
    "checkout",
    &[
        ("path", Shape::Str),
        ("method", Shape::Enum(&["blobless", "full", "shallow"])),
        ("depth", Shape::Int(Some(1), None)),
        ("when", STEP_WHEN),
    ],
);

const SETUP_REMOTE_DOCKER: Table = Table::new(
    "setup_remote_docker",
    &[
        ("docker_layer_caching", Shape::Bool),
        ("prefer_same_region", Shape::Bool),
        ("version", Shape::Str),
        ("when", STEP_WHEN),
        ("resource_class", Shape::Str),
    ],
);

const SAVE_CACHE: Table = Table::new(
    "save_cache",
    &[
        ("paths", Shape::StrOrList),
        (
            "key",
            Shape::Text("a non-empty string", |text| !text.is_empty()),
        ),
        ("name", Shape::Str),
        ("when", STEP_WHEN),
    ],
)
.required(&["paths", "key"]);

const RESTORE_CACHE: Table = Table::new(
    "restore_cache",
    &[
        ("key", Shape::Str),
        ("keys", Shape::StrOrList),
        ("name", Shape::Str),
        ("when", STEP_WHEN),
    ],
)
.one_of(&["key", "keys"]);

const STORE_ARTIFACTS: Table = Table::new(
    "store_artifacts",
    &[
        ("path", Shape::Str),
        ("destination", Shape::Str),
        ("name", Shape::Str),
        ("when", STEP_WHEN),
    ],
)
.required(&["path"]);

const STORE_TEST_RESULTS: Table = Table::new(
    "store_test_results",
    &[
        ("path", Shape::Str),
        ("name", Shape::Str),
        ("when", STEP_WHEN),
    ],
)
.required(&["path"]);

const PERSIST_TO_WORKSPACE: Table = Table::new(
    "persist_to_workspace",
    &[
        ("root", Shape::Str),
        ("paths", Shape::StrOrList),
        ("path", Shape::Str),
        ("name", Shape::Str),
        ("when", STEP_WHEN),
    ],
)
.required(&["root"])
.one_of(&["paths", "path"]);

const ATTACH_WORKSPACE: Table = Table::new(
    "attach_workspace",
    &[
        ("at", Shape::Str),
        ("name", Shape::Str),
        ("when", STEP_WHEN),
    ],
)
.required(&["at"]);

const ADD_SSH_KEYS: Table = Table::new(
    "add_ssh_keys",
    &[("fingerprints", Shape::StrOrList), ("when", STEP_WHEN)],
);

const INSTALL_SIGNING_BUNDLE: Table = Table::new("install_signing_bundle", &[]).open();

const WITH_TOOL_CACHE: Table = Table::new(
    "with_tool_cache",
    &[
        (
            "tool",
            Shape::Enum(&["gradle", "bazel", "turborepo", "xcode"]),
        ),
        ("steps", Shape::StepList),
    ],
)
.required(&["tool", "steps"]);

/// `when` / `unless`: the schema checks `condition` and `steps` and leaves
/// other keys open; `condition` is a logic statement, itself open to any
/// map of keys, so only its presence is checked.
const WHEN: Table = Table::new(
    "when",
    &[("condition", Shape::Any), ("steps", Shape::StepOrList)],
)
.required(&["condition", "steps"])
.open();

const UNLESS: Table = Table::new(
    "unless",
    &[("condition", Shape::Any), ("steps", Shape::StepOrList)],
)
.required(&["condition", "steps"])
.open();

/// Every built-in step and the shape of its body (`- name: BODY`).
pub(crate) const BUILTIN: &[(&str, Shape)] = &[
    (
        "add_ssh_keys",
        Shape::Either(&[Shape::Enum(&["add_ssh_keys"]), Shape::Map(&ADD_SSH_KEYS)]),
    ),
    ("attach_workspace", Shape::Map(&ATTACH_WORKSPACE)),
    (
        "checkout",
        Shape::Either(&[Shape::Enum(&["checkout"]), Shape::Map(&CHECKOUT)]),
    ),
    ("deploy", RUN_STEP),
    (
        "install_signing_bundle",
        Shape::Either(&[Shape::Null, Shape::Map(&INSTALL_SIGNING_BUNDLE)]),
    ),
    ("persist_to_workspace", Shape::Map(&PERSIST_TO_WORKSPACE)),
    ("restore_cache", Shape::Map(&RESTORE_CACHE)),
    ("run", RUN_STEP),
    ("save_cache", Shape::Map(&SAVE_CACHE)),
    (
        "setup_remote_docker",
        Shape::Either(&[
            Shape::Enum(&["setup_remote_docker"]),
            Shape::Map(&SETUP_REMOTE_DOCKER),
        ]),
    ),
    ("store_artifacts", Shape::Map(&STORE_ARTIFACTS)),
    ("store_test_results", Shape::Map(&STORE_TEST_RESULTS)),
    ("unless", Shape::Map(&UNLESS)),
    ("when", Shape::Map(&WHEN)),
    ("with_tool_cache", Shape::Map(&WITH_TOOL_CACHE)),
];

/// Keys of a `run:` map other than `command`: what may sit beside `run:`
/// in cigen's shorthand `{name: X, run: cmd}`.
pub(crate) fn run_keys() -> impl Iterator<Item = &'static str> {
    RUN.fields
        .iter()
        .map(|(key, _)| *key)
        .filter(|key| *key != "command")
}

/// Checks the body of built-in step `name`; other names pass.
pub(crate) fn check_builtin(name: &str, body: &Value) -> Result<(), Fault> {
    match BUILTIN.iter().find(|(builtin, _)| *builtin == name) {
        Some((_, shape)) => check(body, shape).map_err(|fault| fault.under(name)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::render;

    fn fault(step: &str, body: &str) -> (String, String, Option<String>) {
        let body: Value = serde_yaml::from_str(body).expect("yaml");
        let fault = check_builtin(step, &body).expect_err("invalid");
        (render(&fault.path), fault.message, fault.hint)
    }

    fn ok(step: &str, body: &str) {
        let body: Value = serde_yaml::from_str(body).expect("yaml");
        assert_eq!(check_builtin(step, &body), Ok(()), "{step}: {body:?}");
    }

    #[test]
    fn every_schema_form_is_accepted() {
        ok(
            "checkout",
            "{method: blobless, path: src, depth: 1, when: always}",
        );
        ok("checkout", "checkout");
        ok(
            "run",
            "{command: make, max_auto_reruns: 3, auto_rerun_delay: 30s}",
        );
        ok(
            "run",
            "{command: make, when: on_fail, no_output_timeout: 1.25h}",
        );
        ok(
            "run",
            "{command: make, teardown: [{run: {command: x, extra: 1}}, {store_test_results: {path: out}}]}",
        );
        ok("restore_cache", "{key: a}");
        ok("restore_cache", "{keys: [a, b]}");
        ok(
            "save_cache",
            "{paths: [x], key: k, when: << parameters.when >>}",
        );
        ok(
            "when",
            "{condition: {equal: [a, b]}, steps: [checkout], extra: 1}",
        );
        ok("install_signing_bundle", "null");
    }

    #[test]
    fn typos_and_wrong_types_name_the_key() {
        let (path, message, hint) = fault("run", "{comand: make}");
        assert_eq!(path, "run.comand");
        assert_eq!(message, "unknown key `comand` in `run`");
        assert_eq!(hint.as_deref(), Some("did you mean `command`?"));
        let (path, message, _) = fault("store_test_results", "{pth: out}");
        assert_eq!(
            (path.as_str(), message.as_str()),
            (
                "store_test_results.pth",
                "unknown key `pth` in `store_test_results`"
            )
        );
        let (path, message, _) = fault("run", "{command: x, max_auto_reruns: 9}");
        assert_eq!(
            (path.as_str(), message.as_str()),
            (
                "run.max_auto_reruns",
                "expected an integer from 1 to 5, found `9`"
            )
        );
        let (path, message, _) = fault("run", "{command: x, auto_rerun_delay: 30s}");
        assert_eq!(
            (path.as_str(), message.as_str()),
            (
                "run.auto_rerun_delay",
                "`auto_rerun_delay` needs `max_auto_reruns` beside it"
            )
        );
        let (_, message, _) = fault("restore_cache", "{key: a, keys: [b]}");
        assert_eq!(
            message,
            "`restore_cache` needs exactly one of `key` and `keys`"
        );
        let (_, message, _) = fault("checkout", "null");
        assert_eq!(message, "expected `checkout` or a map, found nothing");
    }

    #[test]
    fn delays_and_timeouts_follow_the_schema_patterns() {
        for good in ["1m", "10m", "5s", "120s"] {
            ok(
                "run",
                &format!("{{command: x, max_auto_reruns: 1, auto_rerun_delay: {good}}}"),
            );
        }
        for bad in ["0m", "11m", "05s", "1h", "m"] {
            fault(
                "run",
                &format!("{{command: x, max_auto_reruns: 1, auto_rerun_delay: {bad}}}"),
            );
        }
        fault("run", "{command: x, no_output_timeout: soon}");
    }
}
