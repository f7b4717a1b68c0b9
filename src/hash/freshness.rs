//! Whether a tracked file's recorded object id can be trusted without
//! reading the file: git's stat check (mtime, ctime, size, inode, mode,
//! uid, gid; device is ignored, as git does by default) plus the racy-entry
//! rule (an entry whose mtime is not strictly older than the index file
//! itself may have changed within the timestamp's granularity, so its
//! content is hashed). Input: recorded `StatData` and fresh `lstat`
//! metadata; output: a yes/no. Pure: it never reads a file.

use std::fs::Metadata;

use super::blob::git_mode;

/// A file time as git records it: seconds truncated to 32 bits, nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub sec: u32,
    pub nsec: u32,
}

/// The stat fields git keeps per index entry (32-bit, as git stores them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StatData {
    pub ctime: Stamp,
    pub mtime: Stamp,
    pub ino: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u32,
}

impl Stamp {
    /// From seconds as `lstat` reports them (signed, 64 bits) and
    /// nanoseconds; git's index keeps the low 32 bits of the seconds.
    pub(super) fn new(sec: i64, nsec: u32) -> Stamp {
        // Truncation is deliberate: git stores the low 32 bits.
        Stamp {
            sec: sec as u32,
            nsec,
        }
    }

    /// The modification time of `meta`.
    #[cfg(unix)]
    pub(super) fn modified(meta: &Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp::new(meta.mtime(), u32::try_from(meta.mtime_nsec()).unwrap_or(0))
    }

    #[cfg(not(unix))]
    pub(super) fn modified(meta: &Metadata) -> Stamp {
        let since = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .unwrap_or_default();
        Stamp::new(since.as_secs() as i64, since.subsec_nanos())
    }

    /// Equal as git compares them: seconds always; nanoseconds only when
    /// the recorded side has them (a writer without sub-second times
    /// stores 0, and git itself compares seconds only by default).
    fn matches(self, actual: Stamp) -> bool {
        self.sec == actual.sec && (self.nsec == 0 || self.nsec == actual.nsec)
    }

    /// `self` is strictly older than `other`, counting nanoseconds only
    /// when both sides have them; unknown sub-seconds count as "not older".
    fn is_older_than(self, other: Stamp) -> bool {
        if self.nsec == 0 || other.nsec == 0 {
            self.sec < other.sec
        } else {
            (self.sec, self.nsec) < (other.sec, other.nsec)
        }
    }
}

/// Racy: modified in the same instant the index was written (or later),
/// so an edit after the stat data was taken may not show in it.
pub(crate) fn is_racy(recorded_mtime: Stamp, index_written: Option<Stamp>) -> bool {
    match index_written {
        Some(written) => !recorded_mtime.is_older_than(written),
        None => true,
    }
}

/// True when the file described by `meta` still matches what the index
/// recorded (`recorded`, `recorded_mode`) and the entry is not racy: then
/// the recorded object id is the file's id.
#[cfg(unix)]
pub(crate) fn is_fresh(
    recorded: &StatData,
    recorded_mode: u32,
    meta: &Metadata,
    index_written: Option<Stamp>,
) -> bool {
    use std::os::unix::fs::MetadataExt;
    let ctime = Stamp::new(meta.ctime(), u32::try_from(meta.ctime_nsec()).unwrap_or(0));
    git_mode(meta) == Some(recorded_mode)
        && recorded.mtime.matches(Stamp::modified(meta))
        && recorded.ctime.matches(ctime)
        && recorded.size == meta.size() as u32
        && recorded.ino == meta.ino() as u32
        && recorded.uid == meta.uid()
        && recorded.gid == meta.gid()
        && !is_racy(recorded.mtime, index_written)
}

/// Without Unix stat data nothing can be trusted: every file is hashed.
#[cfg(not(unix))]
pub(crate) fn is_fresh(
    _recorded: &StatData,
    _recorded_mode: u32,
    _meta: &Metadata,
    _index_written: Option<Stamp>,
) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(sec: u32, nsec: u32) -> Stamp {
        Stamp { sec, nsec }
    }

    #[test]
    fn an_entry_is_racy_unless_strictly_older_than_the_index() {
        let index = Some(at(100, 500));
        assert!(!is_racy(at(99, 900), index));
        assert!(!is_racy(at(100, 499), index));
        assert!(is_racy(at(100, 500), index));
        assert!(is_racy(at(100, 501), index));
        assert!(is_racy(at(101, 0), index));
        // without sub-second data, the same second is racy
        assert!(is_racy(at(100, 0), index));
        assert!(is_racy(at(100, 499), Some(at(100, 0))));
        assert!(!is_racy(at(99, 0), Some(at(100, 0))));
        assert!(is_racy(at(1, 0), None));
    }

    #[test]
    fn recorded_nanoseconds_are_compared_only_when_present() {
        assert!(at(5, 0).matches(at(5, 123)));
        assert!(at(5, 123).matches(at(5, 123)));
        assert!(!at(5, 123).matches(at(5, 124)));
        assert!(!at(5, 0).matches(at(6, 0)));
    }

    #[cfg(unix)]
    #[test]
    fn fresh_only_when_every_stat_field_matches() -> Result<(), Box<dyn std::error::Error>> {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("f");
        std::fs::write(&path, b"abc")?;
        let meta = std::fs::symlink_metadata(&path)?;
        let recorded = StatData {
            ctime: Stamp::new(meta.ctime(), meta.ctime_nsec() as u32),
            mtime: Stamp::modified(&meta),
            ino: meta.ino() as u32,
            uid: meta.uid(),
            gid: meta.gid(),
            size: 3,
        };
        let later = Some(at(recorded.mtime.sec + 1, 1));
        assert!(is_fresh(&recorded, 0o100644, &meta, later));
        assert!(!is_fresh(&recorded, 0o100755, &meta, later));
        assert!(!is_fresh(
            &StatData {
                size: 4,
                ..recorded
            },
            0o100644,
            &meta,
            later
        ));
        assert!(!is_fresh(
            &StatData {
                ino: recorded.ino ^ 1,
                ..recorded
            },
            0o100644,
            &meta,
            later
        ));
        assert!(!is_fresh(&recorded, 0o100644, &meta, Some(recorded.mtime)));
        Ok(())
    }
}
