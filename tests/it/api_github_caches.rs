//! `ApiClient::list_caches` against the stand-in of GitHub's cache listing
//! on 127.0.0.1: the exact first request (headers, prefix, order), pages
//! followed through `Link: rel="next"`, the page bound, 5xx and 429
//! retried, 401 and 403 as clear errors, a page link leaving the API URL
//! refused — and the token in none of what a user could see.

use std::time::{Duration, Instant};

use cigen::api::{ApiClient, ApiConfig, ApiError, CacheEntry, CacheListing, Secret};

use crate::support::api_client::{Notes, fast_config, notes_of, observed};
use crate::support::fake_circleci::Reply;
use crate::support::fake_github::{Cache, FakeGitHub, REPOSITORY_ID, Repository};

const TOKEN: &str = "ghs_t0ken-that-must-never-show-4711";

fn client(url: &str, tune: impl FnOnce(&mut ApiConfig)) -> (ApiClient, Notes) {
    let mut config = fast_config(url, 5, Duration::from_secs(5));
    tune(&mut config);
    observed(config)
}

fn caches(n: usize) -> Vec<Cache> {
    (0..n)
        .map(|i| Cache::new(format!("cigen-job-v{i}-{i:064x}"), "refs/heads/main"))
        .collect()
}

fn list(client: &ApiClient) -> Result<CacheListing, ApiError> {
    client.list_caches(&Secret::new(TOKEN), "octo/repo", "cigen-job-")
}

fn assert_no_token(outcome: &Result<CacheListing, ApiError>, notes: &[String]) {
    let mut printed = format!("{outcome:?}\n");
    if let Err(err) = outcome {
        printed.push_str(&err.to_string());
    }
    printed.push_str(&notes.join("\n"));
    assert!(!printed.contains(TOKEN), "token leaked into: {printed}");
}

#[test]
fn follows_every_next_link_oldest_first_with_github_headers() {
    let mut repository = Repository::new("octo/repo", TOKEN, caches(5));
    repository
        .caches
        .insert(2, Cache::new("npm-cache-linux", "refs/heads/main"));
    repository.page_size = 2;
    let server = FakeGitHub::start(repository);
    let (client, notes) = client(server.url(), |_| {});
    let outcome = list(&client);
    let requests = server.finish();

    let listing = outcome.as_ref().expect("listed");
    let keys: Vec<&str> = listing.entries.iter().map(|e| e.key.as_str()).collect();
    let expected: Vec<String> = caches(5).into_iter().map(|c| c.key).collect();
    assert_eq!(keys, expected, "every marker, oldest first, nothing else");
    assert_eq!((listing.pages, listing.requests), (3, 3));
    assert!(listing.complete);
    let targets: Vec<&str> = requests.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "/repos/octo/repo/actions/caches?key=cigen-job-&per_page=100&sort=created_at&direction=asc".to_string(),
            format!("/repositories/{REPOSITORY_ID}/actions/caches?key=cigen-job-&per_page=2&page=2&sort=created_at&direction=asc"),
            format!("/repositories/{REPOSITORY_ID}/actions/caches?key=cigen-job-&per_page=2&page=3&sort=created_at&direction=asc"),
        ]
    );
    for request in &requests {
        assert_eq!(request.method, "GET");
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(
            request.header("accept"),
            Some("application/vnd.github+json")
        );
        assert_eq!(request.header("x-github-api-version"), Some("2022-11-28"));
        assert_eq!(request.header("circle-token"), None);
        assert!(
            request
                .header("user-agent")
                .is_some_and(|ua| ua.starts_with("cigen/"))
        );
    }
    assert!(notes_of(&notes).is_empty());
    assert_eq!(
        listing.entries[0],
        CacheEntry {
            key: expected[0].clone(),
            git_ref: "refs/heads/main".into()
        }
    );
}

#[test]
fn stops_at_the_page_limit_and_says_the_listing_is_incomplete() {
    let mut repository = Repository::new("octo/repo", TOKEN, caches(7));
    repository.page_size = 2;
    let server = FakeGitHub::start(repository);
    let (client, _) = client(server.url(), |config| config.max_cache_pages = 2);
    let listing = list(&client).expect("listed");
    assert_eq!(server.finish().len(), 2);
    assert_eq!((listing.pages, listing.entries.len()), (2, 4));
    assert!(!listing.complete);
}

#[test]
fn retries_5xx_and_a_reset_then_reads_the_page() {
    let mut repository = Repository::new("octo/repo", TOKEN, caches(1));
    repository.faults = vec![
        Reply::message(502, "Server Error"),
        Reply::Reset,
        Reply::message(503, "Service Unavailable"),
    ];
    let server = FakeGitHub::start(repository);
    let (client, notes) = client(server.url(), |_| {});
    let outcome = list(&client);
    assert_eq!(server.finish().len(), 3, "the reset read no request");

    let listing = outcome.as_ref().expect("listed after retries");
    assert_eq!((listing.entries.len(), listing.requests), (1, 4));
    let notes = notes_of(&notes);
    assert_eq!(notes.len(), 3, "{notes:?}");
    assert_eq!(
        notes[0],
        "attempt 1/5 (GET /repos/octo/repo/actions/caches): 502 Bad Gateway: Server Error, retrying in 10ms"
    );
    assert_eq!(
        notes[2],
        "attempt 3/5 (GET /repos/octo/repo/actions/caches): 503 Service Unavailable: Service Unavailable, retrying in 40ms"
    );
    assert_no_token(&outcome, &notes);
}

