//! The setup phase in CircleCI's setup job: self-check of the committed
//! entrypoint, job hashes and key files for the cache probes, and the
//! continuation config built from what the probes restored. The HTTP and
//! git edges live in `api` and `git`; this module decides, they talk.

pub(crate) mod certainty;
pub(crate) mod continuation;
pub mod hashes;
pub(crate) mod paths;
pub(crate) mod reference;
pub(crate) mod selfcheck;
pub(crate) mod shape;
pub(crate) mod state;
pub mod values;

pub use state::StateError;
