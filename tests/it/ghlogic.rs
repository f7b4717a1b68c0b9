//! A small model of how GitHub Actions runs a workflow's jobs, for the
//! `if:` subset cigen emits: a parser and evaluator of expressions
//! (`!`, `&&`, `||`, `==`, `!=`, parentheses, `'…'` strings, `true`/`false`,
//! property paths, `always()`, `cancelled()`, `success()`, `failure()`)
//! and a runner of whole workflows over given `cigen_setup` outputs and job
//! outcomes. Rules, from GitHub's documentation
//! (<https://docs.github.com/en/actions/reference/workflows-and-actions/expressions>,
//! `jobs.<job_id>.needs` and `jobs.<job_id>.if` in workflow syntax):
//! a job starts once all it needs finished; a job whose `if` is false is
//! skipped and reports `skipped`; without a status function `success()` is
//! implied (every ancestor succeeded); `failure()` is true when an ancestor
//! failed; a missing property reads as `''`; string comparison ignores
//! case; `&&`/`||` return an operand; `''`, `false` and null are falsy.
//! A timed-out job reports `cancelled`. `${{ … }}` around a whole `if` is
//! stripped; text around it makes the condition a non-empty string
//! (always true), as on GitHub.

use std::collections::BTreeMap;

use serde_yaml::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Null,
    Bool(bool),
    Str(String),
}

impl V {
    fn truthy(&self) -> bool {
        match self {
            V::Null => false,
            V::Bool(b) => *b,
            V::Str(s) => !s.is_empty(),
        }
    }

    fn loose_eq(&self, other: &V) -> bool {
        match (self, other) {
            (V::Str(a), V::Str(b)) => a.eq_ignore_ascii_case(b),
            (V::Bool(a), V::Bool(b)) => a == b,
            (V::Null, V::Null) => true,
            // Loose equality converts to numbers: '' and null and false are 0.
            (a, b) => number(a) == number(b),
        }
    }
}

fn number(v: &V) -> Option<f64> {
    match v {
        V::Null => Some(0.0),
        V::Bool(b) => Some(f64::from(u8::from(*b))),
        V::Str(s) if s.trim().is_empty() => Some(0.0),
        V::Str(s) => s.trim().parse().ok(),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Not,
    And,
    Or,
    Eq,
    Ne,
    Open,
    Close,
    Str(String),
    Word(String),
}

fn tokens(text: &str) -> Vec<Tok> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = vec![];
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        let next = chars.get(at + 1).copied();
        match c {
            ' ' | '\n' | '\t' => at += 1,
            '(' => (out.push(Tok::Open), at += 1).1,
            ')' => (out.push(Tok::Close), at += 1).1,
            '&' if next == Some('&') => (out.push(Tok::And), at += 2).1,
            '|' if next == Some('|') => (out.push(Tok::Or), at += 2).1,
            '=' if next == Some('=') => (out.push(Tok::Eq), at += 2).1,
            '!' if next == Some('=') => (out.push(Tok::Ne), at += 2).1,
            '!' => (out.push(Tok::Not), at += 1).1,
            '\'' => {
                let mut s = String::new();
                at += 1;
                loop {
                    match chars.get(at) {
                        Some('\'') if chars.get(at + 1) == Some(&'\'') => {
                            s.push('\'');
                            at += 2;
                        }
                        Some('\'') => {
                            at += 1;
                            break;
                        }
                        Some(ch) => {
                            s.push(*ch);
                            at += 1;
                        }
                        None => panic!("unterminated string in {text:?}"),
                    }
                }
                out.push(Tok::Str(s));
            }
            c if c.is_ascii_alphanumeric() || c == '_' => {
                let mut s = String::new();
                while let Some(ch) = chars.get(at) {
                    if ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.') {
                        s.push(*ch);
                        at += 1;
                    } else {
                        break;
                    }
                }
                out.push(Tok::Word(s));
            }
            other => panic!("unexpected {other:?} in {text:?}"),
        }
    }
    out
}

#[derive(Debug, Clone)]
enum Expr {
    Lit(V),
    Path(String),
    Call(String),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Eq(Box<Expr>, Box<Expr>, bool),
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }
    fn bump(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }
    fn or(&mut self) -> Expr {
        let mut left = self.and();
        while self.peek() == Some(&Tok::Or) {
            self.bump();
            left = Expr::Or(Box::new(left), Box::new(self.and()));
        }
        left
    }
    fn and(&mut self) -> Expr {
        let mut left = self.eq();
        while self.peek() == Some(&Tok::And) {
            self.bump();
            left = Expr::And(Box::new(left), Box::new(self.eq()));
        }
        left
    }
    fn eq(&mut self) -> Expr {
        let left = self.unary();
        match self.peek() {
            Some(Tok::Eq) => {
                self.bump();
                Expr::Eq(Box::new(left), Box::new(self.unary()), true)
            }
            Some(Tok::Ne) => {
                self.bump();
                Expr::Eq(Box::new(left), Box::new(self.unary()), false)
            }
            _ => left,
        }
    }
    fn unary(&mut self) -> Expr {
        if self.peek() == Some(&Tok::Not) {
            self.bump();
            return Expr::Not(Box::new(self.unary()));
        }
        match self.bump() {
            Some(Tok::Open) => {
                let inner = self.or();
                assert_eq!(self.bump(), Some(Tok::Close), "missing )");
                inner
            }
            Some(Tok::Str(s)) => Expr::Lit(V::Str(s)),
            Some(Tok::Word(w)) if w == "true" => Expr::Lit(V::Bool(true)),
            Some(Tok::Word(w)) if w == "false" => Expr::Lit(V::Bool(false)),
            Some(Tok::Word(w)) if w == "null" => Expr::Lit(V::Null),
            Some(Tok::Word(w)) => {
                if self.peek() == Some(&Tok::Open) {
                    self.bump();
                    assert_eq!(
                        self.bump(),
                        Some(Tok::Close),
                        "calls take no arguments here"
                    );
                    Expr::Call(w)
                } else {
                    Expr::Path(w)
                }
            }
            other => panic!("unexpected token {other:?}"),
        }
    }
}

