//! cigen: generates CircleCI configuration from `.cigen/` and, in the setup
//! job, skips jobs whose exact inputs already passed. `main` only parses the
//! command line, dispatches, and turns errors into messages and exit codes.

use clap::Parser;

use cigen::cli::{Cli, Command};
use cigen::cmd;

fn main() {
    let cli = Cli::parse();
    let config = cli.config.as_deref();
    let result = match &cli.command {
        Command::Generate {
            check,
            workflow,
            output,
        } => cmd::generate::run(config, *check, workflow.as_deref(), output.as_deref()),
        Command::Validate => cmd::validate::run(config),
        Command::Hash { job, json } => cmd::hash::run(config, job, *json),
        Command::Setup {
            self_check,
            commit_on_diff,
        } => cmd::setup::run(config, *self_check, *commit_on_diff),
        Command::Continue { dry_run, api_url } => {
            cmd::continue_::run(config, *dry_run, api_url.as_deref())
        }
        Command::Approve { job, api_url } => cmd::approve::run(job, api_url.as_deref()),
        Command::Plan { format, workflow } => cmd::plan::run(config, *format, workflow.as_deref()),
    };
    if let Err(err) = result {
        cigen::errln!("error: {err}");
        std::process::exit(err.exit_code());
    }
}
