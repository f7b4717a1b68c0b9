//! Load-time check of `source_files` patterns (in jobs and in
//! `source_file_groups`): the syntax the hash engine compiles
//! (`source_glob`), so a pattern that would fail in CI's setup job fails
//! `generate` instead. Input: one pattern; output: the message and a
//! hint (`./x` → `x`). Whether a pattern matches any file is not judged here.

/// Why `pattern` cannot be a source pattern, and the pattern meant, if clear.
pub(crate) fn check(pattern: &str) -> Result<(), (String, Option<String>)> {
    crate::source_glob::check(pattern).map_err(|why| {
        let meant = pattern.trim_start_matches("./");
        let hint = (meant != pattern && crate::source_glob::check(meant).is_ok())
            .then(|| format!("did you mean `{meant}`?"));
        (
            format!("`{pattern}` is not a valid source pattern: {why}"),
            hint,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_slash_suggests_the_relative_pattern() {
        let (message, hint) = check("./app/**").expect_err("invalid");
        assert_eq!(
            message,
            "`./app/**` is not a valid source pattern: expected a path inside the repository without `.` components"
        );
        assert_eq!(hint.as_deref(), Some("did you mean `app/**`?"));
        assert_eq!(check("/abs/x").expect_err("absolute").1, None);
        assert!(check("app/[z-a].rb").is_err());
        assert_eq!(check("app/**/*.rb"), Ok(()));
    }
}
