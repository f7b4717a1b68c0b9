//! What the caller hands the hash engine: one `HashInput` per hashed job
//! variant, and run-wide `HashOptions`. Plain data; the caller has already
//! rendered the job canonically and expanded `@group` references. Nothing
//! here touches the file system.

/// One hashed job variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashInput {
    /// Variant id, e.g. `build_app_image_amd64`; unique within one call.
    pub variant_id: String,
    /// Job id without the arch suffix, e.g. `build_app_image`.
    pub job_name: String,
    /// Architecture, e.g. `amd64`.
    pub arch: String,
    /// Canonical rendered job bytes (image, steps, env, resource class …).
    pub canonical_job: Vec<u8>,
    /// Source globs relative to the repository root, groups already expanded.
    pub patterns: Vec<String>,
    /// Variant ids of hashed upstream variants, all present in the same slice.
    pub upstream: Vec<String>,
    /// `(variant id, canonical job bytes)` of each unhashed job variant
    /// between this one and its hashed upstream variants, any order, ids
    /// unique: what those jobs do reaches this one, though they are never skipped.
    pub walked: Vec<(String, Vec<u8>)>,
    /// `(name, value)` of every pipeline value the job references
    /// (`pipeline.git.branch`, `pipeline.parameters.P`), any order, names
    /// unique: the value of this pipeline, not part of the job's text.
    pub values: Vec<(String, String)>,
}

/// Run-wide options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HashOptions {
    /// `hash_salt` from the config: any change invalidates every hash.
    pub salt: Option<String>,
}
