//! A throwaway OpenSSH server on 127.0.0.1 with a random free port.
//!
//! Host key and `authorized_keys` are generated per run under a directory
//! the test owns; sshd runs in the foreground (`-D`) as our child and is
//! killed in `Drop`. Its pid is also written to `<home>/sshd.pid` so the
//! parent test can kill it if the child test process was killed on timeout.
//! Missing sshd is installed with apt-get; failure to install or start is a
//! test failure, never a skip.

use std::fs;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{keygen, path_str};

const SSHD: &str = "/usr/sbin/sshd";

pub struct Sshd {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
    /// The public host key line, `ssh-ed25519 AAAA… comment`.
    pub host_key_pub: String,
    pid_file: PathBuf,
}

impl Sshd {
    /// Starts sshd accepting the given public key lines (each may carry
    /// `authorized_keys` options).
    pub fn start(home: &Path, authorized: &[String]) -> Self {
        ensure_installed();
        let dir = home.join("sshd");
        fs::create_dir_all(&dir).expect("mkdir sshd dir");
        fs::create_dir_all("/run/sshd").expect("sshd privilege separation dir /run/sshd");
        let host_key = dir.join("host_key");
        let host_key_pub = keygen(&host_key, &["-t", "ed25519"]);
        fs::write(dir.join("authorized_keys"), authorized.join("\n") + "\n")
            .expect("authorized_keys");
        let mut last_error = String::new();
        for _attempt in 0..5 {
            let port = free_port();
            let config = dir.join("sshd_config");
            fs::write(&config, config_text(&dir, &host_key, port)).expect("sshd_config");
            let log = dir.join("sshd.log");
            let child = Command::new(SSHD)
                .args(["-D", "-f", path_str(&config), "-E", path_str(&log)])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {SSHD}: {e}"));
            let pid_file = home.join("sshd.pid");
            fs::write(&pid_file, child.id().to_string()).expect("pid file");
            let mut sshd = Self {
                child,
                port,
                dir: dir.clone(),
                host_key_pub: host_key_pub.clone(),
                pid_file,
            };
            if sshd.wait_ready(Duration::from_secs(10)) {
                return sshd;
            }
            last_error = fs::read_to_string(&log).unwrap_or_default();
            drop(sshd);
        }
        panic!("sshd did not start on 127.0.0.1; last log:\n{last_error}");
    }

    /// `[127.0.0.1]:PORT ssh-ed25519 AAAA…` for known_hosts.
    pub fn known_hosts_line(&self) -> String {
        format!("[127.0.0.1]:{} {}\n", self.port, self.host_key_pub)
    }

    pub fn url(&self, repo: &Path) -> String {
        format!("ssh://root@127.0.0.1:{}{}", self.port, repo.display())
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default()
    }

    /// True once this sshd logs that it listens on its port and a
    /// connection there gets an SSH banner. The log line matters: another
    /// process may take the port between `free_port` and sshd's bind, and
    /// answer with a banner of its own while this sshd is exiting.
    fn wait_ready(&mut self, limit: Duration) -> bool {
        let listening = format!("Server listening on 127.0.0.1 port {}.", self.port);
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if !self.log().contains(&listening) {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let mut banner = [0u8; 8];
                if stream.read_exact(&mut banner).is_ok() && banner.starts_with(b"SSH-2.0") {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_file(&self.pid_file);
    }
}

/// Kills what a killed child test process left behind: every pid recorded
/// in a `*.pid` file directly under `home` (sshd, ssh-agent).
pub fn kill_leftover(home: &Path) {
    let Ok(entries) = fs::read_dir(home) else {
        return;
    };
    for path in entries.filter_map(Result::ok).map(|entry| entry.path()) {
        if path.extension().is_none_or(|ext| ext != "pid") {
            continue;
        }
        let pid = fs::read_to_string(&path).unwrap_or_default();
        let pid = pid.trim();
        if !pid.is_empty() && pid.chars().all(|c| c.is_ascii_digit()) {
            let _ = Command::new("kill").arg(pid).status();
        }
        let _ = fs::remove_file(&path);
    }
}

fn config_text(dir: &Path, host_key: &Path, port: u16) -> String {
    format!(
        "ListenAddress 127.0.0.1\nPort {port}\nHostKey {}\nPidFile none\n\
         AuthorizedKeysFile {}/authorized_keys\nPasswordAuthentication no\n\
         KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n\
         StrictModes no\nUsePAM no\nLogLevel VERBOSE\n",
        host_key.display(),
        dir.display()
    )
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

/// Installs openssh-server when sshd is missing; panics if that fails.
/// Call it from the parent test first: parallel apt-get runs would fight
/// over the dpkg lock.
pub fn ensure_installed() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(install_if_missing);
}

fn install_if_missing() {
    if Path::new(SSHD).exists() {
        return;
    }
    let install = "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
                   apt-get install -y -qq openssh-server";
    let status = Command::new("timeout")
        .args(["300", "sh", "-c", install])
        .stdin(Stdio::null())
        .status();
    assert!(
        matches!(status, Ok(s) if s.success()) && Path::new(SSHD).exists(),
        "{SSHD} is missing and installing openssh-server with apt-get failed ({status:?}); \
         the ssh tests need a real sshd"
    );
}
