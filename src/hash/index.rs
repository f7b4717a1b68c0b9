//! The git index (`.git/index`, format versions 2–4), read once per run:
//! every tracked path with its recorded mode, object id and stat data, plus
//! the index file's own mtime for the racy-entry rule. Parsed here rather
//! than through git2's `Index`: on the 100,000-entry benchmark repository
//! git2 took ~70 ms to open and copy the entries out, this parser ~7 ms.
//! The trailing SHA-1 checksum is not verified, as git itself does not with
//! `index.skipHash`: hashing every byte of a large index would cost more
//! than parsing it, on the setup job's critical path. So bytes damaged
//! inside an entry go unnoticed, but every read is bounds-checked: a
//! truncated or malformed index is an error, never a panic. Split and
//! sparse indexes are refused with a clear message. Deciding whether an
//! entry can be trusted is `freshness.rs`'s job.

use std::path::Path;

use super::blob::{MODE_GITLINK, ObjectId};
use super::error::HashError;
use super::freshness::{Stamp, StatData};

/// How a tracked path's id may be obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tracking {
    /// Trust the recorded id if the stat data still matches the file.
    Normal,
    /// A submodule: the recorded commit id is the content, always.
    Gitlink,
    /// `assume-unchanged` or `skip-worktree`: git trusts the recorded id
    /// without looking at the file, and so do we.
    Trusted,
    /// Conflicted (stages 1–3) or intent-to-add: the index holds no usable
    /// id, hash whatever is in the work tree.
    FromContent,
}

/// One tracked path; its bytes live in `GitIndex::paths`.
#[derive(Debug, Clone)]
pub(crate) struct TrackedEntry {
    start: usize,
    end: usize,
    pub mode: u32,
    pub id: ObjectId,
    pub stat: StatData,
    pub tracking: Tracking,
}

/// All tracked paths, sorted by path bytes, one entry per path.
#[derive(Debug, Default)]
pub(crate) struct GitIndex {
    /// Every path's bytes, back to back (one allocation, not 100,000).
    paths: Vec<u8>,
    pub entries: Vec<TrackedEntry>,
    /// The index file's mtime: entries not strictly older are racy.
    pub written: Option<Stamp>,
}

const FLAG_ASSUME_VALID: u16 = 0x8000;
const FLAG_EXTENDED: u16 = 0x4000;
const FLAG_STAGE_MASK: u16 = 0x3000;
const FLAG_EXT_INTENT_TO_ADD: u16 = 1 << 13;
const FLAG_EXT_SKIP_WORKTREE: u16 = 1 << 14;
const MODE_DIRECTORY: u32 = 0o040000;

impl GitIndex {
    /// Reads the index file at `path`; a missing file is an empty index.
    pub(super) fn read(path: &Path) -> Result<GitIndex, HashError> {
        let mut file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(GitIndex::default());
            }
            Err(err) => return Err(HashError::io(path, &err)),
        };
        // The mtime comes from the same open file as the bytes.
        let meta = file.metadata().map_err(|err| HashError::io(path, &err))?;
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        std::io::Read::read_to_end(&mut file, &mut bytes)
            .map_err(|err| HashError::io(path, &err))?;
        let mut index = parse(bytes).map_err(|message| {
            HashError::Git(format!(
                "cannot read the git index `{}`: {message}",
                path.display()
            ))
        })?;
        index.written = Some(Stamp::modified(&meta));
        Ok(index)
    }

    /// The path of entry `at`.
    pub(super) fn path(&self, at: usize) -> &[u8] {
        self.path_of(&self.entries[at])
    }

    fn path_of(&self, entry: &TrackedEntry) -> &[u8] {
        self.paths.get(entry.start..entry.end).unwrap_or_default()
    }

    /// Git writes entries sorted; sort anyway so `find` cannot be wrong.
    fn sort_entries(&mut self) {
        let sorted = self
            .entries
            .windows(2)
            .all(|w| self.path_of(&w[0]) < self.path_of(&w[1]));
        if !sorted {
            let mut entries = std::mem::take(&mut self.entries);
            entries.sort_by(|a, b| self.path_of(a).cmp(self.path_of(b)));
            entries.dedup_by(|later, earlier| self.path_of(later) == self.path_of(earlier));
            self.entries = entries;
        }
    }

    /// Position of `path` among the entries, if tracked.
    #[cfg(test)]
    pub(super) fn find(&self, path: &[u8]) -> Option<usize> {
        self.entries
            .binary_search_by(|entry| self.path_of(entry).cmp(path))
            .ok()
    }

    /// End of the run of entries from `from` whose paths start with `prefix`.
    pub(super) fn end_of_prefix(&self, from: usize, end: usize, prefix: &[u8]) -> usize {
        from + self.entries[from..end].partition_point(|e| self.path_of(e).starts_with(prefix))
    }

    /// The range of entries whose path lies below directory `dir` ("" = all).
    pub(super) fn range_within(&self, dir: &[u8]) -> std::ops::Range<usize> {
        if dir.is_empty() {
            return 0..self.entries.len();
        }
        let mut first = dir.to_vec();
        first.push(b'/');
        let mut past = dir.to_vec();
        past.push(b'/' + 1);
        let lo = self
            .entries
            .partition_point(|e| self.path_of(e) < first.as_slice());
        let hi = self
            .entries
            .partition_point(|e| self.path_of(e) < past.as_slice());
        lo..hi.max(lo)
    }
}

