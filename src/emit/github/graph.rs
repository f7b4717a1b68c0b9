//! The GitHub job graph of one workflow plan: which plan nodes become
//! jobs, what each `needs` and its `if:` terms. Input: the plan (and the
//! workflow, for `approval`); output: the wired jobs in plan order. Pure.
//!
//! - A requirement `r` must pass: `success`, or for a hashed `r` a skip
//!   cigen ordered. A cigen-skipped `r` hides its own requirements'
//!   results (its `if:` never looked at them), so a job also needs and
//!   checks the requirements of each hashed requirement, recursively
//!   through hashed ones (the closure) — as on CircleCI, where the skipped
//!   job's no-op stand-in is blocked by a failed requirement.
//! - A job's gate `approve_<id>` with `requires_any` triggers is no job on
//!   GitHub: the job needs its triggers and runs when every term of any
//!   one trigger holds. Triggers that wait for the job itself
//!   (`plan::waits`) are left out (the `needs` would be cyclic), and so is
//!   a trigger naming another such gate; a hand gate (`approval: true`)
//!   next to triggers is left out (GitHub starts a job only once all its
//!   needs finished, so an unapproved gate would hold the OR forever).
//!   Without triggers the gate is an approval job like a stage's.
//! - Shims are CircleCI's; they are no job here.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::conditions::{Condition, SETUP, Term, github_result};
use super::filters::Filters;
use crate::error::{ConfigError, Result};
use crate::model::{Job, Workflow};
use crate::plan::{Node, NodeKind, WorkflowPlan};

/// What one GitHub job is.
#[derive(Debug, Clone, Copy)]
pub(super) enum Role<'p> {
    /// A user job variant; `records`: it ends with the record steps.
    Variant {
        job: &'p Job,
        arch: &'p str,
        hashed: bool,
        records: bool,
    },
    /// A stage approval or a hand gate: a job with an `environment`.
    Approval,
    /// Records the success of the parallel variant `of`.
    Record { of: &'p str },
    /// `setup.required_check`.
    Check,
}

/// One GitHub job with its wiring.
#[derive(Debug, Clone)]
pub(super) struct Wired<'p> {
    pub id: &'p str,
    pub role: Role<'p>,
    pub needs: Vec<String>,
    pub condition: Condition,
}

/// How a job's gate `approve_<id>` is met on GitHub.
#[derive(Debug, Clone)]
enum Gate {
    /// An approval job.
    Hand,
    /// No job: any one group of trigger targets passing.
    Any(Vec<Vec<String>>),
}

/// Everything the wiring of one plan reads.
struct Wiring<'p> {
    by_id: HashMap<&'p str, &'p Node>,
    gates: HashMap<&'p str, Gate>,
    /// The dynamic workflow: `cigen_setup` exists and variants may be hashed.
    dynamic: bool,
    full: HashMap<String, Vec<Term>>,
}

/// The GitHub jobs of `plan`, wired. `dynamic`: the workflow with
/// `cigen_setup`; `workflow_clause`: a clause every job's condition adds.
pub(super) fn wire<'p>(
    workflow: &'p Workflow,
    plan: &'p WorkflowPlan,
    dynamic: bool,
    workflow_clause: Option<&str>,
    filters: &Filters,
) -> Result<Vec<Wired<'p>>> {
    let mut wiring = Wiring {
        by_id: plan.nodes.iter().map(|n| (n.id.as_str(), n)).collect(),
        gates: gates(workflow, plan)?,
        dynamic,
        full: HashMap::new(),
    };
    let mut wired = vec![];
    for node in &plan.nodes {
        let Some(role) = wiring.role(workflow, node) else {
            continue;
        };
        let (needs, mut condition) = match role {
            Role::Record { of } => wiring.record(of),
            Role::Check => wiring.check(node),
            Role::Variant { hashed, .. } => {
                let (needs, mut condition) = wiring.requiring(node);
                condition.own_gate = hashed.then(|| node.id.clone());
                condition.filter = filters.term(&node.id).map(str::to_string);
                (needs, condition)
            }
            Role::Approval => {
                let (needs, mut condition) = wiring.requiring(node);
                condition.filter = filters.term(&node.id).map(str::to_string);
                (needs, condition)
            }
        };
        condition.workflow = workflow_clause.map(str::to_string);
        wired.push(Wired {
            id: &node.id,
            role,
            needs,
            condition,
        });
    }
    Ok(wired)
}

