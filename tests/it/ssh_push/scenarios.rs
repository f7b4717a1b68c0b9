//! The SSH scenarios, each run inside a child process whose `HOME` is a
//! fresh temporary directory (see `ssh_push.rs`). Each builds its own keys,
//! sshd, known_hosts and repositories under that `HOME`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cigen::git::{
    AUTHOR_EMAIL, AUTHOR_NAME, EnvSnapshot, GitError, PushOutcome, SelfCheckCommit, commit_and_push,
};

use crate::gitsupport::sshd::Sshd;
use crate::gitsupport::{FILE, Fixture, NEW, git, keygen, path_str};

pub fn run(name: &str) {
    let home = PathBuf::from(std::env::var("HOME").expect("HOME is set by the parent"));
    match name {
        "push_succeeds" => push_succeeds(&home),
        "hashed_known_hosts" => hashed_known_hosts(&home),
        "unknown_host" => unknown_host(&home),
        "host_key_mismatch" => host_key_mismatch(&home),
        "no_credentials" => no_credentials(&home),
        "rejected_key_exhausts" => rejected_key_exhausts(&home),
        "circleci_key_name" => circleci_key_name(&home),
        "encrypted_key_skipped" => encrypted_key_skipped(&home),
        "agent" => agent(&home),
        "agent_falls_back_to_key_file" => agent_falls_back_to_key_file(&home),
        "libgit2_builtin_check" => super::scenarios_libgit2::builtin_check(&home),
        "libgit2_has_the_last_word" => super::scenarios_libgit2::last_word(&home),
        other => panic!("unknown scenario {other}"),
    }
}

/// A client key in `~/.ssh` (or elsewhere) and whether sshd accepts it.
pub struct Key<'a> {
    pub path: PathBuf,
    pub kind: &'a [&'a str],
    pub authorized: bool,
}

impl<'a> Key<'a> {
    pub fn in_ssh_dir(home: &Path, name: &str, kind: &'a [&'a str], authorized: bool) -> Self {
        Self {
            path: home.join(".ssh").join(name),
            kind,
            authorized,
        }
    }
}

pub const ED25519: &[&str] = &["-t", "ed25519"];
/// RSA in the old PEM form and in OpenSSH's own format.
pub const RSA_PEM: &[&str] = &["-t", "rsa", "-b", "3072", "-m", "PEM"];
pub const RSA_OPENSSH: &[&str] = &["-t", "rsa", "-b", "3072"];

/// Everything one scenario needs: sshd, repos, and the work tree's origin
/// pointing at sshd.
pub struct World {
    pub sshd: Sshd,
    pub fixture: Fixture,
    pub home: PathBuf,
}

impl World {
    pub fn new(home: &Path, keys: &[Key<'_>]) -> Self {
        fs::create_dir_all(home.join(".ssh")).expect("mkdir ~/.ssh");
        let mut authorized = Vec::new();
        for key in keys {
            let public = keygen(&key.path, key.kind);
            if key.authorized {
                authorized.push(public);
            }
        }
        let sshd = Sshd::start(home, &authorized);
        let repos = home.join("repos");
        fs::create_dir_all(&repos).expect("mkdir repos");
        let fixture = Fixture::new(&repos);
        fixture.set_origin(&sshd.url(&fixture.remote));
        Self {
            sshd,
            fixture,
            home: home.to_path_buf(),
        }
    }

    pub fn write_known_hosts(&self, text: &str) {
        fs::write(self.home.join(".ssh/known_hosts"), text).expect("write known_hosts");
    }

    pub fn env(&self) -> EnvSnapshot {
        EnvSnapshot::from_pairs([("HOME", path_str(&self.home))])
    }

    pub fn push(&self, env: &EnvSnapshot) -> Result<PushOutcome, GitError> {
        commit_and_push(&SelfCheckCommit {
            repo_dir: &self.fixture.work,
            file: Path::new(FILE),
            contents: NEW,
            env,
        })
    }

    /// Pushes and checks the remote now holds cigen's commit.
    pub fn push_ok(&self, env: &EnvSnapshot) {
        let outcome = self.push(env);
        let Ok(PushOutcome::Pushed {
            branch,
            commit,
            remote_url_redacted,
        }) = outcome
        else {
            panic!("push failed: {outcome:?}\nsshd log:\n{}", self.sshd.log());
        };
        assert_eq!(branch, "main");
        assert_eq!(self.fixture.remote_head(), commit);
        let redacted = format!(
            "ssh://***@127.0.0.1:{}{}",
            self.sshd.port,
            self.fixture.remote.display()
        );
        assert_eq!(remote_url_redacted, redacted);
        assert_eq!(self.fixture.remote_file().as_bytes(), NEW.trim_ascii_end());
        let (author, committer, message) = self.fixture.remote_commit_summary();
        let fixed = format!("{AUTHOR_NAME} <{AUTHOR_EMAIL}>");
        assert_eq!((author, committer), (fixed.clone(), fixed));
        assert!(message.ends_with("Cigen-Self-Check: true"), "{message}");
    }

    /// Pushes expecting failure; checks the remote did not move and the
    /// local commit was undone.
    pub fn push_err(&self, env: &EnvSnapshot) -> GitError {
        let (remote, local) = (self.fixture.remote_head(), self.fixture.local_head());
        let error = self.push(env).expect_err("push must fail");
        assert_eq!(self.fixture.remote_head(), remote, "remote moved");
        assert_eq!(self.fixture.local_head(), local, "local commit left behind");
        error
    }

    /// Pushes expecting the host key to be refused: the push fails and sshd
    /// accepted no client key.
    pub fn push_host_refused(&self, env: &EnvSnapshot) -> GitError {
        let error = self.push_err(env);
        assert!(
            !self.sshd.log().contains("Accepted publickey"),
            "authenticated anyway"
        );
        error
    }

    /// Trusts sshd, pushes expecting no credential to work within 10 s, and
    /// returns what cigen says it tried.
    pub fn push_without_credentials(&self) -> Vec<String> {
        self.write_known_hosts(&self.sshd.known_hosts_line());
        let started = Instant::now();
        let error = self.push_err(&self.env());
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "took {:?}",
            started.elapsed()
        );
        let GitError::NoCredentials { tried } = error else {
            panic!("expected NoCredentials, got {error:?}");
        };
        tried
    }