#[test]
fn honours_retry_after_on_429() {
    let mut repository = Repository::new("octo/repo", TOKEN, caches(1));
    repository.faults = vec![
        Reply::message(429, "You have exceeded a secondary rate limit")
            .with_header("Retry-After", "1"),
    ];
    let server = FakeGitHub::start(repository);
    let (client, notes) = client(server.url(), |_| {});
    let started = Instant::now();
    let outcome = list(&client);
    let waited = started.elapsed();
    assert_eq!(server.finish().len(), 2);

    assert!(outcome.is_ok(), "{outcome:?}");
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(5),
        "waited {waited:?}"
    );
    assert_eq!(
        notes_of(&notes),
        [
            "attempt 1/5 (GET /repos/octo/repo/actions/caches): 429 Too Many Requests: You have exceeded a secondary rate limit (retry-after 1s), retrying in 1s"
        ]
    );
}

#[test]
fn a_refused_token_is_a_clear_error_without_the_token() {
    let server = FakeGitHub::start(Repository::new(
        "octo/repo",
        "another-token-1234",
        caches(1),
    ));
    let (client, notes) = client(server.url(), |_| {});
    let outcome = list(&client);
    assert_eq!(server.finish().len(), 1, "a 401 is not retried");

    let err = outcome.as_ref().expect_err("refused");
    assert_eq!(
        err.to_string(),
        "GET /repos/octo/repo/actions/caches was rejected with status 401 after 1 attempt: Bad credentials\nhint: GITHUB_TOKEN was not accepted: pass the job's token to the step (`env: GITHUB_TOKEN: ${{ github.token }}`)"
    );
    assert_no_token(&outcome, &notes_of(&notes));
}

#[test]
fn a_token_without_actions_read_names_the_permission() {
    let mut repository = Repository::new("octo/repo", TOKEN, caches(1));
    repository.forbidden = true;
    let server = FakeGitHub::start(repository);
    let (client, notes) = client(server.url(), |_| {});
    let outcome = list(&client);
    assert_eq!(server.finish().len(), 1, "a 403 is not retried");

    assert_eq!(
        outcome.as_ref().expect_err("refused").to_string(),
        "GET /repos/octo/repo/actions/caches was rejected with status 403 after 1 attempt: Resource not accessible by integration\nhint: GITHUB_TOKEN may not read the repository's caches: give the job `permissions: actions: read`"
    );
    assert_no_token(&outcome, &notes_of(&notes));
}

#[test]
fn a_rate_limited_403_says_so() {
    let mut repository = Repository::new("octo/repo", TOKEN, caches(1));
    repository.faults = vec![
        Reply::message(403, "API rate limit exceeded for installation.")
            .with_header("x-ratelimit-remaining", "0"),
    ];
    let server = FakeGitHub::start(repository);
    let (client, _) = client(server.url(), |_| {});
    let err = list(&client).expect_err("refused");
    assert_eq!(server.finish().len(), 1);
    assert_eq!(
        err.to_string(),
        "GET /repos/octo/repo/actions/caches was rejected with status 403 after 1 attempt: API rate limit exceeded for installation.\nhint: GITHUB_TOKEN has used up its api rate limit (x-ratelimit-remaining: 0): run again later, or set CIGEN_SKIP_CACHE=true to run every job without listing"
    );
}

#[test]
fn a_page_link_leaving_the_api_url_is_not_followed() {
    let elsewhere = FakeGitHub::start(Repository::new("octo/repo", TOKEN, caches(1)));
    let mut repository = Repository::new("octo/repo", TOKEN, caches(3));
    repository.page_size = 1;
    repository.link_base = Some(elsewhere.url().to_string());
    let server = FakeGitHub::start(repository);
    let (client, notes) = client(server.url(), |_| {});
    let outcome = list(&client);
    assert_eq!(server.finish().len(), 1);
    assert!(elsewhere.finish().is_empty(), "the token went elsewhere");

    let err = outcome.as_ref().expect_err("refused");
    let ApiError::InvalidResponse { reason, .. } = err else {
        panic!("{err:?}");
    };
    assert!(
        reason.ends_with("leaves the api url; cigen sends its token nowhere else"),
        "{reason}"
    );
    assert_no_token(&outcome, &notes_of(&notes));
}

#[test]
fn a_repository_that_is_not_owner_slash_name_is_refused_before_any_request() {
    let server = FakeGitHub::start(Repository::new("octo/repo", TOKEN, caches(1)));
    let (client, _) = client(server.url(), |_| {});
    let err = client
        .list_caches(&Secret::new(TOKEN), "octo/repo/../x", "cigen-job-")
        .expect_err("refused");
    assert!(server.finish().is_empty());
    assert_eq!(
        err.to_string(),
        "invalid github repository `octo/repo/../x`: expected `owner/name` (GITHUB_REPOSITORY)"
    );
}
