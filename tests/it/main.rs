//! cigen's one integration-test binary: every scenario module below links
//! the library (and git2 with vendored OpenSSL) once, and runs in one
//! process, so no test may change process-wide state — the environment, the
//! working directory, a fixed port. What must differ per test goes to a
//! child process (`child`), a server on port 0, or a temporary directory.
//!
//! One line per module: support modules first, then one scenario module per
//! former `tests/*.rs` file (`cargo test --test it MODULE::` runs one). A new
//! scenario file goes here as `mod NAME;`, never as a new `tests/*.rs`.

// Support: what scenario modules import with `use crate::…`.
mod child; // runs one `#[ignore]`d entry test of this binary in a child process
mod circleci_schema; // CircleCI's published schema and example values from it
mod common; // `Repo` with the real binary, `minimal`, YAML readers, exact-output checks
mod ghlogic; // a model of GitHub Actions running a workflow's jobs and `if:` conditions
mod gitsupport; // git CLI repositories, a throwaway sshd, a smart-HTTP git server
mod hashsupport; // git repositories and an independent implementation of the hash format
mod logic; // an evaluator of CircleCI workflow conditions
mod mutationsupport; // random small projects and one edit of each input kind, with the variants it must move
mod seedsupport; // seeds from the environment, reproducible reports
mod simulationsupport; // a fixture, a fake CircleCI cache and a runner of jobs' steps in bash
mod support; // a scripted fake CircleCI API on loopback and throwaway TLS certificates

// Scenarios.
mod api_approve;
mod api_continue;
mod api_github_caches;
mod api_tls;
mod approve_cli;
mod continuation_property;
mod continuation_shape;
mod empty_stages;
mod errors;
mod everyday;
mod examples;
mod generate;
mod github_action;
mod github_conditions;
mod github_continue;
mod github_emit;
mod github_filters;
mod github_graph;
mod github_hash;
mod github_job;
mod github_steps;
mod hash_git_ids;
mod hash_inputs;
mod hash_variants;
mod https_push;
mod invalid_ids;
mod job_environment;
mod local_push;
mod messages;
mod mutation;
mod or_dependencies;
mod own_pipeline;
mod parallel_record;
mod passthrough;
mod pipeline_simulation;
mod pipeline_values;
mod plan;
mod prune;
mod setup_cli;
mod setup_entrypoint;
mod ssh_push;
mod validate;
mod workflow_conditions;