    pub fn host(&self) -> String {
        format!("[127.0.0.1]:{}", self.sshd.port)
    }
}

fn push_succeeds(home: &Path) {
    let world = World::new(home, &[Key::in_ssh_dir(home, "id_ed25519", ED25519, true)]);
    world.write_known_hosts(&world.sshd.known_hosts_line());
    world.push_ok(&world.env());
}

fn hashed_known_hosts(home: &Path) {
    let world = World::new(home, &[Key::in_ssh_dir(home, "id_ed25519", ED25519, true)]);
    world.write_known_hosts(&world.sshd.known_hosts_line());
    let known_hosts = home.join(".ssh/known_hosts");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-H", "-f", path_str(&known_hosts)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("ssh-keygen -H");
    assert!(status.success());
    let text = fs::read_to_string(&known_hosts).expect("read known_hosts");
    assert!(
        text.starts_with("|1|") && !text.contains("127.0.0.1"),
        "{text}"
    );
    world.push_ok(&world.env());
}

fn unknown_host(home: &Path) {
    let world = World::new(home, &[Key::in_ssh_dir(home, "id_ed25519", ED25519, true)]);
    world.write_known_hosts("");
    let error = world.push_host_refused(&world.env());
    assert_eq!(error, GitError::HostKeyUnknown { host: world.host() });
}

fn host_key_mismatch(home: &Path) {
    let world = World::new(home, &[Key::in_ssh_dir(home, "id_ed25519", ED25519, true)]);
    let impostor = keygen(&home.join("impostor_host_key"), ED25519);
    world.write_known_hosts(&format!("{} {impostor}\n", world.host()));
    let error = world.push_host_refused(&world.env());
    assert_eq!(error, GitError::HostKeyMismatch { host: world.host() });
}

fn no_credentials(home: &Path) {
    let world = World::new(home, &[]);
    let tried = world.push_without_credentials();
    assert_eq!(
        tried,
        [
            "ssh-agent (SSH_AUTH_SOCK not set)".to_string(),
            format!(
                "key files in {}/.ssh (none of id_ed25519, id_ecdsa, id_rsa, id_rsa_*)",
                home.display()
            )
        ]
    );
}

fn rejected_key_exhausts(home: &Path) {
    let key = Key::in_ssh_dir(home, "id_ed25519", ED25519, false);
    let expected = format!("{} (not accepted)", key.path.display());
    let world = World::new(home, &[key]);
    let tried = world.push_without_credentials();
    assert_eq!(tried[0], expected);
    let offers = world.sshd.log().matches("Failed publickey").count();
    assert_eq!(offers, 1, "sshd log:\n{}", world.sshd.log());
}

