//! File writes that are never half done: a temp file in the target's
//! directory, flushed, then renamed over the target.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::error::{Error, Result};

pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|err| Error::io(dir, err))?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|err| Error::io(dir, err))?;
    file.write_all(bytes).map_err(|err| Error::io(path, err))?;
    // Temp files are created 0600; keep the target's mode, or make an ordinary file.
    let permissions = match std::fs::metadata(path) {
        Ok(meta) => meta.permissions(),
        Err(_) => std::fs::Permissions::from_mode(0o644),
    };
    file.as_file()
        .set_permissions(permissions)
        .map_err(|err| Error::io(path, err))?;
    file.as_file()
        .sync_all()
        .map_err(|err| Error::io(path, err))?;
    file.persist(path)
        .map_err(|err| Error::io(path, err.error))?;
    Ok(())
}

/// A file's text, or `None` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<String>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Error::io(path, err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_files_with_ordinary_permissions() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("out/config.yml");
        write_atomic(&path, b"a: 1\n").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"a: 1\n");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o664)).expect("chmod");
        write_atomic(&path, b"a: 2\n").expect("write");
        assert_eq!(
            std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777,
            0o664
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("out"))
                .expect("ls")
                .count(),
            1,
            "no temp file left"
        );
    }
}
