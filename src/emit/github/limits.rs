//! GitHub's size limits, checked on a rendered workflow file: a workflow
//! file over 1 MiB, or a job `if:` over 21,000 characters, is what the
//! runner's workflow parser refuses (`MaxFileSize = 1024 * 1024`,
//! `Exceeded max expression length 21000`: actions/runner
//! `src/Sdk/WorkflowParser/ParseOptions.cs`,
//! `src/Sdk/Expressions/ExpressionConstants.cs`). GitHub does not document
//! the service's own values, so these are warnings, not errors. Pure: the
//! file's path and text in, warnings out.

/// The largest workflow file and job condition the runner's parser takes.
const MAX_FILE: usize = 1024 * 1024;
const MAX_EXPRESSION: usize = 21_000;

const HINT: &str = "a job's condition checks every job behind its hashed requirements (stage-wide `requires` multiply them), and each hashed job carries its record steps: require fewer jobs, split the workflow, or leave `github` out of `providers`";

/// The warnings of one rendered workflow file (`path` relative to the
/// project root), the first over-long condition only.
pub(crate) fn warnings(path: &str, text: &str) -> Vec<String> {
    let mut warnings = vec![];
    if text.len() > MAX_FILE {
        warnings.push(format!(
            "warning: {path}: the workflow is {} bytes; GitHub's workflow parser takes at most {MAX_FILE}, so GitHub may reject it\n  hint: {HINT}",
            text.len()
        ));
    }
    let mut job = "";
    for line in text.lines() {
        // The writer puts each job at two spaces and its keys at four.
        if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':'))
            && !name.starts_with(' ')
        {
            job = name;
        }
        if let Some(condition) = line.strip_prefix("    if: ")
            && condition.len() > MAX_EXPRESSION
        {
            warnings.push(format!(
                "warning: {path}: the condition of job `{job}` is {} characters; GitHub's expressions take at most {MAX_EXPRESSION}, so GitHub may reject the workflow\n  hint: {HINT}",
                condition.len()
            ));
            break;
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_condition_or_file_warns_once_and_names_the_job() {
        let long = "x".repeat(MAX_EXPRESSION + 1);
        let text =
            format!("jobs:\n  a:\n    if: short\n  b:\n    if: {long}\n  c:\n    if: {long}\n");
        let warnings = warnings(".github/workflows/main.yml", &text);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with(&format!(
                "warning: .github/workflows/main.yml: the condition of job `b` is {} characters",
                MAX_EXPRESSION + 1
            )),
            "{}",
            warnings[0]
        );
        let big = format!("jobs:\n  a:\n    run: {}\n", "y".repeat(MAX_FILE));
        assert_eq!(warnings_of(&big), 1);
        assert_eq!(warnings_of("jobs:\n  a:\n    if: always()\n"), 0);
    }

    fn warnings_of(text: &str) -> usize {
        warnings("w.yml", text).len()
    }
}
