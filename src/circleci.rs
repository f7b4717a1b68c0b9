//! The names cigen itself gives to things in CircleCI configuration: its
//! orb and the alias it takes, the setup image, the jobs it adds
//! (`cigen_setup`, `cigen_approve`) and the `cigen_skip_cache` pipeline
//! parameter. `model` reads them to validate and reserve, `plan` to refuse
//! user jobs of the same id, `emit` to render. Constants and one pure
//! check only; nothing here reads configuration.

/// The image the setup job and OR-dependency shims run on by default.
pub(crate) const DEFAULT_SETUP_IMAGE: &str =
    concat!("docspringcom/cigen:", env!("CARGO_PKG_VERSION"));
/// The orb `setup.use_orb` invokes, the alias it takes, and its default
/// version (this crate's).
pub(crate) const ORB: &str = "docspring/cigen";
pub(crate) const ORB_ALIAS: &str = "cigen";
pub(crate) const DEFAULT_ORB_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Job names cigen defines itself.
pub(crate) const SETUP_JOB: &str = "cigen_setup";
pub(crate) const APPROVE_JOB: &str = "cigen_approve";
/// Pipeline parameter that forces every job to run (no skip).
pub(crate) const SKIP_CACHE_PARAMETER: &str = "cigen_skip_cache";

/// The tag of a `docspringcom/cigen:<tag>` image: what the orb's executor
/// takes.
pub(crate) fn setup_image_tag(image: &str) -> Option<&str> {
    image
        .strip_prefix("docspringcom/cigen:")
        .filter(|tag| !tag.is_empty())
}

#[cfg(test)]
mod tests {
    use super::setup_image_tag;

    #[test]
    fn the_orb_executor_takes_only_a_tag_of_the_cigen_image() {
        assert_eq!(setup_image_tag("docspringcom/cigen:0.1.0"), Some("0.1.0"));
        assert_eq!(setup_image_tag("docspringcom/cigen:"), None);
        assert_eq!(setup_image_tag("docspringcom/cigen"), None);
        assert_eq!(setup_image_tag("cimg/base:current"), None);
        assert_eq!(setup_image_tag("mirror.io/docspringcom/cigen:1"), None);
    }
}
