//! `cigen plan`: the job graph as a table (every workflow) or as a picture
//! of one workflow (Graphviz DOT or Mermaid). Read-only.

use std::path::Path;

use crate::cli::PlanFormat;
use crate::error::Result;
use crate::model::Project;
use crate::plan::{Node, NodeKind, WorkflowPlan};

pub(super) fn run(config: Option<&Path>, format: PlanFormat, workflow: Option<&str>) -> Result<()> {
    let (project, plans) = super::load_and_warn(config)?;
    let only = workflow
        .map(|name| super::workflow_named(&project, &plans, name))
        .transpose()?;
    let text = match format {
        PlanFormat::Table => table(&project, &plans, only.map(|(w, _)| w.name.as_str())),
        PlanFormat::Dot | PlanFormat::Mermaid => {
            let (_, plan) = match only {
                Some(found) => found,
                None => super::dynamic(&project, &plans)?,
            };
            if format == PlanFormat::Dot {
                dot(plan)
            } else {
                mermaid(plan)
            }
        }
    };
    crate::out!("{text}");
    Ok(())
}

fn kind(node: &Node) -> (&str, &str) {
    match &node.kind {
        NodeKind::Variant { arch, hashed, .. } => {
            (arch.as_str(), if *hashed { "yes" } else { "no" })
        }
        NodeKind::Approval { .. } => ("-", "approval"),
        NodeKind::Shim { .. } => ("-", "shim"),
        NodeKind::Record { .. } => ("-", "record"),
        NodeKind::Check => ("-", "check"),
        NodeKind::Summary { .. } => ("-", "summary"),
    }
}

/// Every workflow's table, or only `only`'s.
pub(super) fn table(project: &Project, plans: &[WorkflowPlan], only: Option<&str>) -> String {
    let mut out = String::new();
    for (workflow, plan) in project.workflows.iter().zip(plans) {
        if only.is_some_and(|name| name != workflow.name) {
            continue;
        }
        let place = match &workflow.trigger {
            Some(parameter) => format!("config.yml, when `{parameter}` is true"),
            None => "main.yml, continued by the setup job".to_string(),
        };
        out.push_str(&format!("workflow {} ({place})\n", workflow.name));
        let mut rows = vec![["JOB", "STAGE", "ARCH", "HASHED", "REQUIRES"].map(String::from)];
        for node in &plan.nodes {
            let (arch, mut hashed) = kind(node);
            // An immediate workflow's jobs always run: nothing there is hashed.
            if workflow.trigger.is_some() && hashed == "yes" {
                hashed = "no";
            }
            let requires: Vec<String> = node
                .requires
                .iter()
                .map(|e| match &e.statuses {
                    Some(statuses) => format!("{} [{}]", e.target, statuses.join(",")),
                    None => e.target.clone(),
                })
                .collect();
            rows.push([
                node.id.clone(),
                node.stage.clone().unwrap_or_else(|| "-".into()),
                arch.to_string(),
                hashed.to_string(),
                if requires.is_empty() {
                    "-".into()
                } else {
                    requires.join(", ")
                },
            ]);
        }
        let widths: Vec<usize> = (0..4)
            .map(|col| rows.iter().map(|r| r[col].len()).max().unwrap_or(0))
            .collect();
        for row in rows {
            let mut line = String::from("  ");
            for (col, width) in widths.iter().enumerate() {
                line.push_str(&format!("{:width$}  ", row[col], width = width));
            }
            line.push_str(&row[4]);
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

pub(super) fn dot(plan: &WorkflowPlan) -> String {
    let mut out = format!("digraph \"{}\" {{\n  rankdir=LR;\n", plan.name);
    for node in &plan.nodes {
        let shape = match node.kind {
            NodeKind::Variant { hashed: true, .. } => "box, style=bold",
            NodeKind::Variant { .. } => "box",
            NodeKind::Approval { .. } => "diamond",
            NodeKind::Shim { .. } => "ellipse, style=dashed",
            NodeKind::Record { .. } => "note",
            NodeKind::Check | NodeKind::Summary { .. } => "octagon",
        };
        out.push_str(&format!("  \"{}\" [shape={shape}];\n", node.id));
    }
    for node in &plan.nodes {
        for edge in &node.requires {
            out.push_str(&format!("  \"{}\" -> \"{}\";\n", edge.target, node.id));
        }
        if let NodeKind::Shim { gate, .. } = &node.kind {
            out.push_str(&format!(
                "  \"{}\" -> \"{gate}\" [style=dashed, label=\"approves\"];\n",
                node.id
            ));
        }
    }
    out.push_str("}\n");
    out
}

pub(super) fn mermaid(plan: &WorkflowPlan) -> String {
    let mut out = String::from("flowchart LR\n");
    for node in &plan.nodes {
        let id = &node.id;
        out.push_str(&match node.kind {
            NodeKind::Variant { .. } => format!("  {id}[{id}]\n"),
            NodeKind::Approval { .. } => format!("  {id}{{{id}}}\n"),
            NodeKind::Shim { .. } => format!("  {id}([{id}])\n"),
            NodeKind::Record { .. } => format!("  {id}[/{id}/]\n"),
            NodeKind::Check | NodeKind::Summary { .. } => format!("  {id}{{{{{id}}}}}\n"),
        });
    }
    for node in &plan.nodes {
        for edge in &node.requires {
            out.push_str(&format!("  {} --> {}\n", edge.target, node.id));
        }
        if let NodeKind::Shim { gate, .. } = &node.kind {
            out.push_str(&format!("  {} -.->|approves| {gate}\n", node.id));
        }
    }
    out
}
