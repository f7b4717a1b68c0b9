//! A job's CircleCI `filters` (`branches`/`tags`, each `only`/`ignore`) as
//! one term of its GitHub `if:`, so a job filtered out on CircleCI is also
//! not run on GitHub. Pure: a filters value in, an expression (or a reason
//! it has no GitHub form) out.
//!
//! CircleCI's rules (https://circleci.com/docs/reference/configuration-reference/#filters,
//! mirrored in CircleCI's published config schema): a job runs on a branch
//! unless `branches.only` is given and misses or `branches.ignore` matches;
//! it runs on a tag only when `tags` is given, with the same `only`/`ignore`
//! rule; a `/regex/` must match the whole name. GitHub expressions have no
//! regular expressions
//! (https://docs.github.com/en/actions/reference/workflows-and-actions/expressions#functions),
//! so a regex translates only when it is a literal, a literal prefix or
//! suffix around `.*`, `.*` or `.+`; anything else has no GitHub form.
//! GitHub compares strings ignoring case (`==`, `startsWith`), CircleCI's
//! regexes do not: the README says so.

use std::collections::{BTreeSet, HashMap};

use serde_yaml::Value;

use crate::error::{ConfigError, Result};
use crate::model::Workflow;
use crate::plan::{NodeKind, WorkflowPlan};

/// The `if:` terms of a workflow's filters, by plan node id (approvals get
/// the filters CircleCI gives them: their dependents').
#[derive(Debug, Default)]
pub(crate) struct Filters {
    /// Some job filters on tags: a tag push starts the workflow.
    pub tags: bool,
    own: HashMap<String, String>,
    /// Each node's own term and those of everything it requires, transitively.
    reach: HashMap<String, BTreeSet<String>>,
}

impl Filters {
    /// The terms of `plan`'s nodes. `user_on`: the workflow sets its own
    /// GitHub events (a tag push may then start it whatever the filters).
    pub(crate) fn of(workflow: &Workflow, plan: &WorkflowPlan, user_on: bool) -> Result<Filters> {
        let values = crate::emit::node_filters(workflow, plan);
        let tags = plan.nodes.iter().any(|node| {
            values
                .get(&node.id)
                .and_then(Option::as_ref)
                .is_some_and(|f| f.get("tags").is_some())
        });
        let tags_possible = tags || user_on;
        let mut own = HashMap::new();
        for node in &plan.nodes {
            let filters = values
                .get(&node.id)
                .cloned()
                .flatten()
                .unwrap_or(Value::Null);
            // Without filters a job runs on every branch and no tag.
            match condition(&filters, tags_possible) {
                Ok(Some(term)) => {
                    own.insert(node.id.clone(), term);
                }
                Ok(None) => {}
                Err(why) => return Err(located(workflow, plan, &node.id, why)),
            }
        }
        let mut filters = Filters {
            tags,
            own,
            reach: HashMap::new(),
        };
        // Only the required check reads what keeps a job out of the run.
        if plan.nodes.iter().any(|n| matches!(n.kind, NodeKind::Check)) {
            for node in &plan.nodes {
                filters.reach_of(plan, &node.id);
            }
        }
        Ok(filters)
    }

    /// The term of node `id`'s own filters.
    pub(crate) fn term(&self, id: &str) -> Option<&str> {
        self.own.get(id).map(String::as_str)
    }

    /// True when `id`'s filters, or those of anything it requires, keep it
    /// from running in this run: an expression (`None` when nothing can).
    pub(crate) fn filtered_out(&self, id: &str) -> Option<String> {
        let terms = self.reach.get(id)?;
        if terms.is_empty() {
            return None;
        }
        let all: Vec<String> = terms.iter().map(|t| format!("({t})")).collect();
        Some(format!("!({})", all.join(" && ")))
    }

    fn reach_of(&mut self, plan: &WorkflowPlan, id: &str) -> BTreeSet<String> {
        if let Some(known) = self.reach.get(id) {
            return known.clone();
        }
        // Cycles are refused by the plan; the entry also stops a revisit.
        self.reach.insert(id.to_string(), BTreeSet::new());
        let mut terms: BTreeSet<String> = self.own.get(id).cloned().into_iter().collect();
        if let Some(node) = plan.node(id) {
            for edge in &node.requires {
                terms.extend(self.reach_of(plan, &edge.target));
            }
        }
        self.reach.insert(id.to_string(), terms.clone());
        terms
    }
}

