//! cigen as a library: the pipeline the binary drives, in the order data
//! flows — `config` (raw files) → `model` (validated) → `plan` (graph) →
//! `emit` (CircleCI YAML) — with `cmd` holding one module per subcommand.

pub mod api;
mod circleci;
pub mod cli;
pub mod cmd;
pub mod config;
mod drift;
pub mod emit;
pub mod error;
pub mod fsutil;
pub mod git;
pub mod hash;
pub mod model;
pub mod output;
pub mod plan;
pub mod setup;
mod source_glob;
mod value;
