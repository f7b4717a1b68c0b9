//! Runtime paths of the setup job, all under one root: `/tmp` by default,
//! moved by `CIGEN_TMP` (tests use it). The generated YAML always says
//! `/tmp`; only the cigen binary honours the variable.

use std::path::PathBuf;

pub(crate) const TMP_ENV: &str = "CIGEN_TMP";

#[derive(Debug, Clone)]
pub(crate) struct Paths {
    pub root: PathBuf,
}

impl Paths {
    pub(crate) fn from_env() -> Paths {
        let root = std::env::var_os(TMP_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/tmp"));
        Paths { root }
    }

    /// `setup_keys/<variant>/job-key`: `<job>-<arch>-<hash>`, what the job's own record step writes.
    pub(crate) fn job_key(&self, variant: &str) -> PathBuf {
        self.root.join("setup_keys").join(variant).join("job-key")
    }

    /// The marker a restored cache leaves for a variant whose inputs passed.
    pub(crate) fn marker(&self, hash: &str) -> PathBuf {
        self.root
            .join("cigen_job_exists")
            .join(format!("done_{hash}"))
    }

    pub(crate) fn skip_list(&self, workflow: &str) -> PathBuf {
        self.root.join("skip").join(format!("{workflow}.txt"))
    }

    /// What `cigen setup` hands to `cigen continue`.
    pub(crate) fn state(&self) -> PathBuf {
        self.root.join("cigen").join("state.json")
    }

    pub(crate) fn continuation(&self) -> PathBuf {
        self.root.join("cigen").join("continuation.yml")
    }

    pub(crate) fn request(&self) -> PathBuf {
        self.root.join("cigen").join("continue-request.json")
    }
}