/// The error for filters of node `id` with no GitHub form, at the job
/// that wrote them.
fn located(workflow: &Workflow, plan: &WorkflowPlan, id: &str, why: String) -> crate::error::Error {
    let job = plan.node(id).and_then(|node| match &node.kind {
        NodeKind::Variant { job, .. } => workflow.job(job),
        _ => None,
    });
    let error = match job {
        Some(job) => ConfigError::new(&job.file, "filters", why)
            .line(job.written.lines.get("filters").copied().flatten()),
        None => ConfigError::new(std::path::Path::new(&workflow.name), "filters", why),
    };
    error.into()
}

/// The branch a GitHub run is for, as CircleCI names it: a fork's pull
/// request is `pull/<number>` (a fork chooses its branch names, so its
/// `main` must not pass `branches: {only: main}`), another pull request
/// its head branch, else the pushed branch.
const BRANCH: &str = "(github.event.pull_request.head.repo.fork && format('pull/{0}', github.event.pull_request.number) || github.head_ref || github.ref_name)";
const TAG: &str = "github.ref_name";
const IS_TAG: &str = "github.ref_type == 'tag'";
const NOT_TAG: &str = "github.ref_type != 'tag'";

/// The `if:` term of a job's `filters` (`Value::Null`: none), or `None`
/// when the job needs no term. `tags_possible`: the workflow may run for a
/// tag (its `on` lets tag pushes in); when not, only the branch side counts.
/// `Err` says why the filters have no GitHub form.
pub(crate) fn condition(filters: &Value, tags_possible: bool) -> Result<Option<String>, String> {
    let empty = serde_yaml::Mapping::new();
    let map = match filters {
        Value::Null => &empty,
        Value::Mapping(map) => map,
        Value::String(_) => {
            return Err(
                "an expression filter has no GitHub form: write it as `branches`/`tags` with `only`/`ignore`"
                    .into(),
            );
        }
        _ => return Err("`filters` must be a map of `branches` and `tags`".into()),
    };
    for key in map.keys() {
        if !matches!(key.as_str(), Some("branches" | "tags")) {
            return Err(format!(
                "`filters.{}` has no GitHub form: only `branches` and `tags` translate",
                key_text(key)
            ));
        }
    }
    let branches = side(map.get("branches"), BRANCH, "branches")?;
    let tags = side(map.get("tags"), TAG, "tags")?;
    Ok(combine(branches, tags, tags_possible))
}

/// What runs on one side (branches or tags): `None` = no filter there.
fn side(filter: Option<&Value>, var: &str, name: &str) -> Result<Option<Term>, String> {
    let Some(filter) = filter else {
        return Ok(None);
    };
    let Value::Mapping(map) = filter else {
        return Err(format!(
            "`filters.{name}` must be a map of `only` and `ignore`"
        ));
    };
    let mut terms = vec![];
    for (key, patterns) in map {
        let matched = any(patterns, var, name, &key_text(key))?;
        match key.as_str() {
            Some("only") => terms.push(matched),
            Some("ignore") => terms.push(matched.not()),
            _ => {
                return Err(format!(
                    "`filters.{name}.{}` has no GitHub form: only `only` and `ignore` translate",
                    key_text(key)
                ));
            }
        }
    }
    Ok(Some(Term::all(terms)))
}

/// True when the name matches any of the patterns (one string or a list).
fn any(patterns: &Value, var: &str, name: &str, key: &str) -> Result<Term, String> {
    let list: Vec<&Value> = match patterns {
        Value::Sequence(items) => items.iter().collect(),
        one => vec![one],
    };
    let mut terms = vec![];
    for pattern in list {
        let Some(text) = pattern.as_str() else {
            return Err(format!("`filters.{name}.{key}` must hold strings"));
        };
        terms.push(
            pattern_term(text, var)
                .map_err(|why| format!("`filters.{name}.{key}: {text}` {why}"))?,
        );
    }
    Ok(Term::any(terms))
}

