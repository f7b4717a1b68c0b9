//! How variant hashes react to edits, config and options: exactly the
//! variants whose inputs changed (and their downstream) get new hashes;
//! errors name the variant and pattern; work is done once per run.

use std::collections::BTreeSet;

use cigen::hash::{self, HashError, HashInput, HashOptions};

use crate::hashsupport::{Repo, TestResult, compute, expected, input, only};

/// app ← test ← deploy chain, plus an independent lint and docs job, and
/// a two-arch image build; patterns overlap the way real ones do.
fn pipeline() -> Vec<HashInput> {
    vec![
        input(
            "deploy",
            "amd64",
            &["deploy/**"],
            &["image_amd64", "image_arm64"],
        ),
        input(
            "image_amd64",
            "amd64",
            &["app/**/*.rb", "Dockerfile"],
            &["test"],
        ),
        input(
            "image_arm64",
            "arm64",
            &["app/**/*.rb", "Dockerfile"],
            &["test"],
        ),
        input("test", "amd64", &["app/**/*.rb", "spec/**", "lib/**"], &[]),
        input("lint", "amd64", &["app/**/*.rb", "lib/**/*.rb"], &[]),
        input("docs", "amd64", &["docs/*.md"], &[]),
    ]
}

fn project() -> Repo {
    let repo = Repo::new();
    repo.write("app/models/user.rb", "class User; end\n")
        .write("app/views/index.erb", "<p>\n")
        .write("lib/tool.rb", "module Tool; end\n")
        .write("lib/data.json", "{}\n")
        .write("spec/user_spec.rb", "describe User\n")
        .write("docs/guide.md", "guide\n")
        .write("docs/deep/notes.md", "not matched by docs/*.md\n")
        .write("deploy/run.sh", "deploy\n")
        .write("Dockerfile", "FROM scratch\n")
        .write("README.md", "readme\n");
    repo.commit_all();
    repo
}

fn changed(before: &hash::HashReport, after: &hash::HashReport) -> BTreeSet<String> {
    before
        .hashes
        .iter()
        .filter(|(id, hash)| after.hashes.get(*id) != Some(*hash))
        .map(|(id, _)| id.clone())
        .collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|id| id.to_string()).collect()
}

#[test]
fn hashes_follow_the_documented_format_with_upstream_chaining() -> TestResult {
    let repo = project();
    let inputs = pipeline();
    let report = compute(repo.path(), &inputs)?;
    let git = repo.index_entries();
    let test = &inputs[3];
    let test_files = only(&git, |p| {
        (p.starts_with("app/") && p.ends_with(".rb"))
            || p.starts_with("spec/")
            || p.starts_with("lib/")
    });
    assert_eq!(
        report.hashes["test"],
        expected(test, &test_files, &[], None)
    );
    let image = &inputs[1];
    let image_files = only(&git, |p| {
        (p.starts_with("app/") && p.ends_with(".rb")) || p == "Dockerfile"
    });
    let upstream = [("test", report.hashes["test"].as_str())];
    assert_eq!(
        report.hashes["image_amd64"],
        expected(image, &image_files, &upstream, None)
    );
    // input order is kept in the report
    let order: Vec<&str> = report.hashes.keys().map(String::as_str).collect();
    assert_eq!(
        order,
        [
            "deploy",
            "image_amd64",
            "image_arm64",
            "test",
            "lint",
            "docs"
        ]
    );
    Ok(())
}

#[test]
fn editing_a_matched_file_changes_its_variants_and_their_downstream_only() -> TestResult {
    let repo = project();
    let before = compute(repo.path(), &pipeline())?;

    repo.write("spec/user_spec.rb", "describe User do end\n");
    let after = compute(repo.path(), &pipeline())?;
    assert_eq!(
        changed(&before, &after),
        set(&["test", "image_amd64", "image_arm64", "deploy"])
    );

    repo.write("spec/user_spec.rb", "describe User\n"); // back to committed content
    let reverted = compute(repo.path(), &pipeline())?;
    assert_eq!(
        reverted.hashes, before.hashes,
        "content, not timestamps, decides"
    );

    repo.write("lib/tool.rb", "module Tool; VERSION = 2; end\n");
    let lib = compute(repo.path(), &pipeline())?;
    assert_eq!(
        changed(&before, &lib),
        set(&["test", "lint", "image_amd64", "image_arm64", "deploy"])
    );

    repo.write("docs/guide.md", "guide v2\n");
    let docs = compute(repo.path(), &pipeline())?;
    assert_eq!(changed(&lib, &docs), set(&["docs"]));
    Ok(())
}

