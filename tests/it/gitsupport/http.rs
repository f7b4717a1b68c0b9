//! A token-checking smart-HTTP git server (`git_http_server.py`) on
//! 127.0.0.1, started per test and killed in `Drop`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::path_str;

pub struct GitHttp {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl GitHttp {
    /// Serves the repositories under `root`; `read_only` makes pushes 403.
    pub fn start(root: &Path, token: &str, read_only: bool) -> Self {
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/gitsupport/git_http_server.py");
        let log = root.join("http.log");
        let mode = if read_only { "ro" } else { "rw" };
        let mut child = Command::new("python3")
            .arg(script)
            .args([path_str(root), token, mode, path_str(&log)])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 starts the git http server");
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            let _ = BufReader::new(stdout).read_line(&mut line);
        }
        let port = line.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("git http server did not report a port: {line:?}")
        });
        Self { child, port, log }
    }

    pub fn url(&self, repo_name: &str) -> String {
        format!("http://127.0.0.1:{}/{repo_name}", self.port)
    }

    /// One line per request: `<status> <method> <path>`.
    pub fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }
}

impl Drop for GitHttp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