/// One branch or tag pattern: an exact name or a `/regex/` of a shape
/// GitHub's string functions can express.
fn pattern_term(text: &str, var: &str) -> Result<Term, String> {
    let Some(regex) = text
        .strip_prefix('/')
        .and_then(|rest| rest.strip_suffix('/'))
        .filter(|_| text.len() >= 2)
    else {
        return Ok(Term::Expr(format!("{var} == {}", quoted(text))));
    };
    // CircleCI matches the whole name: the anchors add nothing.
    let regex = regex.strip_prefix('^').unwrap_or(regex);
    let regex = regex
        .strip_suffix('$')
        .filter(|r| !r.ends_with('\\'))
        .unwrap_or(regex);
    if regex == ".*" {
        return Ok(Term::True);
    }
    if regex == ".+" {
        return Ok(Term::Expr(format!("{var} != ''")));
    }
    if let Some(prefix) = regex.strip_suffix(".*").and_then(literal) {
        return Ok(Term::Expr(format!(
            "startsWith({var}, {})",
            quoted(&prefix)
        )));
    }
    if let Some(suffix) = regex.strip_prefix(".*").and_then(literal) {
        return Ok(Term::Expr(format!("endsWith({var}, {})", quoted(&suffix))));
    }
    if let Some(exact) = literal(regex) {
        return Ok(Term::Expr(format!("{var} == {}", quoted(&exact))));
    }
    Err(
        "has no GitHub form: GitHub expressions have no regular expressions; use exact names or `/prefix.*/`, `/.*suffix/`"
            .into(),
    )
}

/// The text a regex matches when it is a plain literal (`\.` and the like
/// unescaped), else `None`.
fn literal(regex: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = regex.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars.next()?;
                if next.is_ascii_alphanumeric() {
                    return None; // \d, \w, \b…: classes, not literals
                }
                out.push(next);
            }
            '.' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '^' | '$' => {
                return None;
            }
            c => out.push(c),
        }
    }
    (!out.is_empty()).then_some(out)
}

/// A string literal of GitHub's expression syntax: single quotes, a quote
/// doubled.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn key_text(key: &Value) -> String {
    key.as_str()
        .map_or_else(|| format!("{key:?}"), str::to_string)
}

/// The whole condition: on a tag, the tags side (no `tags` filter: never);
/// on a branch, the branches side (no `branches` filter: always).
fn combine(branches: Option<Term>, tags: Option<Term>, tags_possible: bool) -> Option<String> {
    let on_branch = branches.unwrap_or(Term::True);
    let on_tag = tags.unwrap_or(Term::False);
    let term = if tags_possible {
        Term::any(vec![
            Term::all(vec![Term::Expr(IS_TAG.into()), on_tag.clone()]),
            Term::all(vec![Term::Expr(NOT_TAG.into()), on_branch.clone()]),
        ])
    } else {
        on_branch.clone()
    };
    match term {
        _ if on_tag == Term::True && on_branch == Term::True => None,
        Term::True => None,
        // Filters that exclude everything (e.g. `branches: {ignore: /.*/}`
        // without tags): the job never runs.
        Term::False => Some("false".into()),
        Term::Expr(text) => Some(text),
    }
}

/// A boolean expression being built, folding constants away.
#[derive(Debug, Clone, PartialEq)]
enum Term {
    True,
    False,
    Expr(String),
}

impl Term {
    fn not(self) -> Term {
        match self {
            Term::True => Term::False,
            Term::False => Term::True,
            Term::Expr(text) => Term::Expr(format!("!({text})")),
        }
    }

    fn all(terms: Vec<Term>) -> Term {
        Term::join(terms, "&&", Term::True, Term::False)
    }

    fn any(terms: Vec<Term>) -> Term {
        Term::join(terms, "||", Term::False, Term::True)
    }

