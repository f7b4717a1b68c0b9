//! The `certificate_check` callback: SSH host keys against known_hosts.
//!
//! libgit2 (≥ 1.7, with libssh2) already checks the SSH host key against
//! `~/.ssh/known_hosts` and enforces it when the callback returns
//! `CertificatePassthrough`, but it reports unknown and changed keys with
//! one message and reads the `HOME` the process started with. So this
//! callback first classifies the key itself against the snapshot's
//! `$HOME/.ssh/known_hosts`: anything but a match is refused here, with the
//! reason kept for `GitError`; a match is passed through, so libssh2 must
//! agree before the connection goes on. It never accepts a certificate on
//! its own, and TLS certificates are always passed through untouched.

use std::fs;
use std::path::PathBuf;

use git2::CertificateCheckStatus;
use git2::cert::Cert;

use super::env::EnvSnapshot;
use super::known_hosts::{HostKeyVerdict, classify};
use super::remote_url::RemoteUrl;

/// State of the host-key check for one push.
pub(super) struct HostKeyCheck {
    known_hosts: Option<PathBuf>,
    /// `host` or `[host]:port`, as known_hosts spells it.
    name: String,
    verdict: Option<(String, HostKeyVerdict)>,
}

impl HostKeyCheck {
    pub(super) fn new(url: &RemoteUrl, env: &EnvSnapshot) -> Self {
        Self {
            known_hosts: env.ssh_dir().map(|dir| dir.join("known_hosts")),
            name: url.known_hosts_name(),
            verdict: None,
        }
    }

    /// The callback body; the host name comes from the parsed remote URL,
    /// which is what libgit2 connected to.
    pub(super) fn check(&mut self, cert: &Cert<'_>) -> Result<CertificateCheckStatus, git2::Error> {
        let Some(hostkey) = cert.as_hostkey() else {
            return Ok(CertificateCheckStatus::CertificatePassthrough);
        };
        let name = self.name.clone();
        let text = self
            .known_hosts
            .as_ref()
            .and_then(|path| fs::read_to_string(path).ok())
            .unwrap_or_default();
        let verdict = match hostkey.hostkey() {
            Some(blob) => classify(&text, &name, blob),
            None => HostKeyVerdict::Unknown,
        };
        self.verdict = Some((name.clone(), verdict));
        match verdict {
            HostKeyVerdict::Match => Ok(CertificateCheckStatus::CertificatePassthrough),
            _ => Err(git2::Error::from_str(&format!(
                "cigen: host key of {name} is {verdict:?} in known_hosts"
            ))),
        }
    }

    /// The host name (known_hosts form) and verdict, once the callback ran.
    pub(super) fn verdict(&self) -> Option<(&str, HostKeyVerdict)> {
        self.verdict
            .as_ref()
            .map(|(name, verdict)| (name.as_str(), *verdict))
    }
}
