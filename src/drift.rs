//! Drift between a generated file and the bytes on disk, shown as a
//! unified diff: one helper for `generate --check` and the setup job's
//! self-check, so both show drift the same way. Input: the two texts and
//! how to name them; output: the diff, or nothing when they are equal.
//! Reads and writes no file.

use similar::TextDiff;

/// The unified diff from `current` to `generated`, headed `<shown>
/// (<was>)` and `<shown> (generated)`; `None` when they are equal.
pub(crate) fn unified(shown: &str, was: &str, current: &str, generated: &str) -> Option<String> {
    (current != generated).then(|| {
        TextDiff::from_lines(current, generated)
            .unified_diff()
            .header(&format!("{shown} ({was})"), &format!("{shown} (generated)"))
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::unified;

    #[test]
    fn equal_texts_have_no_diff_and_others_a_headed_one() {
        assert_eq!(unified("a.yml", "on disk", "x\n", "x\n"), None);
        assert_eq!(
            unified("a.yml", "committed", "x\n", "y\n").as_deref(),
            Some("--- a.yml (committed)\n+++ a.yml (generated)\n@@ -1 +1 @@\n-x\n+y\n")
        );
    }
}