    /// `unit` drops out, `zero` decides; one expression stays bare, several
    /// are parenthesised.
    fn join(terms: Vec<Term>, op: &str, unit: Term, zero: Term) -> Term {
        let mut parts = vec![];
        for term in terms {
            if term == zero {
                return zero;
            }
            if let Term::Expr(text) = term {
                parts.push(text);
            }
        }
        match parts.len() {
            0 => unit,
            1 => Term::Expr(parts.remove(0)),
            _ => Term::Expr(
                parts
                    .iter()
                    .map(|p| format!("({p})"))
                    .collect::<Vec<_>>()
                    .join(&format!(" {op} ")),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(yaml: &str) -> Result<Option<String>, String> {
        condition(&serde_yaml::from_str(yaml).expect("yaml"), true)
    }

    #[test]
    fn without_tags_a_job_without_filters_needs_no_term() {
        let none = |yaml: &str| condition(&serde_yaml::from_str(yaml).expect("yaml"), false);
        assert_eq!(none("null"), Ok(None));
        assert_eq!(none("{branches: {only: /.*/}}"), Ok(None));
        assert_eq!(none("{tags: {only: /^v.*/}}"), Ok(None));
        assert_eq!(
            none("{branches: {only: main}}"),
            Ok(Some(
                "(github.event.pull_request.head.repo.fork && format('pull/{0}', github.event.pull_request.number) || github.head_ref || github.ref_name) == 'main'".into()
            ))
        );
    }

    #[test]
    fn with_tags_a_job_without_tag_filters_skips_tags() {
        assert_eq!(of("null"), Ok(Some("github.ref_type != 'tag'".into())));
        assert_eq!(
            of("{branches: {only: /.*/}}"),
            Ok(Some("github.ref_type != 'tag'".into()))
        );
        assert_eq!(of("{tags: {only: /.*/}}"), Ok(None));
    }

    #[test]
    fn branch_names_and_prefixes() {
        assert_eq!(
            of("{branches: {only: main}}"),
            Ok(Some(
                "(github.ref_type != 'tag') && ((github.event.pull_request.head.repo.fork && format('pull/{0}', github.event.pull_request.number) || github.head_ref || github.ref_name) == 'main')"
                    .into()
            ))
        );
        assert_eq!(
            of("{branches: {only: [main, /release\\/.*/]}}"),
            Ok(Some("(github.ref_type != 'tag') && (((github.event.pull_request.head.repo.fork && format('pull/{0}', github.event.pull_request.number) || github.head_ref || github.ref_name) == 'main') || (startsWith((github.event.pull_request.head.repo.fork && format('pull/{0}', github.event.pull_request.number) || github.head_ref || github.ref_name), 'release/')))".into()))
        );
        assert_eq!(
            of("{branches: {ignore: /^dependabot.*/}}"),
            Ok(Some("(github.ref_type != 'tag') && (!(startsWith((github.event.pull_request.head.repo.fork && format('pull/{0}', github.event.pull_request.number) || github.head_ref || github.ref_name), 'dependabot')))".into()))
        );
    }

    #[test]
    fn tags_only_runs_on_matching_tags_and_every_branch() {
        assert_eq!(
            of("{tags: {only: /^v.*/}}"),
            Ok(Some(
                "((github.ref_type == 'tag') && (startsWith(github.ref_name, 'v'))) || (github.ref_type != 'tag')"
                    .into()
            ))
        );
        assert_eq!(
            of("{tags: {only: /^v.*/}, branches: {ignore: /.*/}}"),
            Ok(Some(
                "(github.ref_type == 'tag') && (startsWith(github.ref_name, 'v'))".into()
            ))
        );
        assert_eq!(of("{branches: {ignore: /.*/}}"), Ok(Some("false".into())));
    }

    #[test]
    fn literal_regexes_and_quotes() {
        assert_eq!(
            pattern_term("/^v1\\.2$/", "x"),
            Ok(Term::Expr("x == 'v1.2'".into()))
        );
        assert_eq!(
            pattern_term("/.*-rc/", "x"),
            Ok(Term::Expr("endsWith(x, '-rc')".into()))
        );
        assert_eq!(
            pattern_term("it's", "x"),
            Ok(Term::Expr("x == 'it''s'".into()))
        );
        assert_eq!(pattern_term("/.+/", "x"), Ok(Term::Expr("x != ''".into())));
    }

    #[test]
    fn what_github_cannot_express_is_an_error_naming_the_pattern() {
        assert_eq!(
            of("{tags: {only: '/^v\\d+\\.\\d+/'}}"),
            Err("`filters.tags.only: /^v\\d+\\.\\d+/` has no GitHub form: GitHub expressions have no regular expressions; use exact names or `/prefix.*/`, `/.*suffix/`".into())
        );
        assert_eq!(
            of("{branches: {only: /feature-(a|b)/}}")
                .map_err(|e| e.starts_with("`filters.branches.only: /feature-(a|b)/`")),
            Err(true)
        );
        assert_eq!(
            of("pipeline.git.branch == \"main\""),
            Err("an expression filter has no GitHub form: write it as `branches`/`tags` with `only`/`ignore`".into())
        );
    }
}
