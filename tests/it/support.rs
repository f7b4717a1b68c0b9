//! Test support shared by the integration tests: the API client as the
//! tests configure it, a scripted fake CircleCI API server on loopback, a
//! stand-in of GitHub's Actions cache listing, and throwaway TLS
//! certificates.

pub mod api_client;
pub mod fake_circleci;
pub mod fake_github;
pub mod test_ca;
