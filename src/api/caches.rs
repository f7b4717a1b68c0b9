//! Listing a repository's GitHub Actions caches whose key starts with a
//! prefix: `GET /repos/{owner}/{repo}/actions/caches?key=PREFIX&per_page=100
//! &sort=created_at&direction=asc`
//! (https://docs.github.com/en/rest/actions/cache#list-github-actions-caches-for-a-repository),
//! following `Link: rel="next"` up to the page limit
//! (https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api).
//! Oldest first: a cache saved while the listing runs is appended at the
//! end instead of shifting the pages still to read. Only `key` and `ref`
//! are read. A next link that leaves the API base URL is refused, so the
//! token never goes anywhere else. It decides nothing about skipping.

use serde::Deserialize;

use super::client::{ApiClient, status_problem};
use super::error::ApiError;
use super::exchange::{Api, Call, Method};
use super::message::server_message;
use super::secret::Secret;

/// Most entries GitHub returns on one page.
const PER_PAGE: &str = "100";

/// One cache entry: its key and the git ref it was saved from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CacheEntry {
    pub key: String,
    #[serde(rename = "ref")]
    pub git_ref: String,
}

#[derive(Deserialize)]
struct CachePage {
    actions_caches: Vec<CacheEntry>,
}

/// The caches listed, and what it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheListing {
    pub entries: Vec<CacheEntry>,
    /// Pages read.
    pub pages: u32,
    /// HTTP requests made, retries included.
    pub requests: u32,
    /// False when the page limit stopped the listing with pages left.
    pub complete: bool,
}

impl ApiClient {
    /// Every cache of `repository` (`owner/name`) whose key starts with
    /// `key_prefix`, oldest first, up to the page limit.
    pub fn list_caches(
        &self,
        token: &Secret,
        repository: &str,
        key_prefix: &str,
    ) -> Result<CacheListing, ApiError> {
        if !is_repository(repository) {
            return Err(ApiError::InvalidRepository {
                repository: repository.to_owned(),
            });
        }
        let mut listing = CacheListing {
            entries: Vec::new(),
            pages: 0,
            requests: 0,
            complete: false,
        };
        let mut call = Call {
            api: Api::GitHub,
            method: Method::Get,
            path: format!("/repos/{repository}/actions/caches"),
            query: vec![
                ("key", key_prefix.to_owned()),
                ("per_page", PER_PAGE.to_owned()),
                ("sort", "created_at".to_owned()),
                ("direction", "asc".to_owned()),
            ],
            token: Some(token),
            json_body: None,
            needs_body: true,
        };
        while listing.pages < self.max_cache_pages() {
            let (page, next) = self.cache_page(&call, token, &mut listing.requests)?;
            listing.pages += 1;
            listing.entries.extend(page.actions_caches);
            let Some(next) = next else {
                listing.complete = true;
                return Ok(listing);
            };
            call.path = self.below_base(&next).ok_or_else(|| ApiError::InvalidResponse {
                request: call.label(),
                attempts: 1,
                reason: format!(
                    "the next page link `{}` leaves the api url; cigen sends its token nowhere else",
                    token.redact(&next)
                ),
            })?;
            // The link carries the whole query of the next page.
            call.query.clear();
        }
        Ok(listing)
    }

    /// One page and its `rel="next"` link.
    fn cache_page(
        &self,
        call: &Call<'_>,
        token: &Secret,
        requests: &mut u32,
    ) -> Result<(CachePage, Option<String>), ApiError> {
        let done = self.perform(call, token)?;
        *requests += done.attempts;
        let answer = &done.answer;
        if !(200..300).contains(&answer.status) {
            return Err(ApiError::Rejected {
                request: call.label(),
                attempts: done.attempts,
                status: answer.status,
                message: server_message(&answer.body, token),
                hint: github_hint(answer.status, answer.rate_limited),
            });
        }
        let page: CachePage =
            serde_json::from_slice(&answer.body).map_err(|err| ApiError::InvalidResponse {
                request: call.label(),
                attempts: done.attempts,
                reason: format!(
                    "expected a cache list ({err}); got {}",
                    status_problem(answer, token)
                ),
            })?;
        let next = answer.link.as_deref().and_then(next_link);
        Ok((page, next))
    }
}

