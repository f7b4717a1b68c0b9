//! File writes that are never half done: a temp file in the target's
//! directory, flushed, then renamed over the target.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|err| Error::io(dir, &err))?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|err| Error::io(dir, &err))?;
    file.write_all(bytes).map_err(|err| Error::io(path, &err))?;
    file.as_file()
        .sync_all()
        .map_err(|err| Error::io(path, &err))?;
    file.persist(path)
        .map_err(|err| Error::io(path, &err.error))?;
    Ok(())
}

/// A file's text, or `None` when it does not exist.
pub fn read_optional(path: &Path) -> Result<Option<String>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Error::io(path, &err)),
    }
}
