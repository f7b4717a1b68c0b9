//! The environment variables the git edge may read, captured once.
//!
//! `EnvSnapshot` holds only the names in [`EnvSnapshot::NAMES`]; production
//! builds it from the process environment, tests build it from pairs so they
//! never touch the real `HOME`. An empty value counts as unset, as in CI
//! configuration UIs. Token values never appear in `Debug` output.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// HTTPS token variables, in the order they are tried. The token is sent as
/// the password with the user name `x-access-token` (GitHub's convention for
/// app and Actions tokens; personal access tokens accept any user name).
pub(crate) const TOKEN_VARS: [&str; 3] = ["CIGEN_GIT_TOKEN", "GITHUB_TOKEN", "GH_TOKEN"];

/// A read-only copy of the environment variables the git edge uses.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EnvSnapshot {
    vars: BTreeMap<String, String>,
}

impl EnvSnapshot {
    /// Every variable the git edge reads; anything else is ignored.
    pub(crate) const NAMES: [&'static str; 7] = [
        "HOME",
        "SSH_AUTH_SOCK",
        "CIRCLE_TAG",
        "CIRCLE_BRANCH",
        TOKEN_VARS[0],
        TOKEN_VARS[1],
        TOKEN_VARS[2],
    ];

    /// Captures [`Self::NAMES`] from the process environment.
    pub fn from_process() -> Self {
        Self::from_pairs(
            Self::NAMES
                .iter()
                .filter_map(|name| std::env::var(name).ok().map(|value| (*name, value))),
        )
    }

    /// Builds a snapshot from explicit pairs (tests); unknown names are dropped.
    pub fn from_pairs<K, V, I>(pairs: I) -> Self
    where
        K: Into<String>,
        V: Into<String>,
        I: IntoIterator<Item = (K, V)>,
    {
        let vars = pairs
            .into_iter()
            .map(|(name, value)| (name.into(), value.into()))
            .filter(|(name, value)| Self::NAMES.contains(&name.as_str()) && !value.is_empty())
            .collect();
        Self { vars }
    }

    /// The value of `name`, or `None` when unset or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// `$HOME/.ssh`, when `HOME` is set.
    pub(crate) fn ssh_dir(&self) -> Option<PathBuf> {
        self.get("HOME")
            .map(|home| PathBuf::from(home).join(".ssh"))
    }

    /// Every token value present, so error text can be scrubbed of them.
    pub(crate) fn secrets(&self) -> impl Iterator<Item = &str> {
        TOKEN_VARS.iter().filter_map(|name| self.get(name))
    }
}

impl fmt::Debug for EnvSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in &self.vars {
            if TOKEN_VARS.contains(&name.as_str()) {
                map.entry(name, &"<redacted>");
            } else {
                map.entry(name, value);
            }
        }
        map.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_known_non_empty_names() {
        let env = EnvSnapshot::from_pairs([("HOME", "/h"), ("PATH", "/bin"), ("CIRCLE_TAG", "")]);
        assert_eq!(env.get("HOME"), Some("/h"));
        assert_eq!(env.get("PATH"), None);
        assert_eq!(env.get("CIRCLE_TAG"), None);
    }

    #[test]
    fn debug_hides_tokens() {
        let env = EnvSnapshot::from_pairs([("GITHUB_TOKEN", "ghs_secret"), ("HOME", "/h")]);
        let shown = format!("{env:?}");
        assert!(!shown.contains("ghs_secret"), "{shown}");
        assert!(
            shown.contains("<redacted>") && shown.contains("/h"),
            "{shown}"
        );
    }
}
