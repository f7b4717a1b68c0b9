//! The syntax of a `source_files` pattern: a glob relative to the
//! repository root (`*`, `?`, `[..]`, `{a,b}`, `**`; `*` does not cross
//! `/`), with no absolute path, no trailing `/`, no empty, `.` or `..`
//! component. One definition for both of its readers: `model` checks every
//! pattern at load time, and the hash engine compiles them with `parse`, so
//! a pattern `generate` accepts is one the setup job can hash. Input: one
//! pattern; output: the compiled glob or why it is invalid. Whether it
//! matches a file is not judged here.

use globset::{Glob, GlobBuilder};

/// Whether `pattern` is a valid source pattern, exactly as `parse` judges
/// it; the error says what is wrong.
pub(crate) fn check(pattern: &str) -> Result<(), String> {
    parse(pattern).map(|_| ())
}

/// Validates one pattern and compiles it as the hash engine matches it.
pub(crate) fn parse(pattern: &str) -> Result<Glob, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_patterns_are_rejected_with_a_reason() {
        for bad in ["", "/abs/*.rb", "app/", "a//b", "../x", "./x", "a/./b"] {
            assert!(validate(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(validate("app/**/*.rb").is_ok());
        assert!(check("app/[z-a].rb").is_err(), "an invalid range");
    }
}