#[test]
fn editing_or_adding_unmatched_files_changes_nothing() -> TestResult {
    let repo = project();
    let before = compute(repo.path(), &pipeline())?;
    repo.write("README.md", "new readme\n")
        .write("docs/deep/notes.md", "edited\n")
        .write("app/views/index.erb", "<div>\n")
        .write("notes.txt", "untracked, unmatched\n");
    let after = compute(repo.path(), &pipeline())?;
    assert_eq!(changed(&before, &after), set(&[]));

    // Deleting a file only `test`'s `lib/**` matches: test and downstream.
    std::fs::remove_file(repo.join("lib/data.json"))?;
    let deleted = compute(repo.path(), &pipeline())?;
    assert_eq!(
        changed(&before, &deleted),
        set(&["test", "image_amd64", "image_arm64", "deploy"])
    );
    repo.write("lib/data.json", "{}\n");
    let restored = compute(repo.path(), &pipeline())?;
    assert_eq!(restored.hashes, before.hashes);
    Ok(())
}

#[test]
fn canonical_job_arch_and_salt_all_count() -> TestResult {
    let repo = project();
    let base = compute(repo.path(), &pipeline())?;

    let mut edited = pipeline();
    edited[4].canonical_job = b"job: lint\nresource_class: large\n".to_vec();
    let after = compute(repo.path(), &edited)?;
    assert_eq!(changed(&base, &after), set(&["lint"]));

    // the two arch variants have the same files and upstream, yet differ
    assert_ne!(base.hashes["image_amd64"], base.hashes["image_arm64"]);

    let salted = |salt: &str| {
        hash::compute(
            repo.path(),
            &pipeline(),
            &HashOptions {
                salt: Some(salt.into()),
            },
        )
    };
    let one = salted("1")?;
    let two = salted("2")?;
    assert_eq!(changed(&base, &one).len(), 6);
    assert_eq!(changed(&one, &two).len(), 6);
    assert_eq!(
        changed(&base, &salted("")?).len(),
        6,
        "an empty salt is still a salt"
    );
    Ok(())
}

#[test]
fn input_order_does_not_change_hashes() -> TestResult {
    let repo = project();
    let forward = compute(repo.path(), &pipeline())?;
    let mut reversed = pipeline();
    reversed.reverse();
    let backward = compute(repo.path(), &reversed)?;
    assert_eq!(forward.hashes.len(), pipeline().len());
    assert_eq!(backward.hashes.len(), forward.hashes.len());
    for (id, hash) in &forward.hashes {
        assert_eq!(backward.hashes.get(id), Some(hash), "{id}");
    }
    Ok(())
}

#[test]
fn a_plain_directory_hashes_like_the_git_checkout() -> TestResult {
    let repo = project();
    repo.write(".gitignore", "*.log\nbuild/\n")
        .write("app/models/new.rb", "untracked but not ignored\n")
        .write("app/models/debug.log", "ignored\n")
        .write("build/out.rb", "ignored dir\n");
    repo.chmod("deploy/run.sh", 0o755);
    std::os::unix::fs::symlink("user.rb", repo.join("app/models/alias.rb"))?;
    let in_git = compute(repo.path(), &pipeline())?;

    let copy = tempfile::tempdir()?;
    let out = std::process::Command::new("cp")
        .args(["-a", "."])
        .arg(copy.path())
        .current_dir(repo.path())
        .output()?;
    assert!(out.status.success());
    std::fs::remove_dir_all(copy.path().join(".git"))?;
    let plain = compute(copy.path(), &pipeline())?;
    assert_eq!(plain.hashes, in_git.hashes);
    assert_eq!(plain.stats.index_reads, 0);
    assert_eq!(plain.stats.files_from_index, 0);
    assert_eq!(plain.stats.files_matched, in_git.stats.files_matched);
    Ok(())
}

#[test]
fn every_file_is_hashed_once_and_the_index_read_once() -> TestResult {
    let repo = project();
    repo.write("app/models/user.rb", "class User; def dirty; end; end\n")
        .write("app/models/extra.rb", "untracked\n");
    let mut inputs: Vec<HashInput> = (0..20)
        .map(|n| {
            input(
                &format!("node_{n}"),
                "amd64",
                &["app/**/*.rb", "app/models/*.rb", "**/*.rb"],
                &[],
            )
        })
        .collect();
    inputs.push(input("all", "amd64", &["**"], &[]));
    let report = compute(repo.path(), &inputs)?;
    let stats = report.stats;
    assert_eq!(stats.index_reads, 1);
    assert_eq!(stats.files_hashed_from_content, 2, "{stats:?}");
    let all_files = repo.as_git_sees_it().len();
    assert_eq!(stats.files_matched, all_files);
    assert_eq!(
        stats.files_from_index + stats.files_hashed_from_content,
        all_files
    );
    Ok(())
}

