//! Classifies an SSH host key against OpenSSH `known_hosts` text.
//!
//! Input: the file's text, the host as `known_hosts` spells it (`host` or
//! `[host]:port`) and the raw key blob the server presented. Output: a
//! `HostKeyVerdict`. It understands plain and hashed (`|1|salt|hash`) host
//! fields, comma lists, `*`/`?` wildcards, `!` negation and `@revoked`;
//! `@cert-authority` lines are ignored (libgit2 offers no certificates).
//! libssh2 makes the actual trust decision; this module lets cigen refuse
//! early and say *why* (unknown host vs changed key), which libgit2 does not.

use super::digest::{base64_decode, hmac_sha1};

/// The result of looking a presented host key up in `known_hosts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum HostKeyVerdict {
    /// Some line for this host carries exactly this key.
    Match,
    /// No line for this host carries a key of this type.
    Unknown,
    /// Lines for this host carry a different key of the same type.
    Mismatch,
    /// The key is listed under `@revoked`.
    Revoked,
}

/// Looks `key_blob` up for `host` (already in `[host]:port` form if needed).
pub(super) fn classify(known_hosts: &str, host: &str, key_blob: &[u8]) -> HostKeyVerdict {
    let host = host.to_ascii_lowercase();
    let key_type = blob_key_type(key_blob);
    let mut same_type_seen = false;
    let mut matched = false;
    for entry in known_hosts.lines().filter_map(Entry::parse) {
        if entry.cert_authority || !entry.matches_host(&host) {
            continue;
        }
        let same_key = entry.key == key_blob;
        if entry.revoked {
            if same_key {
                return HostKeyVerdict::Revoked;
            }
            continue;
        }
        matched |= same_key;
        same_type_seen |= key_type.is_some() && blob_key_type(&entry.key) == key_type;
    }
    match (matched, same_type_seen) {
        (true, _) => HostKeyVerdict::Match,
        (false, true) => HostKeyVerdict::Mismatch,
        (false, false) => HostKeyVerdict::Unknown,
    }
}

/// The algorithm name at the start of an SSH public key blob.
pub(super) fn blob_key_type(blob: &[u8]) -> Option<&str> {
    let len_bytes: [u8; 4] = blob.get(..4)?.try_into().ok()?;
    let len = usize::try_from(u32::from_be_bytes(len_bytes)).ok()?;
    std::str::from_utf8(blob.get(4..4 + len)?).ok()
}

struct Entry<'a> {
    revoked: bool,
    cert_authority: bool,
    patterns: &'a str,
    key: Vec<u8>,
}

impl<'a> Entry<'a> {
    fn parse(line: &'a str) -> Option<Self> {
        let mut fields = line.split_whitespace();
        let mut first = fields.next()?;
        if first.starts_with('#') {
            return None;
        }
        let (mut revoked, mut cert_authority) = (false, false);
        if first.starts_with('@') {
            revoked = first == "@revoked";
            cert_authority = first == "@cert-authority";
            first = fields.next()?;
        }
        let _key_type = fields.next()?;
        let key = base64_decode(fields.next()?)?;
        Some(Self {
            revoked,
            cert_authority,
            patterns: first,
            key,
        })
    }

    /// OpenSSH semantics: any positive pattern matches and no negated one does.
    fn matches_host(&self, host: &str) -> bool {
        let mut positive = false;
        for pattern in self.patterns.split(',') {
            if let Some(negated) = pattern.strip_prefix('!') {
                if pattern_matches(negated, host) {
                    return false;
                }
            } else if pattern_matches(pattern, host) {
                positive = true;
            }
        }
        positive
    }
}

fn pattern_matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("|1|") {
        Some(hashed) => hashed_matches(hashed, host),
        None => wildcard_matches(pattern.to_ascii_lowercase().as_bytes(), host.as_bytes()),
    }
}

