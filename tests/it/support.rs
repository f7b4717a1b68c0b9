//! Test support shared by the integration tests: a scripted fake CircleCI
//! API server on loopback, and throwaway TLS certificates for it.

pub mod fake_circleci;
pub mod test_ca;
