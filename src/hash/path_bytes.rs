//! Conversions between repository-relative paths as bytes (how git stores
//! them, `/`-separated, not necessarily UTF-8) and the platform's `Path`.
//! On Unix every byte string is a valid path; elsewhere non-UTF-8 paths are
//! reported as `None` and the caller turns that into a clear error.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The bytes of an OS string, or `None` where the platform cannot say.
#[cfg(unix)]
pub(crate) fn os_to_bytes(s: &OsStr) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    Some(s.as_bytes().to_vec())
}

#[cfg(not(unix))]
pub(crate) fn os_to_bytes(s: &OsStr) -> Option<Vec<u8>> {
    s.to_str().map(|s| s.replace('\\', "/").into_bytes())
}

/// The bytes of an owned OS string, without copying on Unix.
#[cfg(unix)]
pub(crate) fn os_into_bytes(s: std::ffi::OsString) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStringExt;
    Some(s.into_vec())
}

#[cfg(not(unix))]
pub(crate) fn os_into_bytes(s: std::ffi::OsString) -> Option<Vec<u8>> {
    os_to_bytes(&s)
}

/// `root` joined with the relative byte path `rel`.
#[cfg(unix)]
pub(crate) fn join(root: &Path, rel: &[u8]) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    Some(root.join(OsStr::from_bytes(rel)))
}

#[cfg(not(unix))]
pub(crate) fn join(root: &Path, rel: &[u8]) -> Option<PathBuf> {
    std::str::from_utf8(rel).ok().map(|rel| root.join(rel))
}

/// A byte path for messages: lossy, never fails.
pub(crate) fn display(rel: &[u8]) -> String {
    String::from_utf8_lossy(rel).into_owned()
}
