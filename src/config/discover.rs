//! Finding the configuration: `--config PATH`, else `.cigen/` then
//! `cigen.yml` in the working directory or the nearest parent, stopping at
//! the repository root (the directory holding `.git`), as git finds
//! `.git`. Found paths are relative to the working directory, so what
//! cigen prints stays short. It only looks; `load` reads.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

const NAMES: [&str; 2] = [".cigen", "cigen.yml"];

pub(crate) fn locate(config: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = config {
        if path.exists() {
            return Ok(path.to_path_buf());
        }
        return Err(Error::Usage(format!(
            "config not found: {}",
            path.display()
        )));
    }
    let cwd = std::env::current_dir().map_err(|err| Error::io(Path::new("."), err))?;
    let mut relative = PathBuf::new();
    let mut dir = cwd.as_path();
    loop {
        if let Some(found) = NAMES
            .iter()
            .map(|name| relative.join(name))
            .find(|p| p.exists())
        {
            return Ok(found);
        }
        if dir.join(".git").exists() {
            return Err(not_found(&cwd, Some(dir)));
        }
        match dir.parent() {
            Some(parent) => {
                dir = parent;
                relative.push("..");
            }
            None => return Err(not_found(&cwd, None)),
        }
    }
}

fn not_found(cwd: &Path, repository: Option<&Path>) -> Error {
    let place = match repository {
        Some(root) if root == cwd => format!("in {} (the repository root)", cwd.display()),
        Some(root) => format!(
            "in {} or its parents up to the repository root {}",
            cwd.display(),
            root.display()
        ),
        None => format!(
            "in {} or any parent directory (not inside a git repository)",
            cwd.display()
        ),
    };
    Error::Usage(format!(
        "no configuration found: no `.cigen/` directory or `cigen.yml` {place}; pass --config PATH to use another"
    ))
}
