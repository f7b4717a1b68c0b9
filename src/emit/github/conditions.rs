//! The `if:` of a GitHub job: when it may run given what it needs. Input:
//! the job's terms (built by `graph`); output: one condition string. Pure.
//!
//! The issue's `needs.cigen_setup.outputs.run_<v> == 'true'` form is not
//! used: a lost output (the runner drops an empty output or one that "may
//! contain secret") would skip the job, and a skipped job looks green; and
//! `!cancelled() && !failure()` lets a job run after a requirement that
//! timed out, which GitHub reports as `cancelled`, not `failure` (research
//! §0.1, §0.2). So the own gate is `run_<v> != 'false'` (a lost output
//! runs the job), and each requirement's result is checked by name.
//! Everything is ANDed under `!cancelled()` (or `always()` for a cleanup
//! job listing `failed`/`canceled`): a status function must be present,
//! or GitHub implies `success()` and skips the job after any skipped
//! requirement. A condition starting with `!` is wrapped in `${{ }}` (YAML
//! would read a bare `!` as a tag); others are written plain, never with
//! text around `${{ }}`, which GitHub would read as always true
//! (<https://docs.github.com/en/actions/reference/workflows-and-actions/expressions>).

/// The id of the job that hashes, probes and hands out `run_<v>`/`hash_<v>`.
pub(crate) const SETUP: &str = "cigen_setup";

/// One requirement of a job, as its condition checks it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Term {
    /// `id` must pass; `hashed`: a skip cigen ordered counts as passing.
    Ok { id: String, hashed: bool },
    /// A job-status requirement: `id`'s result is one of `results`
    /// (GitHub's names); with `hashed` and `success` among them, a skip
    /// cigen ordered counts as success.
    Status {
        id: String,
        results: Vec<&'static str>,
        hashed: bool,
    },
    /// `requires_any`: every term of any one group holds.
    Any(Vec<Vec<Term>>),
}

impl Term {
    /// The job ids the term reads, in order.
    pub(super) fn ids(&self) -> Vec<&str> {
        match self {
            Term::Ok { id, .. } | Term::Status { id, .. } => vec![id.as_str()],
            Term::Any(groups) => groups.iter().flatten().flat_map(Term::ids).collect(),
        }
    }

    fn render(&self) -> String {
        match self {
            Term::Ok { id, hashed: false } => result_is(id, "success"),
            Term::Ok { id, hashed: true } => {
                format!("({} || {})", result_is(id, "success"), cigen_skipped(id))
            }
            Term::Status {
                id,
                results,
                hashed,
            } => {
                let mut any: Vec<String> = results.iter().map(|r| result_is(id, r)).collect();
                if *hashed && results.contains(&"success") {
                    any.push(cigen_skipped(id));
                }
                parenthesised(any, " || ")
            }
            Term::Any(groups) => {
                let alternatives = groups
                    .iter()
                    .map(|group| parenthesised(group.iter().map(Term::render).collect(), " && "))
                    .collect();
                parenthesised(alternatives, " || ")
            }
        }
    }
}

/// CircleCI job statuses of a job-status requirement as GitHub results
/// (`needs.<id>.result`: success, failure, cancelled or skipped).
pub(super) fn github_result(status: &str) -> Option<&'static str> {
    match status {
        "success" => Some("success"),
        "failed" => Some("failure"),
        "canceled" => Some("cancelled"),
        "not_run" => Some("skipped"),
        _ => None,
    }
}

/// Everything a job's condition checks.
#[derive(Debug, Clone, Default)]
pub(super) struct Condition {
    /// `always()` instead of `!cancelled()`: a cleanup job that runs after
    /// a failed or cancelled requirement, even in a cancelled run.
    pub always: bool,
    /// Check `cigen_setup` passed (every job of the dynamic workflow).
    pub setup: bool,
    /// The variant's own gate (hashed variants): `run_<v> != 'false'`.
    pub own_gate: Option<String>,
    /// A clause of the workflow, e.g. an immediate workflow's input.
    pub workflow: Option<String>,
    /// The job's CircleCI `filters` as a GitHub term (`filters`).
    pub filter: Option<String>,
    pub terms: Vec<Term>,
}

impl Condition {
    /// The `if:` value.
    pub(super) fn render(&self) -> String {
        let mut parts = vec![
            if self.always {
                "always()"
            } else {
                "!cancelled()"
            }
            .to_string(),
        ];
        if self.setup {
            parts.push(result_is(SETUP, "success"));
        }
        if let Some(variant) = &self.own_gate {
            parts.push(format!("{} != 'false'", run_output(variant)));
        }
        parts.extend(self.workflow.iter().cloned());
        parts.extend(self.filter.iter().map(|f| format!("({f})")));
        parts.extend(self.terms.iter().map(Term::render));
        wrap(&parts.join(" && "))
    }
}

/// `${{ … }}` around an expression starting with `!`, else as it is.
pub(super) fn wrap(expression: &str) -> String {
    if expression.starts_with('!') {
        format!("${{{{ {expression} }}}}")
    } else {
        expression.to_string()
    }
}

/// `needs.cigen_setup.outputs.run_<v>`.
pub(super) fn run_output(variant: &str) -> String {
    format!("needs.{SETUP}.outputs.run_{variant}")
}

/// `needs.cigen_setup.outputs.hash_<v>`.
pub(super) fn hash_output(variant: &str) -> String {
    format!("needs.{SETUP}.outputs.hash_{variant}")
}

fn result_is(id: &str, result: &str) -> String {
    format!("needs.{id}.result == '{result}'")
}

/// `id` was skipped because cigen said so (its marker exists).
fn cigen_skipped(id: &str) -> String {
    format!(
        "({} && {} == 'false')",
        result_is(id, "skipped"),
        run_output(id)
    )
}

fn parenthesised(parts: Vec<String>, operator: &str) -> String {
    if parts.len() == 1 {
        return parts.into_iter().next().unwrap_or_default();
    }
    format!("({})", parts.join(operator))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_requirement_passes_on_success_or_a_skip_cigen_ordered() {
        let condition = Condition {
            setup: true,
            own_gate: Some("test".into()),
            terms: vec![Term::Ok {
                id: "build".into(),
                hashed: true,
            }],
            ..Condition::default()
        };
        assert_eq!(
            condition.render(),
            "${{ !cancelled() && needs.cigen_setup.result == 'success' && needs.cigen_setup.outputs.run_test != 'false' && (needs.build.result == 'success' || (needs.build.result == 'skipped' && needs.cigen_setup.outputs.run_build == 'false')) }}"
        );
    }

    #[test]
    fn a_cleanup_condition_starts_with_always_and_is_written_plain() {
        let condition = Condition {
            always: true,
            terms: vec![Term::Status {
                id: "deploy".into(),
                results: vec!["success", "failure"],
                hashed: false,
            }],
            ..Condition::default()
        };
        assert_eq!(
            condition.render(),
            "always() && (needs.deploy.result == 'success' || needs.deploy.result == 'failure')"
        );
    }

    #[test]
    fn any_group_holds_for_requires_any() {
        let term = Term::Any(vec![
            vec![Term::Ok {
                id: "a".into(),
                hashed: false,
            }],
            vec![
                Term::Ok {
                    id: "b_amd64".into(),
                    hashed: false,
                },
                Term::Ok {
                    id: "b_arm64".into(),
                    hashed: false,
                },
            ],
        ]);
        assert_eq!(
            term.render(),
            "(needs.a.result == 'success' || (needs.b_amd64.result == 'success' && needs.b_arm64.result == 'success'))"
        );
    }
}
