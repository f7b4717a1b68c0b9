//! Finds the SSH private keys cigen may offer, in the order it offers them.
//!
//! Looks in `$HOME/.ssh` for `id_ed25519`, `id_ecdsa`, `id_rsa`, then every
//! `id_rsa_*` without `.pub` (CircleCI writes added keys as
//! `id_rsa_<fingerprint>`), sorted by name. Keys that cannot be used without
//! a prompt are left out with a note, because libssh2 aborts the whole
//! authentication (instead of trying the next key) when it fails to read or
//! decrypt one. Reads key files only to check their header; never prints them.

use std::fs;
use std::path::{Path, PathBuf};

use super::digest::base64_decode;

const STANDARD_NAMES: [&str; 3] = ["id_ed25519", "id_ecdsa", "id_rsa"];

/// Usable key files plus one note per file that was found but skipped.
#[derive(Debug, Default)]
pub(super) struct KeyScan {
    pub usable: Vec<PathBuf>,
    pub skipped: Vec<String>,
}

/// Scans `ssh_dir` for candidate private keys.
pub(super) fn scan(ssh_dir: &Path) -> KeyScan {
    let mut candidates: Vec<PathBuf> = STANDARD_NAMES
        .iter()
        .map(|name| ssh_dir.join(name))
        .filter(|path| path.is_file())
        .collect();
    candidates.extend(circleci_keys(ssh_dir));
    let mut scan = KeyScan::default();
    for path in candidates {
        match usability(&path) {
            Ok(()) => scan.usable.push(path),
            Err(why) => scan
                .skipped
                .push(format!("{} ({why}, skipped)", path.display())),
        }
    }
    scan
}

/// `id_rsa_*` files that are not public keys, sorted by name.
fn circleci_keys(ssh_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(ssh_dir) else {
        return Vec::new();
    };
    let mut keys: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("id_rsa_") && !name.ends_with(".pub"))
        })
        .filter(|path| path.is_file())
        .collect();
    keys.sort();
    keys
}

/// `Ok` when libssh2 can load the key without a passphrase, as far as the
/// header tells.
fn usability(path: &Path) -> Result<(), &'static str> {
    let text = fs::read_to_string(path).map_err(|_| "unreadable")?;
    if text.contains("ENCRYPTED") {
        return Err("passphrase-protected");
    }
    if text.contains("BEGIN OPENSSH PRIVATE KEY") {
        return match openssh_cipher(&text) {
            Some(cipher) if cipher == b"none" => Ok(()),
            Some(_) => Err("passphrase-protected"),
            None => Err("not a valid private key"),
        };
    }
    if text.contains("PRIVATE KEY-----") {
        return Ok(());
    }
    Err("not a private key")
}

/// The cipher name inside an `openssh-key-v1` container.
fn openssh_cipher(text: &str) -> Option<Vec<u8>> {
    let body: String = text
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .map(str::trim)
        .collect();
    let bytes = base64_decode(&body)?;
    let rest = bytes.strip_prefix(b"openssh-key-v1\0")?;
    let len_bytes: [u8; 4] = rest.get(..4)?.try_into().ok()?;
    let len = usize::try_from(u32::from_be_bytes(len_bytes)).ok()?;
    rest.get(4..4 + len).map(<[u8]>::to_vec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_standard_names_then_circleci_keys() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        for name in [
            "id_rsa_bb",
            "id_rsa_aa",
            "id_rsa_aa.pub",
            "id_rsa",
            "id_ed25519",
            "other",
        ] {
            fs::write(dir.path().join(name), pem)?;
        }
        let names: Vec<String> = scan(dir.path())
            .usable
            .iter()
            .filter_map(|path| path.file_name()?.to_str().map(String::from))
            .collect();
        assert_eq!(names, ["id_ed25519", "id_rsa", "id_rsa_aa", "id_rsa_bb"]);
        Ok(())
    }

    #[test]
    fn skips_encrypted_keys_with_a_note() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let encrypted = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
                         AAAA\n-----END RSA PRIVATE KEY-----\n";
        fs::write(dir.path().join("id_rsa"), encrypted)?;
        let scan = scan(dir.path());
        assert!(scan.usable.is_empty());
        assert!(
            scan.skipped[0].contains("passphrase-protected"),
            "{:?}",
            scan.skipped
        );
        Ok(())
    }
}
