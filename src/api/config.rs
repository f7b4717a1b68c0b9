//! `ApiConfig` holds what an `ApiClient` is built from: the API base URL,
//! per-request timeouts, the retry policy, the user agent and the page
//! limits for job and cache listings. It validates and normalises the base
//! URL; it does not read the environment (the CLI resolves `--api-url` /
//! `CIRCLECI_API_URL` / `GITHUB_API_URL`).

use std::time::Duration;

use super::error::ApiError;
use super::retry::RetryPolicy;

/// CircleCI cloud.
pub(crate) const DEFAULT_API_URL: &str = "https://circleci.com";
/// The environment variable the CLI reads for the base URL.
pub(crate) const API_URL_ENV: &str = "CIRCLECI_API_URL";
/// github.com's REST API.
pub(crate) const DEFAULT_GITHUB_API_URL: &str = "https://api.github.com";
/// Set by GitHub Actions to the REST API of the run's GitHub
/// (https://docs.github.com/en/actions/reference/workflows-and-actions/variables).
pub(crate) const GITHUB_API_URL_ENV: &str = "GITHUB_API_URL";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiConfig {
    /// `https://circleci.com`, or a CircleCI server install, or a test server.
    pub base_url: String,
    /// Limit for DNS + TCP + TLS setup of one attempt.
    pub connect_timeout: Duration,
    /// Limit for one whole attempt, connect and response body included.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    pub user_agent: String,
    /// Most pages read when listing a workflow's jobs.
    pub max_job_pages: u32,
    /// Most pages (of 100 caches) read when listing GitHub Actions caches.
    pub max_cache_pages: u32,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_API_URL.to_owned(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            user_agent: concat!("cigen/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_job_pages: 50,
            max_cache_pages: 50,
        }
    }
}

impl ApiConfig {
    /// Defaults with another base URL.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            ..Self::default()
        }
    }
}

/// The base URL without trailing slashes, checked to be absolute http(s)
/// with a host and no query or fragment. Returns it and whether it is https.
pub(crate) fn normalize_base_url(raw: &str) -> Result<(String, bool), ApiError> {
    let invalid = |reason: &str| ApiError::InvalidBaseUrl {
        url: raw.to_owned(),
        reason: reason.to_owned(),
    };
    let trimmed = raw.trim().trim_end_matches('/');
    let lower = trimmed.to_ascii_lowercase();
    let (https, rest) = if let Some(rest) = lower.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = lower.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(invalid("it must start with https:// or http://"));
    };
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(invalid("it has no host"));
    }
    if trimmed.contains(['?', '#']) || trimmed.chars().any(char::is_whitespace) {
        return Err(invalid("it must not contain a query, a fragment or spaces"));
    }
    let scheme_len = if https {
        "https://".len()
    } else {
        "http://".len()
    };
    let base = format!("{}{}", &lower[..scheme_len], &trimmed[scheme_len..]);
    Ok((base, https))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_slash_and_scheme_case_are_normalised() {
        assert_eq!(
            normalize_base_url("HTTPS://circleci.com/").ok(),
            Some(("https://circleci.com".to_owned(), true))
        );
        assert_eq!(
            normalize_base_url("http://127.0.0.1:8080").ok(),
            Some(("http://127.0.0.1:8080".to_owned(), false))
        );
        assert_eq!(
            normalize_base_url("https://ci.example.com/Server//").ok(),
            Some(("https://ci.example.com/Server".to_owned(), true))
        );
    }

    #[test]
    fn rejects_what_is_not_an_http_base() {
        for bad in [
            "circleci.com",
            "ftp://x",
            "https://",
            "https://x/?a=b",
            "https://x y",
        ] {
            assert!(normalize_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults() {
        let c = ApiConfig::default();
        assert_eq!(c.base_url, DEFAULT_API_URL);
        assert_eq!(c.retry.max_attempts, 5);
        assert!(c.user_agent.starts_with("cigen/"));
    }
}
