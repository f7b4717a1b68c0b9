//! Job hashes: `H(V)` for every hashed job variant, the value that decides
//! whether a job's exact inputs already passed (DESIGN §3). Input: the
//! repository root, one `HashInput` per variant, `HashOptions`; output: a
//! `HashReport`. This is the single code path behind `cigen hash`,
//! `cigen setup` and `cigen generate`, so they can never disagree. It reads
//! the work tree and `.git/index` and never writes anything.
//!
//! # How files are found and identified
//!
//! Inside a git work tree (`root` holds `.git`), `.git/index` is read once
//! (parsed here, versions 2–4; split and sparse indexes are refused with a
//! hint). A tracked file whose stat data (mtime, ctime, size, inode, mode,
//! uid, gid — device is ignored, as git does) still matches its entry, and
//! whose entry is strictly older than the index file itself (racy-git
//! rule), keeps the recorded blob id. Anything else — dirty, racy,
//! conflicted, intent-to-add, untracked-not-ignored — is hashed from
//! content with `git hash-object` semantics: SHA-1 of `blob <len>\0<bytes>`,
//! a symlink as its target path (mode 120000). No clean/smudge filter,
//! `core.autocrlf` or `ident` is applied, so ids differ from git's only
//! where such filters are configured; `core.fileMode` is taken as true.
//! Deleted tracked files drop out; submodules (mode 160000) contribute the
//! commit id recorded in the index; `assume-unchanged` and `skip-worktree`
//! entries are trusted as git trusts them.
//!
//! One walk visits only the directories a pattern can reach (the literal
//! directory prefix of each glob): it `lstat`s the matched tracked files
//! and finds the untracked ones, honouring `.gitignore` files,
//! `.git/info/exclude` and the global excludes file (`core.excludesFile` in
//! the user's git config, or `~/.config/git/ignore`; not the repository's
//! own config). It never enters `.git`, submodules or nested repositories,
//! and never follows symlinks. Outside a work tree the same walk lists
//! every not-ignored file and all ids come from content, so a plain copy of
//! a checkout hashes exactly like the checkout (submodules excepted: a
//! copy has no gitlink to record).
//!
//! Patterns are globs relative to the root (`*`, `?`, `[..]`, `{a,b}`,
//! `**`; `*` does not cross `/`). A pattern that matches no file is an
//! error. Every matched file is resolved once per run, however many
//! variants share it (`HashStats` shows it).
//!
//! # Byte format of `H(V)` (version `cigen-job-hash/2`)
//!
//! `field(t, b)` is the tag byte `t`, then `len(b)` as a big-endian u64,
//! then `b`. `H(V)` is the SHA-256 of:
//!
//! ```text
//! field('V', "cigen-job-hash/2")
//! field('I', variant id)            field('A', arch)
//! field('J', canonical job bytes)   see "Canonical job" below
//! field('F', FILES(V))              32 raw bytes, see below
//! for each upstream variant U, by id in byte order (duplicates once):
//!   field('U', u64be(len(id)) ‖ id ‖ H(U) as 32 raw bytes)
//! for each unhashed job variant W walked through to reach them, by id:
//!   field('W', u64be(len(id)) ‖ id ‖ canonical job bytes of W)
//! for each pipeline value N the job references, by name in byte order:
//!   field('P', u64be(len(N)) ‖ N ‖ value of N in this pipeline)
//! field('S', salt)                  only when a salt is set
//! ```
//!
//! `N` is the full name as written in the job (`pipeline.git.branch`,
//! `pipeline.parameters.deploy_ref`); the value is the UTF-8 text CircleCI
//! substitutes (booleans `true`/`false`, numbers in decimal), an unset
//! value the empty string. The values come from the environment of
//! `cigen setup` (`setup::values`), not from the job's text, so they are a
//! field of their own and not part of field `J`; a job that references no
//! pipeline value has no `P` field and keeps its hash whatever the values.
//! The values of a variant are those its own job references and those the
//! unhashed jobs it walks through (`W`) reference.
//!
//! `U` and `W` come from walking up the job graph from V: a hashed variant
//! ends the walk on that path (its hash covers everything above it); an
//! unhashed variant is never skipped, but what it does can change what V
//! receives (a workspace, an artifact), so its definition is part of V's
//! hash and the walk goes on above it. Approvals and shims are walked
//! through and contribute nothing.
//!
//! `FILES(V)` is the SHA-256 of `field('V', "cigen-files/1")`, then for
//! every file matched by any of V's patterns, in byte order of path:
//! `'f' ‖ u32be(len(path)) ‖ path ‖ u32be(mode) ‖ object id (20 raw
//! bytes)`, then `field('N', u64be(number of files))`. Paths are
//! `/`-separated bytes relative to the root. The reported hash is `H(V)` in
//! lowercase hex.
//!
//! ## Canonical job
//!
//! Field `J` holds the canonical JSON (`canonical::to_json`) of V's job
//! document, which the caller builds from the rendered job: compact JSON
//! as serde_json writes it (no whitespace; `"`, `\` and control characters
//! escaped, everything else raw UTF-8), with the keys of every object in
//! byte order. It is made from the parsed value, never from YAML text, so
//! no quoting, indentation or key order of cigen's YAML writer can move a
//! hash. The conversion from a YAML value is one-to-one:
//!
//! - null, booleans and strings map to themselves;
//! - integers stay integers (`1`), floats are written by serde_json in the
//!   shortest form that reads back the same (`1.0`, `2.1`, `1000.0` for
//!   `1e3`), so `1`, `1.0` and `"1"` stay three different values;
//! - sequences become arrays, mappings objects;
//! - a mapping key that is not a string (`1:`, `true:`, `[a]:`), a YAML tag
//!   other than the core ones serde_yaml resolves (`!Ref x`; `!!str 1` is
//!   just the string `"1"`), and an infinite or NaN float have no
//!   canonical form: hashing refuses them as a config error naming the job
//!   file and the path of the value (`generate` checks it too).
//!
//! Version 1 hashed the YAML writer's text instead.
//!
//! Two deliberate supersets of DESIGN §3, which names `(path, blob id)`:
//! the git mode is part of every file (100644, 100755, 120000, 160000), so
//! `chmod +x` or turning a file into a symlink invalidates; and the file
//! list enters `H(V)` as the nested digest `FILES(V)`, computed once per
//! distinct pattern set (both arch variants of a job, parallel test nodes)
//! instead of once per variant — the same information, hashed less often.

