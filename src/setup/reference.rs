//! The git ref this pipeline runs for, from CircleCI's `CIRCLE_TAG` /
//! `CIRCLE_BRANCH`: what `certainty` reads filters against.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref {
    Branch(String),
    Tag(String),
    /// Neither variable set (not in CircleCI): a branch of unknown name.
    Unknown,
}

impl Ref {
    pub fn from_env() -> Ref {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        match (var("CIRCLE_TAG"), var("CIRCLE_BRANCH")) {
            (Some(tag), _) => Ref::Tag(tag),
            (None, Some(branch)) => Ref::Branch(branch),
            (None, None) => Ref::Unknown,
        }
    }

    pub fn is_tag(&self) -> bool {
        matches!(self, Ref::Tag(_))
    }
}
