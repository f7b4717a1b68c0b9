//! `cigen plan`: the table and the DOT / Mermaid pictures of the graph.

use crate::common::*;

fn plan(repo: &Repo, args: &[&str]) -> String {
    let output = repo.cigen().arg("plan").args(args).output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
}

#[test]
fn table_lists_every_node_with_stage_arch_hashed_and_requires() {
    let out = plan(&Repo::seed(), &[]);
    assert!(out.contains("workflow main (main.yml, continued by the setup job)"));
    assert!(
        out.contains(
            "workflow package_updates (config.yml, when `check_package_versions` is true)"
        )
    );
    let row = out
        .lines()
        .find(|l| l.trim_start().starts_with("test_rspec_arm64 "))
        .expect("row");
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cols[..4], ["test_rspec_arm64", "test", "arm64", "yes"]);
    assert!(row.contains("install_gems, install_node_modules"));
    let approval = out
        .lines()
        .find(|l| l.trim_start().starts_with("approve_deploy_eu "))
        .expect("row");
    assert!(approval.contains("approval"));
    assert!(
        out.lines()
            .any(|l| l.contains("deploy_eu_deploy [success,failed,canceled]"))
    );
    let shim = out
        .lines()
        .find(|l| {
            l.trim_start()
                .starts_with("approve_build_app_image_after_approve_deploy_staging")
        })
        .expect("shim");
    assert!(shim.contains("shim"));
}

#[test]
fn dot_and_mermaid_draw_edges_from_requirement_to_dependent() {
    let repo = Repo::seed();
    let dot = plan(&repo, &["--format", "dot"]);
    assert!(dot.starts_with("digraph \"main\" {"));
    assert!(dot.contains("\"build_app_image_arm64\" -> \"build_app_manifest\";"));
    assert!(dot.contains("\"approve_deploy_eu\" [shape=diamond];"));
    assert!(dot.contains("-> \"approve_build_app_image\" [style=dashed, label=\"approves\"]"));
    assert!(dot.trim_end().ends_with('}'));
    let mermaid = plan(&repo, &["--format", "mermaid", "--workflow", "main"]);
    assert!(mermaid.starts_with("flowchart LR\n"));
    assert!(mermaid.contains("  build_app_image_amd64 --> build_app_manifest\n"));
    assert!(mermaid.contains("  approve_deploy_staging{approve_deploy_staging}\n"));
    let other = plan(&repo, &["--format", "dot", "--workflow", "package_updates"]);
    assert!(other.contains("\"outdated\" [shape=box];"));
}

#[test]
fn a_parallel_jobs_record_job_is_drawn_after_it_in_every_format() {
    let repo = Repo::seed();
    let table = plan(&repo, &[]);
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let at = rows
        .iter()
        .position(|r| r.first() == Some(&"test_rspec_amd64"))
        .expect("variant row");
    assert_eq!(
        rows[at + 1],
        [
            "test_rspec_amd64_record",
            "test",
            "-",
            "record",
            "test_rspec_amd64"
        ]
    );
    assert!(!table.contains("test_jest_record"));
    let dot = plan(&repo, &["--format", "dot"]);
    assert!(dot.contains("\"test_rspec_arm64_record\" [shape=note];"));
    assert!(dot.contains("\"test_rspec_arm64\" -> \"test_rspec_arm64_record\";"));
    let mermaid = plan(&repo, &["--format", "mermaid"]);
    assert!(mermaid.contains("  test_rspec_arm64_record[/test_rspec_arm64_record/]\n"));
    assert!(mermaid.contains("  test_rspec_arm64 --> test_rspec_arm64_record\n"));
}
