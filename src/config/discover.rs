//! Finding the configuration: `--config PATH`, else `.cigen/` then
//! `cigen.yml` (or `cigen.yaml`, as `config.yaml` may stand for
//! `config.yml`) in the working directory or the nearest parent, stopping at
//! the repository root (the directory holding `.git`), as git finds
//! `.git`. Found paths are relative to the working directory, so what
//! cigen prints stays short. It only looks; `load` reads.

use std::path::{Path, PathBuf};

use crate::error::{ConfigError, Error, Result};

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
        if let Some(found) = found_in(&relative)? {
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

/// `.cigen/`, else `cigen.yml` or `cigen.yaml` in `dir`; both of the
/// latter is an error naming both, since only one would be read.
fn found_in(dir: &Path) -> Result<Option<PathBuf>> {
    let directory = dir.join(".cigen");
    if directory.exists() {
        return Ok(Some(directory));
    }
    let [yml, yaml] = ["cigen.yml", "cigen.yaml"].map(|name| dir.join(name));
    match (yml.exists(), yaml.exists()) {
        (true, true) => Err(ConfigError::new(
            &yaml,
            "(file)",
            format!(
                "both {} and {} exist: keep one of them",
                yml.display(),
                yaml.display()
            ),
        )
        .into()),
        (true, false) => Ok(Some(yml)),
        (false, true) => Ok(Some(yaml)),
        (false, false) => Ok(None),
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
