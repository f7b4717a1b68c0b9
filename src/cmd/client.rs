//! Not a subcommand: what the commands that talk to CircleCI (`continue`,
//! `approve`) share. Builds the API client from `--api-url` /
//! `CIRCLECI_API_URL` and the tuning environment, prints each retried
//! attempt to stderr (never a secret), and reads required secrets from the
//! environment.

use std::time::Duration;

use crate::api::{API_URL_ENV, ApiClient, ApiConfig, DEFAULT_API_URL, Secret};
use crate::error::{Error, Result};

/// Milliseconds of the first retry backoff (default 1000): lets tests and
/// impatient users shorten the waits; the cap and attempt count stay.
pub(super) const BACKOFF_ENV: &str = "CIGEN_API_BACKOFF_MS";

pub(super) fn build(api_url: Option<&str>) -> Result<ApiClient> {
    let base = match api_url {
        Some(url) => url.to_string(),
        None => std::env::var(API_URL_ENV).unwrap_or_else(|_| DEFAULT_API_URL.to_string()),
    };
    let mut config = ApiConfig::new(base);
    if let Some(ms) = std::env::var(BACKOFF_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        config.retry.backoff_base = Duration::from_millis(ms);
        config.retry.retry_after_cap = config
            .retry
            .retry_after_cap
            .min(Duration::from_millis(ms.max(1) * 30));
    }
    let client = ApiClient::new(config).map_err(|source| Error::Api {
        doing: None,
        source,
    })?;
    Ok(client.with_observer(|note| crate::errln!("{note}")))
}

/// A required secret from the environment; its value is never printed, and
/// one too short to mask safely is refused.
pub(super) fn secret(name: &str) -> Result<Secret> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => {
            Secret::from_env(name, value).map_err(Error::Usage)
        }
        _ => Err(Error::Usage(format!("`{name}` is not set"))),
    }
}

pub(super) fn required_env(name: &str) -> Result<String> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(Error::Usage(format!("`{name}` is not set"))),
    }
}