/// What to check when GitHub refuses the listing.
fn github_hint(status: u16, rate_limited: bool) -> Option<&'static str> {
    match status {
        401 => Some(
            "GITHUB_TOKEN was not accepted: pass the job's token to the step (`env: GITHUB_TOKEN: ${{ github.token }}`)",
        ),
        403 if rate_limited => Some(
            "GITHUB_TOKEN has used up its api rate limit (x-ratelimit-remaining: 0): run again later, or set CIGEN_SKIP_CACHE=true to run every job without listing",
        ),
        403 => Some(
            "GITHUB_TOKEN may not read the repository's caches: give the job `permissions: actions: read`",
        ),
        404 => Some(
            "check GITHUB_REPOSITORY (`owner/name`) and GITHUB_API_URL, and that the job has `permissions: actions: read`",
        ),
        300..=399 => Some("the api url redirects; set GITHUB_API_URL to the final address"),
        _ => None,
    }
}

/// `owner/name` of letters, digits, `-`, `_` and `.`: safe in a path.
fn is_repository(repository: &str) -> bool {
    let ok = |part: &str| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    matches!(repository.split_once('/'), Some((owner, name)) if ok(owner) && ok(name))
}

/// The target of the `rel="next"` entry of a `Link` header (RFC 8288):
/// `<URL>; rel="next", <URL>; rel="last"`. (The parse_link_header crate
/// deletes every `<`, `>`, quote and space before splitting on commas, and
/// pulls regex and lazy_static in; this one relation needs neither.)
pub(crate) fn next_link(header: &str) -> Option<String> {
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let close = rest[open..].find('>')? + open;
        let target = &rest[open + 1..close];
        let params_end = rest[close..].find('<').map_or(rest.len(), |at| at + close);
        let params = &rest[close + 1..params_end];
        let is_next = params.split(';').any(|param| {
            let Some((name, value)) = param.split_once('=') else {
                return false;
            };
            let value = value.trim().trim_end_matches(',').trim().trim_matches('"');
            name.trim().eq_ignore_ascii_case("rel")
                && value
                    .split_ascii_whitespace()
                    .any(|rel| rel.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target.trim().to_owned());
        }
        rest = &rest[params_end..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_next_link_among_others() {
        let header = r#"<https://api.github.com/repositories/1/actions/caches?key=cigen-job-&page=2>; rel="next", <https://api.github.com/repositories/1/actions/caches?key=cigen-job-&page=5>; rel="last""#;
        assert_eq!(
            next_link(header).as_deref(),
            Some("https://api.github.com/repositories/1/actions/caches?key=cigen-job-&page=2")
        );
        let last_page = r#"<https://x/a?page=1>; rel="first", <https://x/a?page=4>; rel="prev""#;
        assert_eq!(next_link(last_page), None);
        assert_eq!(
            next_link("<https://x/a?page=3>;rel=next").as_deref(),
            Some("https://x/a?page=3")
        );
        assert_eq!(
            next_link(r#"<https://x/b>; title="a, b"; rel="prev next""#).as_deref(),
            Some("https://x/b")
        );
        assert_eq!(next_link(""), None);
        assert_eq!(next_link("<https://x/unclosed; rel=next"), None);
    }

    #[test]
    fn reads_a_page_with_unknown_fields() {
        let page: CachePage = serde_json::from_str(
            r#"{"total_count":1,"actions_caches":[{"id":3,"ref":"refs/heads/main","key":"cigen-job-a-0f","version":"v","last_accessed_at":"2026-01-01T00:00:00Z","created_at":"2026-01-01T00:00:00Z","size_in_bytes":12}]}"#,
        )
        .expect("valid page");
        assert_eq!(
            page.actions_caches,
            [CacheEntry {
                key: "cigen-job-a-0f".into(),
                git_ref: "refs/heads/main".into()
            }]
        );
    }

    #[test]
    fn repositories_that_may_go_into_a_path() {
        for good in ["octo/repo", "Octo-Org/my_repo.rs", "a/.github"] {
            assert!(is_repository(good), "{good}");
        }
        for bad in [
            "", "octo", "octo/", "/repo", "a/b/c", "../x", "a/..", "a b/c", "a/b?c",
        ] {
            assert!(!is_repository(bad), "{bad}");
        }
    }
}
