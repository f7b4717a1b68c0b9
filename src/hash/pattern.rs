//! Source patterns: validation, compilation into one `GlobSet`, and the
//! walk scope of each pattern (the literal directory prefix below which it
//! can match, and whether it can reach deeper than one level). Input: the
//! variants' pattern strings; output: `Patterns`, which answers "which
//! patterns match this path" and "may this directory hold a match". It
//! never touches the file system.

use globset::{Candidate, Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use indexmap::IndexMap;

use super::error::HashError;
use super::input::HashInput;

/// Where a pattern can match: files directly in `dir`, or (`recursive`)
/// anywhere below it. `dir` is relative, `/`-separated, "" for the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scope {
    pub dir: Vec<u8>,
    pub recursive: bool,
}

/// All distinct patterns of one run, compiled once.
pub(crate) struct Patterns {
    /// Distinct pattern texts; a pattern's id is its position here.
    pub texts: Vec<String>,
    set: GlobSet,
    /// Distinct scopes, nested ones removed.
    pub scopes: Vec<Scope>,
}

/// Characters that make a path component a glob rather than a literal.
const META: &[u8] = b"*?[]{}\\";

impl Patterns {
    /// Validates and compiles every pattern of every input. Returns the
    /// compiled set and, per input, the ids of its patterns (deduplicated,
    /// sorted).
    pub fn compile(inputs: &[HashInput]) -> Result<(Patterns, Vec<Vec<usize>>), HashError> {
        let mut ids: IndexMap<&str, usize> = IndexMap::new();
        let mut builder = GlobSetBuilder::new();
        let mut scopes = Vec::new();
        let mut per_input = Vec::with_capacity(inputs.len());
        for input in inputs {
            let mut mine = Vec::with_capacity(input.patterns.len());
            for pattern in &input.patterns {
                if let Some(&id) = ids.get(pattern.as_str()) {
                    mine.push(id);
                    continue;
                }
                let bad = |message: String| HashError::BadPattern {
                    variant: input.variant_id.clone(),
                    pattern: pattern.clone(),
                    message,
                };
                builder.add(parse(pattern).map_err(bad)?);
                scopes.push(scope_of(pattern));
                let id = ids.len();
                ids.insert(pattern.as_str(), id);
                mine.push(id);
            }
            mine.sort_unstable();
            mine.dedup();
            per_input.push(mine);
        }
        let set = builder.build().map_err(|err| HashError::BadPattern {
            variant: inputs
                .first()
                .map(|i| i.variant_id.clone())
                .unwrap_or_default(),
            pattern: err.glob().unwrap_or_default().to_string(),
            message: err.kind().to_string(),
        })?;
        let texts = ids.keys().map(|text| (*text).to_string()).collect();
        let scopes = minimal_scopes(scopes);
        Ok((Patterns { texts, set, scopes }, per_input))
    }

    /// Ids of the patterns matching `path` (relative, `/`-separated), into
    /// `out` (cleared first).
    pub fn matches_into(&self, path: &[u8], out: &mut Vec<usize>) {
        self.set
            .matches_candidate_into(&Candidate::from_bytes(path), out);
    }

    /// Whether the walk must descend into directory `dir` (relative path,
    /// no trailing slash): it lies on the way to a scope, or inside one
    /// that reaches deeper than its own files.
    pub fn wants_dir(&self, dir: &[u8]) -> bool {
        self.scopes.iter().any(|scope| {
            is_within(&scope.dir, dir) || (scope.recursive && is_within(dir, &scope.dir))
        })
    }

    /// Whether files directly in directory `dir` can lie in any scope.
    pub fn may_hold_files_in(&self, dir: &[u8]) -> bool {
        self.scopes.iter().any(|scope| {
            dir == scope.dir.as_slice() || (scope.recursive && is_within(dir, &scope.dir))
        })
    }
}

/// `path` equals `dir` or lies below it ("" contains everything).
fn is_within(path: &[u8], dir: &[u8]) -> bool {
    dir.is_empty()
        || (path.starts_with(dir) && (path.len() == dir.len() || path[dir.len()] == b'/'))
}

/// Whether `pattern` is a valid source pattern, exactly as `compile` will
/// judge it; the error says what is wrong. `model` checks at load time.
pub fn check(pattern: &str) -> Result<(), String> {
    parse(pattern).map(|_| ())
}

/// Validates one pattern and compiles it as the hash engine matches it.
fn parse(pattern: &str) -> Result<Glob, String> {
    validate(pattern)?;
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|err| err.kind().to_string())
}