mod blob;
pub(crate) mod canonical;
mod digest;
mod error;
mod files;
mod freshness;
mod ignore_rules;
mod index;
mod input;
mod order;
mod parallel;
mod path_bytes;
mod pattern;
mod repo;
mod report;
mod table;
mod walk;

use std::path::Path;

use indexmap::IndexMap;

pub use error::HashError;
pub use input::{HashInput, HashOptions};
pub use report::{HashReport, HashStats};

use digest::{Digest32, VariantFields};
use ignore_rules::Excludes;
use index::GitIndex;
use pattern::Patterns;
use table::{FileTable, RowSets};

/// Computes `H(V)` for every input (see the module docs for the format).
pub fn compute(
    root: &Path,
    inputs: &[HashInput],
    opts: &HashOptions,
) -> Result<HashReport, HashError> {
    let order = order::dependency_order(inputs)?;
    let (patterns, pattern_ids) = Patterns::compile(inputs)?;
    match std::fs::metadata(root) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return Err(HashError::Io {
                path: root.to_path_buf(),
                message: "not a directory".into(),
            });
        }
        Err(err) => {
            return Err(HashError::Io {
                path: root.to_path_buf(),
                message: err.to_string(),
            });
        }
    }
    let git = repo::locate(root)?;
    let index = git
        .as_ref()
        .map(|git| GitIndex::read(&git.index_file()))
        .transpose()?;
    let excludes = Excludes::load(
        root,
        git.as_ref().map(repo::GitDirs::exclude_file).as_deref(),
    );
    let collected = files::collect(root, &patterns, index.as_ref(), &excludes)?;
    let table = &collected.table;
    let rows = table.rows_by_pattern(patterns.texts.len());
    check_every_pattern_matched(inputs, &patterns, &rows)?;

    let file_digests = files_digests(table, &rows, &pattern_ids);
    let hashes = variant_hashes(inputs, &order, &file_digests, opts)?;

    let mut report = HashReport {
        hashes: IndexMap::with_capacity(inputs.len()),
        stats: HashStats {
            index_reads: usize::from(index.is_some()),
            files_hashed_from_content: collected.from_content,
            files_from_index: collected.from_index,
            files_matched: table.files.len(),
        },
    };
    for (input, hash) in inputs.iter().zip(&hashes) {
        report
            .hashes
            .insert(input.variant_id.clone(), digest::hex(hash));
    }
    Ok(report)
}