/// A bounds-checked reader over the index bytes.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let Some(end) = end else {
            return Err(format!("truncated at byte {}", self.at));
        };
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn until_nul(&mut self) -> Result<&'a [u8], String> {
        let rest = &self.bytes[self.at..];
        let Some(len) = rest.iter().position(|&b| b == 0) else {
            return Err(format!("unterminated path at byte {}", self.at));
        };
        let out = self.take(len)?;
        self.at += 1;
        Ok(out)
    }

    /// Git's offset varint (index v4 path compression).
    fn varint(&mut self) -> Result<usize, String> {
        let mut byte = self.take(1)?[0];
        let mut value = usize::from(byte & 0x7f);
        while byte & 0x80 != 0 {
            byte = self.take(1)?[0];
            value = value
                .checked_add(1)
                .and_then(|v| v.checked_mul(128))
                .and_then(|v| v.checked_add(usize::from(byte & 0x7f)))
                .ok_or("path-compression length overflows")?;
        }
        Ok(value)
    }
}

/// Parses the index bytes into entries sorted by path, conflict stages of
/// one path folded into a single `FromContent` entry. Paths of versions 2
/// and 3 stay where they are in `bytes`; version 4 rebuilds them.
fn parse(bytes: Vec<u8>) -> Result<GitIndex, String> {
    let mut cur = Cursor {
        bytes: &bytes,
        at: 0,
    };
    let (version, count) = header(&mut cur)?;
    let mut out: Vec<TrackedEntry> = Vec::with_capacity(count.min(bytes.len() / 62));
    // Version 4 only: the decompressed paths.
    let mut rebuilt: Vec<u8> = Vec::new();
    let mut previous = 0..0;
    for _ in 0..count {
        let entry = read_entry(&mut cur, version, &mut rebuilt, &previous)?;
        let (start, end) = (entry.start, entry.end);
        let paths: &[u8] = if version == 4 { &rebuilt } else { &bytes };
        if let Some(last) = out.last_mut()
            && paths[last.start..last.end] == paths[start..end]
        {
            // Another conflict stage of the same path.
            last.tracking = Tracking::FromContent;
            rebuilt.truncate(if version == 4 { start } else { 0 });
            previous = last.start..last.end;
            continue;
        }
        previous = start..end;
        out.push(entry);
    }
    check_extensions(&mut cur)?;
    let mut index = GitIndex {
        paths: if version == 4 { rebuilt } else { bytes },
        entries: out,
        written: None,
    };
    index.sort_entries();
    Ok(index)
}

