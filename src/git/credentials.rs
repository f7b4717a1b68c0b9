//! The ordered list of credentials offered to origin, each at most once.
//!
//! libgit2 calls the credentials callback again after every rejection, so
//! the callback walks a fixed plan and returns an error once it is used up:
//! no loops. ssh: ssh-agent (if `SSH_AUTH_SOCK` is set), then key files from
//! `ssh_keys`. http(s): the first set of `TOKEN_VARS`, each distinct value
//! once, as user `x-access-token`. It records what was tried — names and
//! paths only, never a token or key — for `GitError::NoCredentials`.

use std::path::PathBuf;

use git2::{Cred, CredentialType};

use super::env::{EnvSnapshot, TOKEN_VARS};
use super::remote_url::{RemoteUrl, Transport};
use super::ssh_keys;

/// User name sent with an https token.
const TOKEN_USER: &str = "x-access-token";
/// User name for ssh when the URL names none (GitHub, GitLab, Bitbucket).
const DEFAULT_SSH_USER: &str = "git";

enum Source {
    Agent,
    KeyFile(PathBuf),
    Token { var: &'static str, value: String },
}

impl Source {
    fn describe(&self) -> String {
        match self {
            Self::Agent => "ssh-agent".to_string(),
            Self::KeyFile(path) => path.display().to_string(),
            Self::Token { var, .. } => format!("token from {var}"),
        }
    }
}

/// Credential plan plus the record of what has been offered.
pub(super) struct Credentials {
    plan: Vec<Source>,
    next: usize,
    user: Option<String>,
    attempts: Vec<String>,
    notes: Vec<String>,
    exhausted: bool,
}

impl Credentials {
    /// Plans the sources for `url` from `env`; nothing is read from the
    /// process environment.
    pub(super) fn plan(url: &RemoteUrl, env: &EnvSnapshot) -> Self {
        let mut plan = Vec::new();
        let mut notes = Vec::new();
        match url.transport {
            Transport::Ssh => {
                if env.get("SSH_AUTH_SOCK").is_some() {
                    plan.push(Source::Agent);
                } else {
                    notes.push("ssh-agent (SSH_AUTH_SOCK not set)".to_string());
                }
                match env.ssh_dir() {
                    Some(dir) => {
                        let scan = ssh_keys::scan(&dir);
                        if scan.usable.is_empty() && scan.skipped.is_empty() {
                            notes.push(format!(
                                "key files in {} (none of id_ed25519, id_ecdsa, id_rsa, id_rsa_*)",
                                dir.display()
                            ));
                        }
                        plan.extend(scan.usable.into_iter().map(Source::KeyFile));
                        notes.extend(scan.skipped);
                    }
                    None => notes.push("key files (HOME not set)".to_string()),
                }
            }
            Transport::Http => {
                let mut seen: Vec<&str> = Vec::new();
                for var in TOKEN_VARS {
                    if let Some(value) = env.get(var).filter(|value| !seen.contains(value)) {
                        seen.push(value);
                        plan.push(Source::Token {
                            var,
                            value: value.to_string(),
                        });
                    }
                }
                if plan.is_empty() {
                    notes.push(format!("https token ({} not set)", TOKEN_VARS.join(", ")));
                }
            }
            Transport::Local | Transport::Other => {}
        }
        Self {
            plan,
            next: 0,
            user: url.user.clone(),
            attempts: Vec::new(),
            notes,
            exhausted: false,
        }
    }

    /// The `RemoteCallbacks::credentials` body.
    pub(super) fn next_credential(
        &mut self,
        username_from_url: Option<&str>,
        allowed: CredentialType,
    ) -> Result<Cred, git2::Error> {
        let ssh_user = username_from_url
            .or(self.user.as_deref())
            .unwrap_or(DEFAULT_SSH_USER)
            .to_string();
        // libgit2 asks for the ssh user name on its own before any key;
        // answering it is not an authentication attempt.
        if allowed == CredentialType::USERNAME {
            return Cred::username(&ssh_user);
        }
        while let Some(source) = self.plan.get(self.next) {
            self.next += 1;
            let offered = match source {
                Source::Agent if allowed.contains(CredentialType::SSH_KEY) => {
                    Cred::ssh_key_from_agent(&ssh_user)
                }
                Source::KeyFile(path) if allowed.contains(CredentialType::SSH_KEY) => {
                    let public = path.with_file_name(format!(
                        "{}.pub",
                        path.file_name()
                            .map(|n| n.to_string_lossy())
                            .unwrap_or_default()
                    ));
                    let public = public.is_file().then_some(public);
                    Cred::ssh_key(&ssh_user, public.as_deref(), path, None)
                }
                Source::Token { value, .. }
                    if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) =>
                {
                    let user = username_from_url.unwrap_or(TOKEN_USER);
                    Cred::userpass_plaintext(user, value)
                }
                _ => continue,
            };
            let description = source.describe();
            match offered {
                Ok(cred) => {
                    self.attempts.push(format!("{description} (not accepted)"));
                    return Ok(cred);
                }
                Err(_) => self
                    .attempts
                    .push(format!("{description} (could not be loaded)")),
            }
        }
        self.exhausted = true;
        Err(git2::Error::from_str("cigen: no more credentials to offer"))
    }

    /// True once every planned source has been offered and the callback
    /// had to refuse.
    pub(super) fn exhausted(&self) -> bool {
        self.exhausted
    }

    /// What was tried or found missing, in order, for the error message.
    pub(super) fn tried(&self) -> Vec<String> {
        self.attempts.iter().chain(&self.notes).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_source_is_offered_once_then_refused() {
        let url = RemoteUrl::parse("https://example.com/o/r.git");
        let env = EnvSnapshot::from_pairs([("GITHUB_TOKEN", "t1"), ("GH_TOKEN", "t1")]);
        let mut creds = Credentials::plan(&url, &env);
        let allowed = CredentialType::USER_PASS_PLAINTEXT;
        assert!(creds.next_credential(None, allowed).is_ok());
        assert!(creds.next_credential(None, allowed).is_err());
        assert!(creds.next_credential(None, allowed).is_err());
        assert!(creds.exhausted());
        assert_eq!(creds.tried(), ["token from GITHUB_TOKEN (not accepted)"]);
        assert!(!format!("{:?}", creds.tried()).contains("t1"));
    }

    #[test]
    fn ssh_without_agent_or_keys_lists_what_it_looked_for() -> std::io::Result<()> {
        let home = tempfile::tempdir()?;
        let env = EnvSnapshot::from_pairs([("HOME", home.path().to_string_lossy())]);
        let url = RemoteUrl::parse("git@github.com:o/r.git");
        let mut creds = Credentials::plan(&url, &env);
        assert!(
            creds
                .next_credential(Some("git"), CredentialType::SSH_KEY)
                .is_err()
        );
        let tried = creds.tried().join("; ");
        assert!(
            tried.contains("SSH_AUTH_SOCK not set") && tried.contains("id_ed25519"),
            "{tried}"
        );
        Ok(())
    }

    #[test]
    fn username_request_is_not_an_attempt() {
        let url = RemoteUrl::parse("ssh://example.com/r.git");
        let mut creds = Credentials::plan(&url, &EnvSnapshot::default());
        assert!(
            creds
                .next_credential(None, CredentialType::USERNAME)
                .is_ok()
        );
        assert!(!creds.exhausted());
    }
}
