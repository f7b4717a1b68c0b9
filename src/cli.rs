//! Command-line surface: the subcommands and their flags, parsed by clap.
//! Parsing only; each command's behaviour lives in `cmd/`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::provider::Provider;

#[derive(Debug, Parser)]
#[command(
    name = "cigen",
    version,
    about = "Generate CircleCI config from .cigen/ and skip jobs whose inputs already passed"
)]
pub struct Cli {
    /// The configuration: a `.cigen/` directory or a `cigen.yml` (default: `.cigen/`, then `cigen.yml`).
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Write .circleci/config.yml and .circleci/main.yml.
    Generate {
        /// Write nothing; exit 1 with a unified diff when the files are stale.
        #[arg(long)]
        check: bool,
        /// Render only this (dynamic) workflow's file, pruned by CIGEN_SKIP_JOBS_FILE, to stdout or --output.
        #[arg(long, value_name = "NAME")]
        workflow: Option<String>,
        /// With --workflow: write here instead of stdout.
        #[arg(long, value_name = "PATH", requires = "workflow")]
        output: Option<PathBuf>,
    },
    /// Check the configuration exactly as `generate` does, writing nothing (exit 0 valid, 1 I/O failure, 2 invalid).
    Validate,
    /// Print job hashes of the dynamic workflow's hashed variants.
    Hash {
        /// Only this job id or variant id (repeat for more).
        #[arg(long, value_name = "ID")]
        job: Vec<String>,
        /// A JSON map variant -> hash.
        #[arg(long)]
        json: bool,
        /// Hash the jobs as this provider renders them (default: circleci when configured, else github).
        #[arg(long, value_enum)]
        provider: Option<Provider>,
    },
    /// Phase 1 in the setup job: self-check, job hashes, key files for the cache probes.
    Setup {
        /// Fail with a diff when .circleci/config.yml is stale.
        #[arg(long)]
        self_check: bool,
        /// With drift: commit and push the regenerated config.yml, then fail (CircleCI only).
        #[arg(long)]
        commit_on_diff: bool,
        /// The provider whose setup job this is (default: circleci when configured, else github).
        #[arg(long, value_enum)]
        provider: Option<Provider>,
    },
    /// Phase 2 in the setup job: which jobs skip; CircleCI: pruned continuation config, POSTed;
    /// GitHub: job outputs run_<variant> and hash_<variant> to $GITHUB_OUTPUT.
    Continue {
        /// Write the request body (key redacted) instead of sending it (CircleCI only).
        #[arg(long)]
        dry_run: bool,
        /// API base URL (default: CircleCI $CIRCLECI_API_URL, else https://circleci.com;
        /// GitHub $GITHUB_API_URL, else https://api.github.com).
        #[arg(long, value_name = "URL")]
        api_url: Option<String>,
        /// The provider whose setup job this is (default: circleci when configured, else github).
        #[arg(long, value_enum)]
        provider: Option<Provider>,
    },
    /// Approve an approval job of the running workflow through CircleCI's API (needs CIRCLE_TOKEN, CIRCLE_WORKFLOW_ID).
    Approve {
        /// The approval job's name, e.g. `approve_build_app_image`.
        #[arg(long, value_name = "NAME")]
        job: String,
        /// CircleCI base URL (default: $CIRCLECI_API_URL, else https://circleci.com).
        #[arg(long, value_name = "URL")]
        api_url: Option<String>,
    },
    /// Show the job graph: what runs, in which stage and arch, after what.
    Plan {
        #[arg(long, value_enum, default_value_t = PlanFormat::Table)]
        format: PlanFormat,
        /// Only this workflow (dot/mermaid draw the dynamic workflow by default).
        #[arg(long, value_name = "NAME")]
        workflow: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PlanFormat {
    Table,
    Dot,
    Mermaid,
}