/// The signature, a supported version (2–4) and the entry count.
fn header(cur: &mut Cursor<'_>) -> Result<(u32, usize), String> {
    if cur.take(4)? != b"DIRC" {
        return Err("not an index file (no DIRC signature)".into());
    }
    let version = cur.u32()?;
    if !(2..=4).contains(&version) {
        return Err(format!("unsupported index version {version}"));
    }
    let count = usize::try_from(cur.u32()?).map_err(|_| "too many entries")?;
    Ok((version, count))
}

/// The entry at the cursor. Its path is a range of the index bytes, or for
/// version 4 of `rebuilt`, where it is rebuilt from `previous`, the path
/// of the entry before it.
fn read_entry(
    cur: &mut Cursor<'_>,
    version: u32,
    rebuilt: &mut Vec<u8>,
    previous: &std::ops::Range<usize>,
) -> Result<TrackedEntry, String> {
    let entry_start = cur.at;
    let fixed = cur.take(62)?;
    let word = |i: usize| {
        u32::from_be_bytes([
            fixed[4 * i],
            fixed[4 * i + 1],
            fixed[4 * i + 2],
            fixed[4 * i + 3],
        ])
    };
    let id = ObjectId::try_from(&fixed[40..60]).map_err(|_| "short object id")?;
    let flags = u16::from_be_bytes([fixed[60], fixed[61]]);
    let extended = if version >= 3 && flags & FLAG_EXTENDED != 0 {
        cur.u16()?
    } else {
        0
    };
    let (start, end) = if version == 4 {
        let strip = cur.varint()?;
        let keep = previous
            .len()
            .checked_sub(strip)
            .ok_or("bad path compression")?;
        let start = rebuilt.len();
        rebuilt.extend_from_within(previous.start..previous.start + keep);
        rebuilt.extend_from_slice(cur.until_nul()?);
        (start, rebuilt.len())
    } else {
        let start = cur.at;
        let name = cur.until_nul()?;
        // Entries are NUL-padded to a multiple of 8 bytes.
        let used = cur.at - entry_start;
        cur.take((8 - used % 8) % 8)?;
        (start, start + name.len())
    };
    let mode = word(6);
    if mode == MODE_DIRECTORY {
        return Err(
            "this is a sparse index; run `git sparse-checkout disable` or set `index.sparse=false`"
                .into(),
        );
    }
    Ok(TrackedEntry {
        start,
        end,
        mode,
        id,
        stat: StatData {
            ctime: Stamp {
                sec: word(0),
                nsec: word(1),
            },
            mtime: Stamp {
                sec: word(2),
                nsec: word(3),
            },
            ino: word(5),
            uid: word(7),
            gid: word(8),
            size: word(9),
        },
        tracking: tracking(flags, extended, mode),
    })
}

/// How an entry's id may be obtained, from its flags and mode.
fn tracking(flags: u16, extended: u16, mode: u32) -> Tracking {
    if flags & FLAG_STAGE_MASK != 0 || extended & FLAG_EXT_INTENT_TO_ADD != 0 {
        Tracking::FromContent
    } else if mode == MODE_GITLINK {
        Tracking::Gitlink
    } else if flags & FLAG_ASSUME_VALID != 0 || extended & FLAG_EXT_SKIP_WORKTREE != 0 {
        Tracking::Trusted
    } else {
        Tracking::Normal
    }
}

/// Refuses extensions that change what the entries mean (split index,
/// sparse directories, any unknown mandatory one); skips the others.
fn check_extensions(cur: &mut Cursor<'_>) -> Result<(), String> {
    const CHECKSUM: usize = 20;
    while cur.bytes.len().saturating_sub(cur.at) > CHECKSUM {
        let signature = cur.take(4)?;
        let size = usize::try_from(cur.u32()?).map_err(|_| "extension too large")?;
        match signature {
            b"link" => {
                return Err(
                    "this is a split index; run `git update-index --no-split-index`".into(),
                );
            }
            b"sdir" => {
                return Err("this is a sparse index; set `index.sparse=false`".into());
            }
            [first, ..] if first.is_ascii_lowercase() => {
                return Err(format!(
                    "unknown mandatory extension `{}`",
                    String::from_utf8_lossy(signature)
                ));
            }
            _ => {
                cur.take(size)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