fn parse(text: &str) -> Expr {
    let mut parser = Parser {
        toks: tokens(text),
        at: 0,
    };
    let expr = parser.or();
    assert!(
        parser.at == parser.toks.len(),
        "trailing tokens in {text:?}"
    );
    expr
}

fn has_status_function(expr: &Expr) -> bool {
    match expr {
        Expr::Call(name) => matches!(
            name.as_str(),
            "always" | "cancelled" | "success" | "failure"
        ),
        Expr::Not(e) => has_status_function(e),
        Expr::And(a, b) | Expr::Or(a, b) | Expr::Eq(a, b, _) => {
            has_status_function(a) || has_status_function(b)
        }
        Expr::Lit(_) | Expr::Path(_) => false,
    }
}

/// What a job's condition can see.
pub struct Scope<'a> {
    /// Direct needs: id → (result, outputs).
    pub needs: BTreeMap<&'a str, (&'a str, &'a BTreeMap<String, String>)>,
    /// Results of every ancestor (transitive needs).
    pub ancestors: Vec<&'a str>,
    pub cancelled: bool,
    pub inputs: &'a BTreeMap<String, V>,
    pub event_name: &'a str,
}

impl Scope<'_> {
    fn path(&self, path: &str) -> V {
        let parts: Vec<&str> = path.split('.').collect();
        match parts.as_slice() {
            ["needs", id, "result"] => self
                .needs
                .get(id)
                .map_or(V::Null, |(r, _)| V::Str((*r).to_string())),
            ["needs", id, "outputs", name] => match self.needs.get(id) {
                Some((_, outputs)) => V::Str(outputs.get(*name).cloned().unwrap_or_default()),
                None => V::Null,
            },
            ["inputs", name] => self
                .inputs
                .get(*name)
                .cloned()
                .unwrap_or(V::Str(String::new())),
            ["github", "event_name"] => V::Str(self.event_name.to_string()),
            _ => panic!("the evaluator does not know `{path}`"),
        }
    }

    fn call(&self, name: &str) -> V {
        let failed = self.ancestors.contains(&"failure");
        let bad = self
            .ancestors
            .iter()
            .any(|r| *r == "failure" || *r == "cancelled");
        V::Bool(match name {
            "always" => true,
            "cancelled" => self.cancelled,
            "failure" => failed,
            "success" => !bad && !self.cancelled,
            other => panic!("unknown function {other}"),
        })
    }

    fn eval(&self, expr: &Expr) -> V {
        match expr {
            Expr::Lit(v) => v.clone(),
            Expr::Path(p) => self.path(p),
            Expr::Call(name) => self.call(name),
            Expr::Not(e) => V::Bool(!self.eval(e).truthy()),
            Expr::And(a, b) => {
                let left = self.eval(a);
                if left.truthy() { self.eval(b) } else { left }
            }
            Expr::Or(a, b) => {
                let left = self.eval(a);
                if left.truthy() { left } else { self.eval(b) }
            }
            Expr::Eq(a, b, equal) => V::Bool(self.eval(a).loose_eq(&self.eval(b)) == *equal),
        }
    }

    /// Whether a job with `condition` (as written in YAML; `None`: no `if`) runs.
    pub fn runs(&self, condition: Option<&str>) -> bool {
        let Some(text) = condition else {
            return self.ancestors.iter().all(|r| *r == "success") && !self.cancelled;
        };
        let inner = match text.strip_prefix("${{").and_then(|t| t.strip_suffix("}}")) {
            Some(inner) if !inner.contains("${{") => inner.to_string(),
            _ if text.contains("${{") => return true, // text around `${{ }}`: a non-empty string
            _ => text.to_string(),
        };
        let expr = parse(&inner);
        let value = self.eval(&expr);
        if has_status_function(&expr) {
            value.truthy()
        } else {
            self.ancestors.iter().all(|r| *r == "success") && !self.cancelled && value.truthy()
        }
    }
}