#[test]
fn a_pattern_matching_nothing_names_variant_and_pattern() -> TestResult {
    let repo = project();
    let mut inputs = pipeline();
    inputs[5].patterns.push("docs/**/*.rst".into());
    let err = compute(repo.path(), &inputs)
        .err()
        .ok_or("expected an error")?;
    assert_eq!(
        err,
        HashError::NoMatch {
            variant: "docs".into(),
            pattern: "docs/**/*.rst".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "source pattern `docs/**/*.rst` of job `docs` matches no file"
    );

    // `*` stays within one directory, so this typo-like pattern fails too
    let star = compute(repo.path(), &[input("s", "amd64", &["app/*.rb"], &[])]);
    assert!(matches!(star, Err(HashError::NoMatch { .. })));
    // a file that is deleted no longer matches
    std::fs::remove_file(repo.join("Dockerfile"))?;
    let gone = compute(repo.path(), &[input("d", "amd64", &["Dockerfile"], &[])]);
    assert!(matches!(gone, Err(HashError::NoMatch { .. })));
    Ok(())
}

#[test]
fn bad_patterns_cycles_and_broken_inputs_are_errors() -> TestResult {
    let repo = project();
    let bad = compute(repo.path(), &[input("b", "amd64", &["app/[z-a].rb"], &[])]);
    assert!(matches!(bad, Err(HashError::BadPattern { ref variant, .. }) if variant == "b"));
    let abs = compute(repo.path(), &[input("b", "amd64", &["/etc/passwd"], &[])]);
    assert!(matches!(abs, Err(HashError::BadPattern { .. })));
    let up = compute(repo.path(), &[input("b", "amd64", &["../x"], &[])]);
    assert!(matches!(up, Err(HashError::BadPattern { .. })));

    let cycle = compute(
        repo.path(),
        &[
            input("a", "amd64", &["**"], &["c"]),
            input("b", "amd64", &["**"], &["a"]),
            input("c", "amd64", &["**"], &["b"]),
        ],
    );
    let Err(HashError::Cycle(ids)) = cycle else {
        return Err("expected a cycle".into());
    };
    assert_eq!(ids, ["a", "b", "c", "a"]);
    assert_eq!(
        HashError::Cycle(ids).to_string(),
        "hashed jobs depend on each other in a cycle: a -> b -> c -> a"
    );

    let unknown = compute(repo.path(), &[input("a", "amd64", &["**"], &["nope"])]);
    let Err(error @ HashError::Internal(_)) = unknown else {
        return Err(format!("expected HashError::Internal, got {unknown:?}").into());
    };
    assert_eq!(
        error.to_string(),
        "invalid hash input: variant `a` lists upstream `nope`, which is not a hashed variant"
    );
    Ok(())
}

#[test]
fn excluded_directories_still_count_their_tracked_files() -> TestResult {
    let repo = project();
    repo.write("vendor/kept.rb", "force-added\n");
    repo.git(&["add", "vendor/kept.rb"]);
    repo.write(".gitignore", "vendor/\n");
    repo.commit_all();
    repo.write("vendor/untracked.rb", "ignored: vendor/ is excluded\n");
    let variant = input("v", "amd64", &["vendor/**"], &[]);
    let report = compute(repo.path(), std::slice::from_ref(&variant))?;
    let git = only(&repo.as_git_sees_it(), |p| p.starts_with("vendor/"));
    assert_eq!(git.len(), 1);
    assert_eq!(report.hashes["v"], expected(&variant, &git, &[], None));
    repo.write("vendor/kept.rb", "edited\n");
    assert_ne!(compute(repo.path(), &[variant])?.hashes, report.hashes);
    Ok(())
}

#[test]
fn a_missing_root_is_an_io_error_not_a_no_match() {
    let missing = std::path::Path::new("/nonexistent/cigen-hash-root");
    let err = compute(missing, &[input("a", "amd64", &["**"], &[])]);
    assert!(matches!(err, Err(HashError::Io { ref path, .. }) if path == missing));
}
