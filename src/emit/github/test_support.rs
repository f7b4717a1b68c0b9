//! Test helpers for the GitHub emitter's unit tests: a project built from
//! a `cigen.yml` text in a temporary directory (kept alive by the caller,
//! so errors can read the file back for their lines).

use tempfile::TempDir;

use crate::model::Project;

/// The project of `cigen.yml` = `text`, and the directory holding it.
pub(crate) fn project(text: &str) -> (TempDir, Project) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cigen.yml");
    std::fs::write(&path, text).expect("write");
    let loaded = crate::config::load(&path).expect("loads");
    let project = crate::model::build(&loaded).expect("builds");
    (dir, project)
}
