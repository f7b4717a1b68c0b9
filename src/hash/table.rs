//! The matched-file table: every distinct file matched by at least one
//! pattern, as `(path, mode, object id)` in byte order of path, each with a
//! bit set of the patterns that matched it. Paths live in one arena and bit
//! sets in one flat vector, so 100,000 files cost a handful of allocations.
//! It stores and answers; deciding ids is `files.rs`'s job.

use super::blob::ObjectId;

/// One row of the table; its path is `FileTable::path(row)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileRecord {
    start: usize,
    end: usize,
    pub mode: u32,
    pub id: ObjectId,
}

/// All matched files plus, per file, a bit set of the matching patterns.
pub(crate) struct FileTable {
    paths: Vec<u8>,
    pub files: Vec<FileRecord>,
    /// `words` u64s per file, file-major.
    bits: Vec<u64>,
    words: usize,
}

impl FileTable {
    /// An empty table for `pattern_count` patterns.
    pub(super) fn new(pattern_count: usize, capacity: usize) -> FileTable {
        let words = pattern_count.div_ceil(64).max(1);
        FileTable {
            paths: Vec::new(),
            files: Vec::with_capacity(capacity),
            bits: Vec::with_capacity(capacity * words),
            words,
        }
    }

    /// u64 words per bit set.
    pub(super) fn words(&self) -> usize {
        self.words
    }

    /// Appends a row; `bits` must be `words()` long. Rows must arrive in
    /// byte order of path.
    pub(super) fn push(&mut self, path: &[u8], mode: u32, id: ObjectId, bits: &[u64]) -> usize {
        let start = self.paths.len();
        self.paths.extend_from_slice(path);
        self.files.push(FileRecord {
            start,
            end: self.paths.len(),
            mode,
            id,
        });
        self.bits.extend_from_slice(bits);
        self.files.len() - 1
    }

    pub(super) fn path(&self, row: usize) -> &[u8] {
        let file = &self.files[row];
        &self.paths[file.start..file.end]
    }

    /// For every pattern, the set of rows it matched (a bit per row):
    /// the transpose of the per-row bit sets, built in one pass.
    pub(super) fn rows_by_pattern(&self, pattern_count: usize) -> RowSets {
        let row_words = self.files.len().div_ceil(64);
        let mut per_pattern = vec![vec![0u64; row_words]; pattern_count];
        for (row, bits) in self.bits.chunks(self.words).enumerate() {
            for (word_at, &word) in bits.iter().enumerate() {
                let mut rest = word;
                while rest != 0 {
                    let id = word_at * 64 + rest.trailing_zeros() as usize;
                    if let Some(rows) = per_pattern.get_mut(id) {
                        set_bit(rows, row);
                    }
                    rest &= rest - 1;
                }
            }
        }
        RowSets {
            per_pattern,
            row_words,
        }
    }
}

/// Rows matched per pattern; see `FileTable::rows_by_pattern`.
pub(crate) struct RowSets {
    per_pattern: Vec<Vec<u64>>,
    row_words: usize,
}

impl RowSets {
    /// How many rows pattern `id` matched.
    pub(super) fn hits(&self, id: usize) -> usize {
        self.per_pattern
            .get(id)
            .map_or(0, |rows| rows.iter().map(|w| w.count_ones() as usize).sum())
    }

    /// The rows matched by any of `ids`, ascending (so in path order).
    pub(super) fn union(&self, ids: &[usize]) -> Vec<usize> {
        let mut any = vec![0u64; self.row_words];
        for rows in ids.iter().filter_map(|&id| self.per_pattern.get(id)) {
            any.iter_mut().zip(rows).for_each(|(a, r)| *a |= r);
        }
        let mut out = Vec::new();
        for (word_at, &word) in any.iter().enumerate() {
            let mut rest = word;
            while rest != 0 {
                out.push(word_at * 64 + rest.trailing_zeros() as usize);
                rest &= rest - 1;
            }
        }
        out
    }
}

/// Sets bit `id` of a bit set.
pub(crate) fn set_bit(bits: &mut [u64], id: usize) {
    if let Some(word) = bits.get_mut(id / 64) {
        *word |= 1 << (id % 64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_paths_and_patterns_find_their_rows() {
        let mut table = FileTable::new(70, 2);
        assert_eq!(table.words(), 2);
        let mut bits = vec![0; 2];
        set_bit(&mut bits, 3);
        set_bit(&mut bits, 69);
        table.push(b"a.rb", 0o100644, [1; 20], &bits);
        table.push(b"b/c.rb", 0o100755, [2; 20], &[1 << 10, 0]);
        assert_eq!(table.path(1), b"b/c.rb");
        let rows = table.rows_by_pattern(70);
        assert_eq!(rows.union(&[69]), vec![0]);
        assert_eq!(rows.union(&[3, 10, 69]), vec![0, 1]);
        assert_eq!(rows.union(&[0, 99]), Vec::<usize>::new());
        assert_eq!(
            (rows.hits(3), rows.hits(69), rows.hits(10), rows.hits(0)),
            (1, 1, 1, 0)
        );
    }
}
