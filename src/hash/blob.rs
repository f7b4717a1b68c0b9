//! Git object ids computed from the work tree with `git hash-object`
//! semantics: a regular file is the blob `blob <len>\0<bytes>` of its raw
//! bytes, a symlink the blob of its target path, both SHA-1. No clean or
//! smudge filter, `core.autocrlf` or `ident` is applied: ids differ from
//! git's only where such filters are configured. This file also maps file
//! metadata to git's mode numbers; it does not decide *which* files to hash.

use std::fs::Metadata;
use std::path::Path;

use git2::{ObjectType, Oid};

use super::error::HashError;

/// A raw SHA-1 object id.
pub(crate) type ObjectId = [u8; 20];

pub(crate) const MODE_FILE: u32 = 0o100644;
pub(crate) const MODE_EXECUTABLE: u32 = 0o100755;
pub(crate) const MODE_SYMLINK: u32 = 0o120000;
pub(crate) const MODE_GITLINK: u32 = 0o160000;

/// Git's mode for a file with this `lstat` metadata, as `git add` would
/// record it (executable iff the owner may execute), or `None` for
/// anything git would not store as a blob (directories, sockets …).
pub(crate) fn git_mode(meta: &Metadata) -> Option<u32> {
    let kind = meta.file_type();
    if kind.is_symlink() {
        Some(MODE_SYMLINK)
    } else if kind.is_file() {
        Some(if is_owner_executable(meta) {
            MODE_EXECUTABLE
        } else {
            MODE_FILE
        })
    } else {
        None
    }
}

#[cfg(unix)]
fn is_owner_executable(meta: &Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o100 != 0
}

#[cfg(not(unix))]
fn is_owner_executable(_meta: &Metadata) -> bool {
    false
}

/// The blob id of the file at `path`, read as `mode` says: a symlink's
/// target, or a regular file's bytes.
pub(crate) fn blob_id(path: &Path, mode: u32) -> Result<ObjectId, HashError> {
    let oid = if mode == MODE_SYMLINK {
        let target = std::fs::read_link(path).map_err(|err| HashError::io(path, &err))?;
        let bytes =
            super::path_bytes::os_to_bytes(target.as_os_str()).ok_or_else(|| HashError::Io {
                path: path.to_path_buf(),
                message: "symlink target is not valid UTF-8 on this platform".into(),
            })?;
        Oid::hash_object(ObjectType::Blob, &bytes)
    } else {
        Oid::hash_file(ObjectType::Blob, path)
    };
    let oid = oid.map_err(|err| HashError::Io {
        path: path.to_path_buf(),
        message: err.message().to_string(),
    })?;
    to_object_id(oid)
}

/// Copies a libgit2 id into a fixed SHA-1 array.
pub(crate) fn to_object_id(oid: Oid) -> Result<ObjectId, HashError> {
    ObjectId::try_from(oid.as_bytes())
        .map_err(|_| HashError::Git("only SHA-1 repositories are supported".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(id: &ObjectId) -> String {
        id.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn blob_ids_match_well_known_git_ids() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let empty = dir.path().join("empty");
        std::fs::write(&empty, b"")?;
        assert_eq!(
            hex(&blob_id(&empty, MODE_FILE)?),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        );
        let hello = dir.path().join("hello");
        std::fs::write(&hello, b"hello\n")?;
        assert_eq!(
            hex(&blob_id(&hello, MODE_FILE)?),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_hashes_as_its_target_path() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("hello"), b"hello\n")?;
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("hello", &link)?;
        let meta = std::fs::symlink_metadata(&link)?;
        assert_eq!(git_mode(&meta), Some(MODE_SYMLINK));
        // `printf hello | git hash-object --stdin`
        assert_eq!(
            hex(&blob_id(&link, MODE_SYMLINK)?),
            "b6fc4c620b67d95f953a5c1c1230aaab5db5a1b0"
        );
        Ok(())
    }
}