/// `H(V)` for every input, by input position, computed in `order`
/// (upstream first) so each can include its upstream hashes.
fn variant_hashes(
    inputs: &[HashInput],
    order: &[usize],
    file_digests: &[Digest32],
    opts: &HashOptions,
) -> Result<Vec<Digest32>, HashError> {
    let position: std::collections::HashMap<&str, usize> = inputs
        .iter()
        .enumerate()
        .map(|(at, input)| (input.variant_id.as_str(), at))
        .collect();
    let mut hashes: Vec<Option<Digest32>> = vec![None; inputs.len()];
    for &at in order {
        let input = &inputs[at];
        let mut upstream = Vec::with_capacity(input.upstream.len());
        for up in &input.upstream {
            // `order` puts every upstream first; anything else is a bug.
            let hash = position.get(up.as_str()).and_then(|&up_at| hashes[up_at]);
            let hash = hash.ok_or_else(|| {
                HashError::Internal(format!(
                    "internal: upstream `{up}` of `{}` not hashed yet",
                    input.variant_id
                ))
            })?;
            upstream.push((up.as_str(), hash));
        }
        hashes[at] = Some(digest::variant_hash(&VariantFields {
            variant_id: &input.variant_id,
            arch: &input.arch,
            canonical_job: &input.canonical_job,
            files: file_digests[at],
            upstream,
            walked: &input.walked,
            values: &input.values,
            salt: opts.salt.as_deref(),
        }));
    }
    hashes
        .into_iter()
        .zip(inputs)
        .map(|(hash, input)| {
            hash.ok_or_else(|| {
                HashError::Internal(format!("internal: no hash for `{}`", input.variant_id))
            })
        })
        .collect()
}

/// `HashError::NoMatch` for the first pattern, in input order, that
/// matched no file.
fn check_every_pattern_matched(
    inputs: &[HashInput],
    patterns: &Patterns,
    rows: &RowSets,
) -> Result<(), HashError> {
    for input in inputs {
        for pattern in &input.patterns {
            let matched = patterns
                .texts
                .iter()
                .position(|text| text == pattern)
                .is_some_and(|id| rows.hits(id) > 0);
            if !matched {
                return Err(HashError::NoMatch {
                    variant: input.variant_id.clone(),
                    pattern: pattern.clone(),
                });
            }
        }
    }
    Ok(())
}

/// `FILES(V)` per input, computed once per distinct pattern set.
fn files_digests(table: &FileTable, rows: &RowSets, pattern_ids: &[Vec<usize>]) -> Vec<Digest32> {
    let mut distinct: Vec<&Vec<usize>> = pattern_ids.iter().collect();
    distinct.sort();
    distinct.dedup();
    let digests = parallel::map(&distinct, 1, |ids| {
        let files = rows.union(ids);
        digest::files_digest(files.into_iter().map(|row| {
            let file = &table.files[row];
            (table.path(row), file.mode, &file.id)
        }))
    });
    pattern_ids
        .iter()
        .map(|ids| {
            let at = distinct.binary_search(&ids).unwrap_or_default();
            digests[at]
        })
        .collect()
}
