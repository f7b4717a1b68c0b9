//! The CI provider a runtime command (`hash`, `setup`, `continue`) works
//! for: `--provider circleci|github`, defaulted from the configured
//! providers (circleci when configured, else github). A job's hash covers
//! the provider's rendered job, the setup state records it, and
//! `continue` refuses a state another provider's `setup` wrote. Parsing and
//! naming only: what each provider does lives in `cmd/` and `setup/`.

use std::fmt;

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::Project;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Circleci,
    Github,
}

impl Provider {
    /// The provider called `name` in the configuration.
    pub(crate) fn from_name(name: &str) -> Option<Provider> {
        match name {
            "circleci" => Some(Provider::Circleci),
            "github" => Some(Provider::Github),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Provider::Circleci => "circleci",
            Provider::Github => "github",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The providers the project configures (`provider:` / `providers:`).
pub(crate) fn configured(project: &Project) -> &[Provider] {
    &project.settings.providers
}

/// The provider a command works for: the one asked for, which must be
/// configured, else circleci when configured, else github.
pub(crate) fn resolve(asked: Option<Provider>, configured: &[Provider]) -> Result<Provider> {
    match asked {
        Some(provider) if configured.contains(&provider) => Ok(provider),
        Some(provider) => {
            let listed: Vec<String> = configured.iter().map(|p| format!("`{p}`")).collect();
            Err(Error::Usage(format!(
                "provider `{provider}` is not configured (configured: {}): add it to `providers:` in the project config",
                listed.join(", ")
            )))
        }
        None if configured.contains(&Provider::Circleci) => Ok(Provider::Circleci),
        None => Ok(Provider::Github),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_circleci_when_configured_else_github() {
        let both = [Provider::Circleci, Provider::Github];
        assert_eq!(resolve(None, &both).ok(), Some(Provider::Circleci));
        assert_eq!(
            resolve(None, &[Provider::Github]).ok(),
            Some(Provider::Github)
        );
        assert_eq!(
            resolve(Some(Provider::Github), &both).ok(),
            Some(Provider::Github)
        );
    }

    #[test]
    fn a_provider_not_configured_is_a_usage_error() {
        let err = resolve(Some(Provider::Github), &[Provider::Circleci]).expect_err("refused");
        assert_eq!(err.exit_code(), 2);
        assert_eq!(
            err.to_string(),
            "provider `github` is not configured (configured: `circleci`): add it to `providers:` in the project config"
        );
    }

    #[test]
    fn serialises_as_its_name() {
        assert_eq!(
            serde_json::to_string(&Provider::Github).ok().as_deref(),
            Some("\"github\"")
        );
        assert_eq!(Provider::Circleci.to_string(), "circleci");
    }
}
