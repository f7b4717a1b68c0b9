//! Benchmark driver for `scripts/bench-hash.sh`: reads a JSON list of
//! variants, runs `cigen::hash::compute` once on a repository and
//! prints the report as JSON (what `cigen hash --json` will print).
//!
//! usage: bench_hash REPO VARIANTS.json [SALT]

use std::path::PathBuf;
use std::process::ExitCode;

use cigen::hash::{self, HashInput, HashOptions};
use serde::Deserialize;

#[derive(Deserialize)]
struct Variant {
    variant_id: String,
    job_name: String,
    arch: String,
    canonical_job: String,
    patterns: Vec<String>,
    upstream: Vec<String>,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let (Some(repo), Some(spec)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: bench_hash REPO VARIANTS.json [SALT]");
    };
    let salt = args.next().map(|s| s.to_string_lossy().into_owned());
    let text = std::fs::read_to_string(PathBuf::from(&spec))?;
    let variants: Vec<Variant> = serde_json::from_str(&text)?;
    let inputs: Vec<HashInput> = variants
        .into_iter()
        .map(|v| HashInput {
            variant_id: v.variant_id,
            job_name: v.job_name,
            arch: v.arch,
            canonical_job: v.canonical_job.into_bytes(),
            patterns: v.patterns,
            upstream: v.upstream,
        })
        .collect();
    let report = hash::compute(&PathBuf::from(repo), &inputs, &HashOptions { salt })?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