/// One job of a workflow file: what it needs and its `if`.
#[derive(Debug, Clone)]
pub struct GhJob {
    pub id: String,
    pub needs: Vec<String>,
    pub condition: Option<String>,
}

/// The jobs of a parsed workflow file, in file order.
pub fn jobs(doc: &Value) -> Vec<GhJob> {
    doc["jobs"]
        .as_mapping()
        .expect("jobs")
        .iter()
        .map(|(id, job)| GhJob {
            id: id.as_str().expect("id").to_string(),
            needs: match &job["needs"] {
                Value::Sequence(items) => items
                    .iter()
                    .map(|n| n.as_str().expect("need").to_string())
                    .collect(),
                Value::String(one) => vec![one.clone()],
                _ => vec![],
            },
            condition: job["if"].as_str().map(str::to_string),
        })
        .collect()
}

/// One run of a workflow: each job's result (`success`, `failure`,
/// `cancelled`, `skipped`) and outputs.
#[derive(Debug, Default)]
pub struct Run {
    pub results: BTreeMap<String, String>,
    pub outputs: BTreeMap<String, BTreeMap<String, String>>,
}

/// Runs `jobs`: each job once all it needs finished; a job whose
/// condition holds gets `outcome(id, &run)` (its result and outputs), else
/// `skipped`.
pub fn run(
    jobs: &[GhJob],
    inputs: &BTreeMap<String, V>,
    event_name: &str,
    mut outcome: impl FnMut(&str, &Run) -> (String, BTreeMap<String, String>),
) -> Run {
    let mut run = Run::default();
    let empty = BTreeMap::new();
    while run.results.len() < jobs.len() {
        let before = run.results.len();
        for job in jobs {
            if run.results.contains_key(&job.id)
                || !job.needs.iter().all(|n| run.results.contains_key(n))
            {
                continue;
            }
            let scope = Scope {
                needs: job
                    .needs
                    .iter()
                    .map(|n| {
                        (
                            n.as_str(),
                            (
                                run.results[n].as_str(),
                                run.outputs.get(n).unwrap_or(&empty),
                            ),
                        )
                    })
                    .collect(),
                ancestors: ancestors(jobs, &job.id)
                    .iter()
                    .map(|a| run.results[a].as_str())
                    .collect(),
                cancelled: false,
                inputs,
                event_name,
            };
            let runs = scope.runs(job.condition.as_deref());
            let (result, outputs) = if runs {
                outcome(&job.id, &run)
            } else {
                ("skipped".to_string(), BTreeMap::new())
            };
            run.results.insert(job.id.clone(), result);
            run.outputs.insert(job.id.clone(), outputs);
        }
        assert!(
            run.results.len() > before,
            "needs form a cycle or name a missing job"
        );
    }
    run
}

fn ancestors(jobs: &[GhJob], id: &str) -> Vec<String> {
    let mut seen: Vec<String> = vec![];
    let mut stack: Vec<String> = jobs
        .iter()
        .find(|j| j.id == id)
        .map(|j| j.needs.clone())
        .unwrap_or_default();
    while let Some(next) = stack.pop() {
        if seen.contains(&next) {
            continue;
        }
        if let Some(job) = jobs.iter().find(|j| j.id == next) {
            stack.extend(job.needs.iter().cloned());
        }
        seen.push(next);
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope_with<'a>(
        needs: &[(&'a str, &'a str)],
        outputs: &'a BTreeMap<String, String>,
        inputs: &'a BTreeMap<String, V>,
    ) -> Scope<'a> {
        Scope {
            needs: needs.iter().map(|(id, r)| (*id, (*r, outputs))).collect(),
            ancestors: needs.iter().map(|(_, r)| *r).collect(),
            cancelled: false,
            inputs,
            event_name: "push",
        }
    }

    #[test]
    fn the_evaluator_follows_githubs_rules() {
        let outputs: BTreeMap<String, String> = [("run_a".to_string(), "false".to_string())].into();
        let inputs = BTreeMap::new();
        let scope = scope_with(&[("a", "skipped"), ("b", "cancelled")], &outputs, &inputs);
        // A missing output is '', so `== 'true'` is false and `!= 'false'` true.
        assert!(!scope.runs(Some("${{ always() && needs.a.outputs.run_x == 'true' }}")));
        assert!(scope.runs(Some("${{ always() && needs.a.outputs.run_x != 'false' }}")));
        // A cancelled (timed-out) requirement is no failure.
        assert!(scope.runs(Some("${{ !cancelled() && !failure() }}")));
        assert!(!scope.runs(Some("${{ !cancelled() && needs.b.result == 'success' }}")));
        // Without a status function success() is implied.
        assert!(!scope.runs(Some("needs.a.outputs.run_a == 'false'")));
        assert!(scope.runs(Some("always() && needs.a.outputs.run_a == 'FALSE'")));
        // Text around `${{ }}` is always true; && binds tighter than ||.
        assert!(scope.runs(Some("${{ false }} ")));
        assert!(scope.runs(Some("always() && (true || false && false)")));
        assert!(!scope.runs(Some("always() && false && false || false")));
        assert!(!scope.runs(Some("always() && inputs.go")));
    }
}
