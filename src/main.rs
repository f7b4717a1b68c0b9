//! cigen: generates CircleCI configuration from `.cigen/` and, in the setup
//! job, skips jobs whose exact inputs already passed. `main` only parses the
//! command line, hands it to `cmd::run`, and turns an error into its
//! message and exit code.

use clap::Parser;

use cigen::cli::Cli;

fn main() {
    let cli = Cli::parse();
    if let Err(err) = cigen::cmd::run(&cli) {
        cigen::errln!("error: {err}");
        std::process::exit(err.exit_code());
    }
}
