//! Not a subcommand: what the commands that call an API (`continue`,
//! `approve`) share. Builds the API client from `--api-url` /
//! `CIRCLECI_API_URL` (CircleCI) or `GITHUB_API_URL` (GitHub) and the
//! tuning environment, prints each retried attempt to stderr (never a
//! secret), and reads required secrets from the environment.

use std::time::Duration;

use crate::api::{
    API_URL_ENV, ApiClient, ApiConfig, ApiError, DEFAULT_API_URL, DEFAULT_GITHUB_API_URL,
    GITHUB_API_URL_ENV, Secret,
};
use crate::error::{Error, Result};

/// Milliseconds of the first retry backoff (default 1000): lets tests and
/// impatient users shorten the waits; the cap and attempt count stay.
pub(super) const BACKOFF_ENV: &str = "CIGEN_API_BACKOFF_MS";

/// The CircleCI client.
pub(super) fn build(api_url: Option<&str>) -> Result<ApiClient> {
    build_for(base_url(api_url, API_URL_ENV, DEFAULT_API_URL))
}

/// The GitHub REST API client (`--api-url`, else `GITHUB_API_URL`, else github.com's).
pub(super) fn build_github(api_url: Option<&str>) -> Result<ApiClient> {
    build_for(base_url(api_url, GITHUB_API_URL_ENV, DEFAULT_GITHUB_API_URL)).map_err(|err| match err {
        Error::Api {
            source: ApiError::InvalidBaseUrl { url, reason },
            ..
        } => Error::Usage(format!(
            "invalid github api url `{url}` (--api-url or GITHUB_API_URL): {reason} (expected something like https://api.github.com)"
        )),
        other => other,
    })
}

fn base_url(flag: Option<&str>, env: &str, default: &str) -> String {
    match flag {
        Some(url) => url.to_string(),
        None => std::env::var(env).unwrap_or_else(|_| default.to_string()),
    }
}

fn build_for(base: String) -> Result<ApiClient> {
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
