//! `cigen approve --job NAME`: approves an approval job of the running
//! workflow (`CIRCLE_WORKFLOW_ID`) through CircleCI's API with
//! `CIRCLE_TOKEN`. This is what OR-dependency shim jobs run; a gate that is
//! already approved (or no longer pending) counts as success.

use crate::error::{Error, Result};

pub(super) fn run(job: &str, api_url: Option<&str>) -> Result<()> {
    let token = super::client::secret("CIRCLE_TOKEN").map_err(|err| {
        Error::Usage(format!(
            "{err}\n  hint: the OR-dependency shims get `CIRCLE_TOKEN` from the context(s) in `setup.approve_context` (a CircleCI personal API token)"
        ))
    })?;
    let workflow = super::client::required_env("CIRCLE_WORKFLOW_ID")?;
    let client = super::client::build(api_url)?;
    let outcome = client
        .approve_job(&token, &workflow, job)
        .map_err(|source| Error::Api {
            doing: None,
            source,
        })?;
    crate::outln!("{outcome}");
    Ok(())
}
