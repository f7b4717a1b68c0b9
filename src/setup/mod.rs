//! The setup phase in CircleCI's setup job: self-check of the committed
//! entrypoint, job hashes and key files for the cache probes, and the
//! continuation config built from what the probes restored. The HTTP and
//! git edges live in `api` and `git`; this module decides, they talk.

pub mod certainty;
pub mod continuation;
pub mod hashes;
pub mod paths;
pub mod reference;
pub mod selfcheck;
pub mod shape;
pub mod state;
pub mod values;
