//! cigen as a library: the pipeline the binary drives, in the order data
//! flows — `config` (raw files) → `model` (validated) → `plan` (graph) →
//! `hash` and `emit` (CircleCI YAML) → `setup` (the setup job), with `git`
//! and `api` at the edge and `cmd` holding one module per subcommand.
//!
//! The public API is what the binary (`src/main.rs`) and the integration
//! tests (`tests/`) use, and nothing more: everything else is `pub(crate)`,
//! and `unreachable_pub` keeps it so, which lets the compiler report dead
//! items. It and the pedantic lints below are set here rather than in
//! Cargo.toml's `[lints]` (which every target shares): the integration
//! tests' helpers are `pub` in private modules, and a scenario test may
//! read better long. `too_many_lines` (over 100) keeps builders split into
//! named steps.

#![forbid(unsafe_code)]
#![deny(unreachable_pub)]
#![warn(
    clippy::explicit_iter_loop,
    clippy::manual_let_else,
    clippy::needless_for_each,
    clippy::needless_pass_by_value,
    clippy::range_plus_one,
    clippy::redundant_closure_for_method_calls,
    clippy::ref_option,
    clippy::semicolon_if_nothing_returned,
    clippy::too_many_lines,
    clippy::unnested_or_patterns
)]

// The binary: `cli::Cli` (parsed by clap), `cmd::run` (dispatch),
// `error::Error` (message and exit code), and `output`, behind the
// exported `out!`/`outln!`/`errln!` macros. `cmd::load` and `cmd::dynamic`
// load a configuration as every command does, for tests that check what
// the commands computed.
pub mod cli;
pub mod cmd;
pub mod error;
#[doc(hidden)]
pub mod output;

// The pipeline stage by stage, for tests that drive it without the binary
// (the mutation test hashes thousands of projects): `config::load`,
// `model::build`, `plan::build`, `WorkflowPlan::hash_pipeline_values`,
// `setup::values::read`, `setup::hashes::compute`, and the values they
// pass along (`Loaded`, `Project`, `Workflow`, `WorkflowPlan`, `Node`,
// `NodeKind`).
pub mod config;
pub mod model;
pub mod plan;
pub mod setup;
// The provider a hash is computed for (`setup::hashes::compute` takes it).
pub mod provider;

// The reference check of a generated CircleCI document
// (`emit::check_references`), which the tests run on every file cigen
// writes; rendering itself stays inside the crate.
pub mod emit;

// The engines at the edge, tested directly against real repositories and
// loopback servers: the hash engine (`hash::compute` and its input, report
// and error), the git push of the self-check (`git::commit_and_push`), and
// the API client (`api::ApiClient` and its configuration, outcomes and
// error: CircleCI's continuation and approvals, GitHub's cache listing).
pub mod api;
pub mod git;
pub mod hash;

mod circleci;
mod drift;
mod fsutil;
mod source_glob;
mod value;
