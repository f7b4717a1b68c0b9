//! The one way cigen prints: `out!`/`outln!` to stdout and `errln!` to
//! stderr. A closed stream (`cigen plan | head -1`) is not an error: the
//! rest of that stream's output is dropped and the command finishes its work
//! and exits with its own status (std's `print!` would panic instead, and a
//! `cigen continue` killed half-way would leave its pipeline un-continued).
//! Any other write failure stops the process with exit 1. clippy.toml
//! forbids `print!` and friends everywhere else.

use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes to stdout; used through `out!` and `outln!`.
pub fn stdout(args: std::fmt::Arguments<'_>) {
    let result = std::io::stdout().lock().write_fmt(args);
    settle(result, &STDOUT_CLOSED, "stdout");
}

/// Writes to stderr; used through `errln!`.
pub fn stderr(args: std::fmt::Arguments<'_>) {
    let result = std::io::stderr().lock().write_fmt(args);
    settle(result, &STDERR_CLOSED, "stderr");
}

fn settle(result: std::io::Result<()>, closed: &AtomicBool, stream: &str) {
    match result {
        Ok(()) => {}
        Err(err) if err.kind() == ErrorKind::BrokenPipe => closed.store(true, Ordering::Relaxed),
        Err(err) if closed.load(Ordering::Relaxed) => drop(err),
        Err(err) => {
            if stream == "stdout" {
                stderr(format_args!("error: cannot write to {stream}: {err}\n"));
            }
            std::process::exit(1);
        }
    }
}

/// `print!` that survives a closed stdout.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::output::stdout(format_args!($($arg)*)) };
}

/// `println!` that survives a closed stdout.
#[macro_export]
macro_rules! outln {
    () => { $crate::output::stdout(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::output::stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` that survives a closed stderr.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => { $crate::output::stderr(format_args!("{}\n", format_args!($($arg)*))) };
}
