//! Runs one entry test of this binary alone in a child process with an
//! environment of its own, for what must not change in the shared test
//! process: `HOME`, which libgit2 reads once per process (the SSH tests),
//! and `SSL_CERT_FILE`, which the API client reads when it builds its TLS
//! config (the TLS test). The parent sets the environment; the entry test is
//! `#[ignore]`d, so a normal run reports it as ignored instead of passing it
//! without doing anything, and it fails when run without that environment.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs the `#[ignore]`d test `entry` (its full path, `module::name`) in a
/// child process with `unset` removed from and `set` added to the
/// environment. Panics with the child's output when it fails, when it ran
/// anything but exactly that one test, or after `limit` (killing it).
pub fn run(entry: &str, set: &[(&str, &str)], unset: &[&str], limit: Duration) {
    let exe = std::env::current_exe().expect("current test binary");
    let mut command = Command::new(exe);
    command
        .args([
            entry,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for name in unset {
        command.env_remove(name);
    }
    for (name, value) in set {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("spawn child test");
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait child") {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = stdout.join().expect("stdout reader");
    let stderr = stderr.join().expect("stderr reader");
    let shown = format!("--- child stdout ---\n{stdout}\n--- child stderr ---\n{stderr}");
    match status {
        Some(status) if status.success() && stdout.contains("test result: ok. 1 passed;") => {}
        Some(status) => panic!("child test {entry} failed ({status}):\n{shown}"),
        None => panic!("child test {entry} exceeded {limit:?}:\n{shown}"),
    }
}

/// The value the parent set for `name`; panics (failing the entry test)
/// when the test runs outside `run`.
pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: this test runs only as a child process (tests/it/child.rs)")
    })
}

/// Reads a child's pipe to the end on a thread, so the child never blocks.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            pipe.read_to_end(&mut bytes).expect("read child output");
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}