fn hashed_matches(hashed: &str, host: &str) -> bool {
    let Some((salt, hash)) = hashed.split_once('|') else {
        return false;
    };
    match (base64_decode(salt), base64_decode(hash)) {
        (Some(salt), Some(hash)) => hmac_sha1(&salt, host.as_bytes()).as_slice() == hash,
        _ => false,
    }
}

/// `*` matches any run of characters, `?` exactly one.
fn wildcard_matches(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|skip| wildcard_matches(rest, &text[skip..])),
        Some((b'?', rest)) => !text.is_empty() && wildcard_matches(rest, &text[1..]),
        Some((byte, rest)) => text.first() == Some(byte) && wildcard_matches(rest, &text[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake blob: SSH string `ssh-ed25519` followed by `tail`.
    fn blob(kind: &str, tail: &[u8]) -> Vec<u8> {
        let mut out = (kind.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind.as_bytes());
        out.extend_from_slice(tail);
        out
    }

    fn b64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            }
        }
        while !out.len().is_multiple_of(4) {
            out.push('=');
        }
        out
    }

    fn line(hosts: &str, key: &[u8]) -> String {
        format!("{hosts} ssh-ed25519 {}\n", b64(key))
    }

    #[test]
    fn plain_entries() {
        let good = blob("ssh-ed25519", b"good");
        let bad = blob("ssh-ed25519", b"bad");
        let rsa = blob("ssh-rsa", b"other");
        let text = line("github.com,140.82.112.3", &good);
        assert_eq!(classify(&text, "github.com", &good), HostKeyVerdict::Match);
        assert_eq!(classify(&text, "GitHub.com", &good), HostKeyVerdict::Match);
        assert_eq!(
            classify(&text, "github.com", &bad),
            HostKeyVerdict::Mismatch
        );
        assert_eq!(classify(&text, "github.com", &rsa), HostKeyVerdict::Unknown);
        assert_eq!(
            classify(&text, "gitlab.com", &good),
            HostKeyVerdict::Unknown
        );
        assert_eq!(classify("", "github.com", &good), HostKeyVerdict::Unknown);
    }

    #[test]
    fn ports_wildcards_negation_and_markers() {
        let key = blob("ssh-ed25519", b"k");
        let text = line("[127.0.0.1]:2222", &key);
        assert_eq!(
            classify(&text, "[127.0.0.1]:2222", &key),
            HostKeyVerdict::Match
        );
        assert_eq!(classify(&text, "127.0.0.1", &key), HostKeyVerdict::Unknown);

        let text = line("*.example.com,!evil.example.com", &key);
        assert_eq!(
            classify(&text, "git.example.com", &key),
            HostKeyVerdict::Match
        );
        assert_eq!(
            classify(&text, "evil.example.com", &key),
            HostKeyVerdict::Unknown
        );

        let text = format!("@revoked {}", line("h", &key));
        assert_eq!(classify(&text, "h", &key), HostKeyVerdict::Revoked);
        let text = format!("@cert-authority {}", line("h", &key));
        assert_eq!(classify(&text, "h", &key), HostKeyVerdict::Unknown);
    }

    #[test]
    fn hashed_entries() {
        let key = blob("ssh-ed25519", b"k");
        let salt = [7u8; 20];
        let hashed = |name: &str| {
            format!(
                "|1|{}|{}",
                b64(&salt),
                b64(&hmac_sha1(&salt, name.as_bytes()))
            )
        };
        let text = line(&hashed("[127.0.0.1]:2222"), &key);
        assert_eq!(
            classify(&text, "[127.0.0.1]:2222", &key),
            HostKeyVerdict::Match
        );
        assert_eq!(
            classify(&text, "[127.0.0.1]:2223", &key),
            HostKeyVerdict::Unknown
        );
        let other = blob("ssh-ed25519", b"x");
        assert_eq!(
            classify(&text, "[127.0.0.1]:2222", &other),
            HostKeyVerdict::Mismatch
        );
    }
}