impl<'p> Wiring<'p> {
    fn role(&self, workflow: &'p Workflow, node: &'p Node) -> Option<Role<'p>> {
        match &node.kind {
            NodeKind::Variant {
                job, arch, hashed, ..
            } => {
                let job = workflow.job(job)?;
                let hashed = *hashed && self.dynamic;
                Some(Role::Variant {
                    job,
                    arch,
                    hashed,
                    records: hashed && !job.records_apart(),
                })
            }
            NodeKind::Approval { .. } => match self.gates.get(node.id.as_str()) {
                Some(Gate::Any(_)) => None,
                _ => Some(Role::Approval),
            },
            NodeKind::Record { of } => Some(Role::Record { of }),
            NodeKind::Check => Some(Role::Check),
            NodeKind::Shim { .. } | NodeKind::Summary { .. } => None,
        }
    }

    fn hashed(&self, id: &str) -> bool {
        self.dynamic
            && self
                .by_id
                .get(id)
                .is_some_and(|n| matches!(n.kind, NodeKind::Variant { hashed: true, .. }))
    }

    /// `needs` and condition of a variant or approval from its requirements.
    fn requiring(&mut self, node: &Node) -> (Vec<String>, Condition) {
        let direct = self.direct(node);
        let always = direct.iter().any(|term| {
            matches!(term, Term::Status { results, .. }
                if results.iter().any(|r| *r == "failure" || *r == "cancelled"))
        });
        let terms = self.close(direct);
        let condition = Condition {
            always,
            setup: self.dynamic,
            terms,
            ..Condition::default()
        };
        (self.needs(&condition.terms), condition)
    }

    /// A record job: after its variant passed.
    fn record(&self, of: &str) -> (Vec<String>, Condition) {
        let terms = vec![Term::Ok {
            id: of.to_string(),
            hashed: false,
        }];
        let condition = Condition {
            setup: true,
            terms,
            ..Condition::default()
        };
        (self.needs(&condition.terms), condition)
    }

    /// The required check: after everything it covers, whatever happened.
    /// It covers the plan's check node's requirements and, on GitHub, the
    /// variants behind a gate met by triggers (no job there waits for a
    /// person) unless a trigger of it is behind an approval job.
    fn check(&self, node: &Node) -> (Vec<String>, Condition) {
        let mut ids: Vec<&str> = node.requires.iter().map(|e| e.target.as_str()).collect();
        let mut memo = HashMap::new();
        let mut variants: Vec<&Node> = self
            .by_id
            .values()
            .copied()
            .filter(|n| matches!(n.kind, NodeKind::Variant { .. }))
            .collect();
        variants.sort_by(|a, b| a.id.cmp(&b.id));
        for variant in variants {
            if !ids.contains(&variant.id.as_str()) && !self.behind_hand(&variant.id, &mut memo) {
                ids.push(&variant.id);
            }
        }
        let terms: Vec<Term> = ids
            .into_iter()
            .map(|id| Term::Ok {
                id: id.to_string(),
                hashed: false,
            })
            .collect();
        let needs = self.needs(&terms);
        let condition = Condition {
            always: true,
            ..Condition::default()
        };
        (needs, condition)
    }

    /// Whether `id` transitively requires an approval job GitHub keeps (a
    /// stage approval or a hand gate); a gate met by triggers counts as
    /// its triggers.
    fn behind_hand<'a>(&'a self, id: &'a str, memo: &mut HashMap<&'a str, bool>) -> bool {
        if let Some(known) = memo.get(id) {
            return *known;
        }
        memo.insert(id, false); // the plan is acyclic; this only stops a revisit
        let Some(node) = self.by_id.get(id) else {
            return false;
        };
        let behind = match (&node.kind, self.gates.get(id)) {
            (NodeKind::Approval { .. }, Some(Gate::Any(groups))) => groups
                .iter()
                .flatten()
                .any(|trigger| self.behind_hand(trigger, memo)),
            (NodeKind::Approval { .. }, _) => true,
            _ => node
                .requires
                .iter()
                .any(|edge| self.behind_hand(&edge.target, memo)),
        };
        memo.insert(id, behind);
        behind
    }

    /// `cigen_setup` (dynamic workflow), then every job the terms read.
    fn needs(&self, terms: &[Term]) -> Vec<String> {
        let mut needs: Vec<String> = vec![];
        if self.dynamic {
            needs.push(SETUP.to_string());
        }
        for id in terms.iter().flat_map(Term::ids) {
            if !needs.iter().any(|n| n == id) {
                needs.push(id.to_string());
            }
        }
        needs
    }

    /// The node's own requirements as terms (a gate met by triggers
    /// becomes their `Any`).
    fn direct(&self, node: &Node) -> Vec<Term> {
        let mut terms = vec![];
        for edge in &node.requires {
            let target = edge.target.as_str();
            let term = match (self.gates.get(target), &edge.statuses) {
                (Some(Gate::Any(groups)), _) => Term::Any(
                    groups
                        .iter()
                        .map(|group| {
                            group
                                .iter()
                                .map(|id| Term::Ok {
                                    id: id.clone(),
                                    hashed: self.hashed(id),
                                })
                                .collect()
                        })
                        .collect(),
                ),
                (_, Some(statuses)) => Term::Status {
                    id: edge.target.clone(),
                    results: statuses.iter().filter_map(|s| github_result(s)).collect(),
                    hashed: self.hashed(target),
                },
                (_, None) => Term::Ok {
                    id: edge.target.clone(),
                    hashed: self.hashed(target),
                },
            };
            push(&mut terms, term);
        }
        terms
    }

    /// `terms` with, after each hashed requirement, the full terms of that
    /// requirement (and so on through hashed ones), inside `Any` groups too.
    fn close(&mut self, terms: Vec<Term>) -> Vec<Term> {
        let mut closed = Terms::default();
        for term in terms {
            match term {
                Term::Ok { ref id, hashed } => {
                    let id = id.clone();
                    closed.push(term);
                    if hashed {
                        closed.extend(self.full(&id));
                    }
                }
                Term::Any(groups) => {
                    let groups = groups.into_iter().map(|g| self.close(g)).collect();
                    closed.push(Term::Any(groups));
                }
                // A cigen-skipped requirement whose success is accepted
                // counts only when its own terms hold (its stand-in on
                // CircleCI would be blocked otherwise); when it ran, they held.
                Term::Status {
                    ref id,
                    ref results,
                    hashed: true,
                } if results.contains(&"success") && !results.contains(&"skipped") => {
                    let id = id.clone();
                    closed.push(term);
                    closed.extend(self.full(&id));
                }
                Term::Status { .. } => closed.push(term),
            }
        }
        closed.list
    }

    /// Every term node `id`'s condition checks (memoised; the plan is acyclic).
    fn full(&mut self, id: &str) -> Vec<Term> {
        if let Some(terms) = self.full.get(id) {
            return terms.clone();
        }
        let Some(node) = self.by_id.get(id).copied() else {
            return vec![];
        };
        let direct = self.direct(node);
        let terms = self.close(direct);
        self.full.insert(id.to_string(), terms.clone());
        terms
    }
}

