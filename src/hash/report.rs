//! What `compute` returns: the hash of every variant, in input order, and
//! counters that show how the work was done (index reads, files hashed from
//! content). The counters exist so tests and benchmarks can prove that the
//! index is read once and every file is hashed at most once.

use indexmap::IndexMap;
use serde::Serialize;

/// Hashes of all variants plus work counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HashReport {
    /// Variant id → 64 lowercase hex digits of SHA-256, in input order.
    pub hashes: IndexMap<String, String>,
    pub stats: HashStats,
}

/// How much work one `compute` call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HashStats {
    /// Times `.git/index` was read: 1 inside a work tree, 0 outside.
    pub index_reads: usize,
    /// Files whose object id was computed from their content (dirty,
    /// racy, untracked, or every file outside a git work tree).
    pub files_hashed_from_content: usize,
    /// Files whose object id was taken from a clean index entry.
    pub files_from_index: usize,
    /// Distinct files matched by at least one variant's patterns.
    pub files_matched: usize,
}
