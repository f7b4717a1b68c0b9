//! Builds the matched-file table. Tracked paths are matched against the
//! patterns straight from the index; the walk then says which of them are
//! fresh (keep the recorded id), changed (hash the content) or gone (drop),
//! and adds the untracked matches (hash the content). Each file is
//! resolved exactly once here, however many variants share it; variants
//! only read the finished table.

use std::ops::Range;
use std::path::Path;

use super::blob;
use super::error::HashError;
use super::ignore_rules::Excludes;
use super::index::{GitIndex, Tracking};
use super::parallel;
use super::path_bytes;
use super::pattern::Patterns;
use super::table::{FileTable, set_bit};
use super::walk::{self, Context, Seen};

/// The table plus where its ids came from.
pub(crate) struct Collected {
    pub table: FileTable,
    pub from_index: usize,
    pub from_content: usize,
}

/// What became of a matched tracked entry.
#[derive(Clone, Copy)]
enum State {
    /// Not met by the walk: deleted.
    Gone,
    /// The recorded id holds.
    Recorded,
    /// Hash the file, which now has this mode.
    Changed(u32),
}

/// Tracked entries some pattern matches: index positions and, per entry,
/// `words` u64s of pattern bits.
struct Matched {
    entries: Vec<usize>,
    bits: Vec<u64>,
    words: usize,
}

/// Builds the table for `root`, using `index` when inside a work tree.
pub(crate) fn collect(
    root: &Path,
    patterns: &Patterns,
    index: Option<&GitIndex>,
    excludes: &Excludes,
) -> Result<Collected, HashError> {
    let no_index = GitIndex::default();
    let tracked = index.unwrap_or(&no_index);
    let matched = match_tracked(tracked, patterns);
    // Per index entry: its position in `matched`, and whether the walk
    // must look at its file (submodules and trusted entries never need it).
    let mut slot = vec![usize::MAX; tracked.entries.len()];
    let mut check = vec![false; tracked.entries.len()];
    let mut state = Vec::with_capacity(matched.entries.len());
    for (n, &at) in matched.entries.iter().enumerate() {
        slot[at] = n;
        let trusted = matches!(
            tracked.entries[at].tracking,
            Tracking::Gitlink | Tracking::Trusted
        );
        check[at] = !trusted;
        state.push(if trusted {
            State::Recorded
        } else {
            State::Gone
        });
    }
    let cx = Context {
        root,
        patterns,
        index,
        check: &check,
        excludes,
    };
    let mut untracked = Vec::new();
    for seen in walk::walk(&cx)? {
        match seen {
            Seen::Fresh(at) => state[slot[at]] = State::Recorded,
            Seen::Changed(at, mode) => state[slot[at]] = State::Changed(mode),
            Seen::Untracked(path, mode, ids) => untracked.push((path, mode, ids)),
        }
    }
    untracked.sort_by(|a, b| a.0.cmp(&b.0));

    // Merge tracked (index order) and untracked (sorted) rows by path.
    let mut table = FileTable::new(
        patterns.texts.len(),
        matched.entries.len() + untracked.len(),
    );
    let mut to_hash: Vec<usize> = Vec::new();
    let mut from_index = 0;
    let mut untracked = untracked.into_iter().peekable();
    let mut bits = vec![0; table.words()];
    for (n, &at) in matched.entries.iter().enumerate() {
        let path = tracked.path(at);
        while let Some((upath, mode, ids)) = untracked.next_if(|u| u.0.as_slice() < path) {
            bits.fill(0);
            for id in ids {
                set_bit(&mut bits, id);
            }
            to_hash.push(table.push(&upath, mode, [0; 20], &bits));
        }
        let row_bits = &matched.bits[n * matched.words..(n + 1) * matched.words];
        let entry = &tracked.entries[at];
        match state[n] {
            State::Gone => {}
            State::Recorded => {
                table.push(path, entry.mode, entry.id, row_bits);
                from_index += 1;
            }
            State::Changed(mode) => to_hash.push(table.push(path, mode, [0; 20], row_bits)),
        }
    }
    for (upath, mode, ids) in untracked {
        bits.fill(0);
        for id in ids {
            set_bit(&mut bits, id);
        }
        to_hash.push(table.push(&upath, mode, [0; 20], &bits));
    }

    let ids = parallel::map(&to_hash, 4, |&row| {
        let rel = table.path(row);
        let path = path_bytes::join(root, rel).ok_or_else(|| HashError::Io {
            path: root.join(path_bytes::display(rel)),
            message: "the path cannot be represented on this platform".into(),
        })?;
        blob::blob_id(&path, table.files[row].mode)
    });
    for (&row, id) in to_hash.iter().zip(ids) {
        table.files[row].id = id?;
    }
    Ok(Collected {
        table,
        from_index,
        from_content: to_hash.len(),
    })
}

/// The tracked paths some pattern matches, with the patterns' bits; only
/// paths inside a scope are tried, in parallel chunks.
fn match_tracked(index: &GitIndex, patterns: &Patterns) -> Matched {
    let mut candidate = vec![false; index.entries.len()];
    for scope in &patterns.scopes {
        let skip = if scope.dir.is_empty() {
            0
        } else {
            scope.dir.len() + 1
        };
        for at in index.range_within(&scope.dir) {
            let name = index.path(at).get(skip..).unwrap_or_default();
            if scope.recursive || !name.contains(&b'/') {
                candidate[at] = true;
            }
        }
    }
    let candidates: Vec<usize> = (0..candidate.len()).filter(|&at| candidate[at]).collect();
    let words = patterns.texts.len().div_ceil(64).max(1);
    let chunk = 2048;
    let chunks: Vec<Range<usize>> = (0..candidates.len())
        .step_by(chunk)
        .map(|start| start..(start + chunk).min(candidates.len()))
        .collect();
    let parts = parallel::map(&chunks, 1, |range| {
        let mut part = Matched {
            entries: Vec::new(),
            bits: Vec::new(),
            words,
        };
        let mut ids = Vec::new();
        for &at in &candidates[range.clone()] {
            patterns.matches_into(index.path(at), &mut ids);
            if ids.is_empty() {
                continue;
            }
            part.entries.push(at);
            let row = part.bits.len();
            part.bits.resize(row + words, 0);
            for &id in &ids {
                set_bit(&mut part.bits[row..], id);
            }
        }
        part
    });
    let mut all = Matched {
        entries: Vec::with_capacity(candidates.len()),
        bits: Vec::with_capacity(candidates.len() * words),
        words,
    };
    for part in parts {
        all.entries.extend(part.entries);
        all.bits.extend(part.bits);
    }
    all
}