fn push(terms: &mut Vec<Term>, term: Term) {
    if !terms.contains(&term) {
        terms.push(term);
    }
}

/// Terms in first-seen order, each once; the set keeps a closure of
/// hundreds of terms from comparing each new one with all before it.
#[derive(Default)]
struct Terms {
    list: Vec<Term>,
    seen: HashSet<Term>,
}

impl Terms {
    fn push(&mut self, term: Term) {
        if self.seen.insert(term.clone()) {
            self.list.push(term);
        }
    }

    fn extend(&mut self, terms: Vec<Term>) {
        for term in terms {
            self.push(term);
        }
    }
}

/// How each job gate of the plan is met on GitHub (see the module doc).
fn gates<'p>(workflow: &Workflow, plan: &'p WorkflowPlan) -> Result<HashMap<&'p str, Gate>> {
    let waiting = crate::plan::waits::self_waiting_shims(plan);
    let gate_ids: BTreeSet<&str> = plan.gates().map(|(gate, _)| gate.id.as_str()).collect();
    let mut gates = HashMap::new();
    for (node, job) in plan.gates() {
        let groups: Vec<Vec<String>> = plan
            .nodes
            .iter()
            .filter(|shim| {
                matches!(&shim.kind, NodeKind::Shim { gate, .. } if *gate == node.id)
                    && !waiting.contains(&shim.id)
            })
            .map(|shim| shim.requires.iter().map(|e| e.target.clone()).collect())
            .filter(|group: &Vec<String>| !group.iter().any(|t| gate_ids.contains(t.as_str())))
            .collect();
        let gate = if groups.is_empty() {
            hand_gate(workflow, job)?
        } else {
            Gate::Any(groups)
        };
        gates.insert(node.id.as_str(), gate);
    }
    Ok(gates)
}

/// A gate left with no trigger GitHub can wait for: an approval job when
/// a person may approve it, else an error.
fn hand_gate(workflow: &Workflow, job: &str) -> Result<Gate> {
    match workflow.job(job) {
        Some(job) if !job.approval && !job.requires_any.is_empty() => Err(ConfigError::new(
            &job.file,
            "requires_any",
            format!(
                "job `{}` has no trigger GitHub Actions can wait for: each names another `requires_any` job's gate or waits for the job itself",
                job.id
            ),
        )
        .line(job.line)
        .hint(Some(
            "list the jobs themselves as triggers, or add `approval: true`".into(),
        ))
        .into()),
        _ => Ok(Gate::Hand),
    }
}
