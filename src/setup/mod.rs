//! The setup phase in the setup job: self-check of the committed
//! entrypoint, job hashes, and then on CircleCI key files for the cache
//! probes and the continuation config built from what the probes restored,
//! on GitHub the skip decision from the listed marker caches
//! (`github_refs`, `github_skip`). The HTTP and git edges live in `api` and
//! `git`; this module decides, they talk.

pub(crate) mod certainty;
pub(crate) mod continuation;
pub(crate) mod github_refs;
pub(crate) mod github_skip;
pub mod hashes;
pub(crate) mod paths;
pub(crate) mod reference;
pub(crate) mod selfcheck;
pub(crate) mod shape;
pub(crate) mod state;
pub mod values;

pub use state::StateError;