/// Rejects patterns that cannot name a file relative to the repository
/// root; the message says what is expected instead.
fn validate(pattern: &str) -> Result<(), String> {
    if pattern.is_empty() {
        return Err("the pattern is empty".into());
    }
    if pattern.starts_with('/') {
        return Err("expected a path relative to the repository root, not an absolute one".into());
    }
    if pattern.ends_with('/') {
        return Err(format!(
            "a pattern matches files, not directories; write `{pattern}**` for everything below it"
        ));
    }
    for component in pattern.split('/') {
        match component {
            "" => return Err("the pattern has an empty path component (`//`)".into()),
            "." | ".." => {
                return Err(format!(
                    "expected a path inside the repository without `{component}` components"
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The literal directory prefix of `pattern` and whether anything below
/// its first glob component can span directories.
fn scope_of(pattern: &str) -> Scope {
    let components: Vec<&str> = pattern.split('/').collect();
    let (dirs, _file) = components.split_at(components.len() - 1);
    let literal = dirs
        .iter()
        .take_while(|c| !c.bytes().any(|b| META.contains(&b)))
        .count();
    let rest = &components[literal..];
    let recursive = rest.len() > 1 || rest.iter().any(|c| c.contains("**"));
    Scope {
        dir: dirs[..literal].join("/").into_bytes(),
        recursive,
    }
}

/// Deduplicates scopes and drops those covered by a recursive one.
fn minimal_scopes(mut scopes: Vec<Scope>) -> Vec<Scope> {
    scopes.sort_by(|a, b| a.dir.cmp(&b.dir).then(b.recursive.cmp(&a.recursive)));
    scopes.dedup_by(|later, earlier| later.dir == earlier.dir);
    let covering: Vec<Scope> = scopes.iter().filter(|s| s.recursive).cloned().collect();
    scopes.retain(|scope| {
        !covering
            .iter()
            .any(|c| c != scope && is_within(&scope.dir, &c.dir))
    });
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(dir: &str, recursive: bool) -> Scope {
        Scope {
            dir: dir.as_bytes().to_vec(),
            recursive,
        }
    }

    #[test]
    fn scope_is_the_literal_directory_prefix() {
        assert_eq!(scope_of("Gemfile"), scope("", false));
        assert_eq!(scope_of("config/app.yml"), scope("config", false));
        assert_eq!(scope_of("app/**/*.rb"), scope("app", true));
        assert_eq!(scope_of("app/*.rb"), scope("app", false));
        assert_eq!(scope_of("spec/models/**"), scope("spec/models", true));
        assert_eq!(scope_of("**/*.rb"), scope("", true));
        assert_eq!(scope_of("{app,lib}/x.rb"), scope("", true));
        assert_eq!(scope_of("app/{a,b/c}.rb"), scope("app", true));
        assert_eq!(scope_of("a/*/b.rb"), scope("a", true));
    }

    #[test]
    fn nested_scopes_collapse_into_recursive_ones() {
        let got = minimal_scopes(vec![
            scope("app/models", true),
            scope("app", true),
            scope("app", false),
            scope("", false),
            scope("lib", false),
        ]);
        assert_eq!(
            got,
            vec![scope("", false), scope("app", true), scope("lib", false)]
        );
    }

    #[test]
    fn bad_patterns_are_rejected_with_a_reason() {
        for bad in ["", "/abs/*.rb", "app/", "a//b", "../x", "./x", "a/./b"] {
            assert!(validate(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(validate("app/**/*.rb").is_ok());
    }

    fn input(patterns: &[&str]) -> HashInput {
        HashInput {
            variant_id: "v".into(),
            job_name: "v".into(),
            arch: "amd64".into(),
            canonical_job: Vec::new(),
            patterns: patterns.iter().map(|p| p.to_string()).collect(),
            upstream: Vec::new(),
            walked: Vec::new(),
            values: Vec::new(),
        }
    }

    #[test]
    fn star_does_not_cross_directories_but_double_star_does() {
        let (patterns, ids) =
            Patterns::compile(&[input(&["app/*.rb", "lib/**", "{x,y}/?.[ch]"])]).unwrap();
        assert_eq!(ids, vec![vec![0, 1, 2]]);
        let mut out = Vec::new();
        let mut hits = |path: &str| {
            patterns.matches_into(path.as_bytes(), &mut out);
            out.clone()
        };
        assert_eq!(hits("app/a.rb"), vec![0]);
        assert_eq!(hits("app/models/a.rb"), Vec::<usize>::new());
        assert_eq!(hits("lib/a/b/c"), vec![1]);
        assert_eq!(hits("y/q.h"), vec![2]);
    }

    #[test]
    fn the_walk_enters_only_directories_that_can_hold_a_match() {
        let (patterns, _) =
            Patterns::compile(&[input(&["app/*.rb", "lib/**", "Gemfile"])]).unwrap();
        assert!(patterns.wants_dir(b"lib/a/b"));
        assert!(patterns.wants_dir(b"app"));
        assert!(!patterns.wants_dir(b"app/models"));
        assert!(!patterns.wants_dir(b"spec"));
        assert!(!patterns.wants_dir(b"libx"));
        assert!(patterns.may_hold_files_in(b""));
        assert!(patterns.may_hold_files_in(b"app"));
        assert!(!patterns.may_hold_files_in(b"app/models"));
        assert!(patterns.may_hold_files_in(b"lib/a/b"));
        assert!(!patterns.may_hold_files_in(b"spec"));
    }

    #[test]
    fn an_invalid_glob_names_variant_and_pattern() {
        let err = Patterns::compile(&[input(&["app/[z-a].rb"])]).err();
        assert!(
            matches!(err, Some(HashError::BadPattern { pattern, .. }) if pattern == "app/[z-a].rb")
        );
    }
}