/// CircleCI writes added keys as `~/.ssh/id_rsa_<fingerprint>` with no
/// `.pub` beside them, in whatever format the user pasted (PEM or OpenSSH).
fn circleci_key_name(home: &Path) {
    let pem_refused = "id_rsa_0a1b2c3d4e5f60718293a4b5c6d7e8f9";
    let openssh_accepted = "id_rsa_fedcba9876543210fedcba9876543210";
    let keys = [
        Key::in_ssh_dir(home, "id_ed25519", ED25519, false),
        Key::in_ssh_dir(home, pem_refused, RSA_PEM, false),
        Key::in_ssh_dir(home, openssh_accepted, RSA_OPENSSH, true),
    ];
    let world = World::new(home, &keys);
    for name in [pem_refused, openssh_accepted] {
        fs::remove_file(home.join(format!(".ssh/{name}.pub"))).expect("remove .pub");
    }
    world.write_known_hosts(&world.sshd.known_hosts_line());
    world.push_ok(&world.env());
    let log = world.sshd.log();
    assert_eq!(log.matches("Failed publickey").count(), 2, "{log}");
    assert!(
        log.contains("Accepted publickey for root") && log.contains("RSA"),
        "{log}"
    );
}

fn encrypted_key_skipped(home: &Path) {
    let encrypted = home.join(".ssh/id_ed25519");
    fs::create_dir_all(home.join(".ssh")).expect("mkdir");
    let status = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "secret passphrase",
            "-f",
            path_str(&encrypted),
        ])
        .status()
        .expect("ssh-keygen");
    assert!(status.success());
    // Without the public half libssh2 must decrypt the key, fails, and
    // aborts the whole authentication instead of trying the next key.
    fs::remove_file(home.join(".ssh/id_ed25519.pub")).expect("remove .pub");
    let world = World::new(home, &[Key::in_ssh_dir(home, "id_rsa", RSA_PEM, true)]);
    world.write_known_hosts(&world.sshd.known_hosts_line());
    world.push_ok(&world.env());
}

/// ssh-agent on the socket the parent put in `SSH_AUTH_SOCK`; killed on
/// drop (and by the parent through `agent.pid` if this process dies).
struct Agent(Child, PathBuf);

impl Agent {
    /// Starts the agent and loads `keys` into it.
    fn start(home: &Path, keys: &[&Path]) -> Self {
        let socket = std::env::var("SSH_AUTH_SOCK").expect("parent sets SSH_AUTH_SOCK");
        let child = Command::new("ssh-agent")
            .args(["-D", "-a", &socket])
            .stdout(Stdio::null())
            .spawn()
            .expect("ssh-agent starts");
        let pid_file = home.join("agent.pid");
        fs::write(&pid_file, child.id().to_string()).expect("pid file");
        let agent = Self(child, pid_file);
        let started = Instant::now();
        while !Path::new(&socket).exists() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no ssh-agent socket"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        for key in keys {
            let added = Command::new("ssh-add")
                .arg(key)
                .stderr(Stdio::null())
                .status();
            assert!(
                matches!(added, Ok(s) if s.success()),
                "ssh-add {}",
                key.display()
            );
        }
        agent
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = fs::remove_file(&self.1);
    }
}

/// The only usable key is in the agent.
fn agent(home: &Path) {
    let key = Key {
        path: home.join("agent_key"),
        kind: ED25519,
        authorized: true,
    };
    let key_path = key.path.clone();
    let world = World::new(home, &[key]);
    world.write_known_hosts(&world.sshd.known_hosts_line());
    let _agent = Agent::start(home, &[&key_path]);
    fs::remove_file(&key_path).expect("key only in the agent");

    let env = EnvSnapshot::from_process();
    assert!(env.get("SSH_AUTH_SOCK").is_some());
    world.push_ok(&env);
    assert_eq!(git(&world.fixture.work, &["status", "--porcelain"]), "");
}

/// The agent's key is refused; `~/.ssh/id_ed25519` is offered next.
fn agent_falls_back_to_key_file(home: &Path) {
    let agent_key = Key {
        path: home.join("agent_key"),
        kind: ED25519,
        authorized: false,
    };
    let agent_key_path = agent_key.path.clone();
    let file_key = Key::in_ssh_dir(home, "id_ed25519", ED25519, true);
    let world = World::new(home, &[agent_key, file_key]);
    world.write_known_hosts(&world.sshd.known_hosts_line());
    let _agent = Agent::start(home, &[&agent_key_path]);

    world.push_ok(&EnvSnapshot::from_process());
    let log = world.sshd.log();
    assert_eq!(log.matches("Failed publickey").count(), 1, "{log}");
    assert_eq!(log.matches("Accepted publickey").count(), 1, "{log}");
}
