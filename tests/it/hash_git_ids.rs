//! Which files enter a hash and with which id: each scenario builds a real
//! repository with the git CLI and checks cigen's hash against the hash
//! computed from what git reports (`ls-files -s`, `hash-object`).

use std::os::unix::fs::MetadataExt;

use crate::hashsupport::{self, Repo, TestResult, compute, expected, hash_object, input, only};

/// A small repository: nested sources, an executable, a symlink.
fn sample() -> Repo {
    let repo = Repo::new();
    repo.write("app/models/user.rb", "class User; end\n")
        .write("app/models/deep/er/account.rb", "class Account; end\n")
        .write("lib/tool.rb", "module Tool; end\n")
        .write("bin/run", "#!/bin/sh\necho run\n")
        .write("README.md", "readme\n")
        .write(".gitignore", "*.log\ntmp/\n");
    repo.chmod("bin/run", 0o755);
    repo.symlink("user.rb", "app/models/link.rb");
    repo.commit_all();
    repo
}

fn everything() -> cigen::hash::HashInput {
    input("all", "amd64", &["**"], &[])
}

#[test]
fn clean_checkout_uses_index_ids_and_matches_git() -> TestResult {
    let repo = sample();
    let report = compute(repo.path(), &[everything()])?;
    let git = repo.index_entries();
    assert_eq!(
        report.hashes["all"],
        expected(&everything(), &git, &[], None)
    );
    assert_eq!(report.stats.index_reads, 1);
    assert_eq!(report.stats.files_matched, git.len());
    assert_eq!(report.stats.files_from_index, git.len());
    assert_eq!(report.stats.files_hashed_from_content, 0);
    assert!(
        git.iter()
            .any(|f| f.mode == 0o100755 && f.path == "bin/run")
    );
    assert!(
        git.iter()
            .any(|f| f.mode == 0o120000 && f.path == "app/models/link.rb")
    );
    Ok(())
}

#[test]
fn a_file_edited_after_add_is_hashed_from_content() -> TestResult {
    let repo = sample();
    repo.write("lib/tool.rb", "module Tool; def x; end; end\n");
    let report = compute(repo.path(), &[everything()])?;
    let git = repo.as_git_sees_it();
    let tool = git
        .iter()
        .find(|f| f.path == "lib/tool.rb")
        .ok_or("tool.rb")?;
    assert_eq!(tool.id, hash_object(&repo, "lib/tool.rb"));
    assert_eq!(
        report.hashes["all"],
        expected(&everything(), &git, &[], None)
    );
    assert_eq!(report.stats.files_hashed_from_content, 1);
    Ok(())
}

/// Rewrites the stat data of index entry `rel` to describe the file as it
/// is now, leaving the recorded id alone: what git's index holds when a
/// file changes within the timestamp granularity of the index write.
fn restat_index_entry(repo: &Repo, rel: &str) -> TestResult {
    let index_path = repo.join(".git/index");
    let mut index = std::fs::read(&index_path)?;
    assert_eq!(&index[..8], b"DIRC\0\0\0\x02", "test expects a v2 index");
    let meta = std::fs::symlink_metadata(repo.join(rel))?;
    let mut at = 12;
    loop {
        let name_len = usize::from(u16::from_be_bytes([index[at + 60], index[at + 61]]) & 0xfff);
        let name = &index[at + 62..at + 62 + name_len];
        if name == rel.as_bytes() {
            let words = [
                meta.ctime() as u32,
                meta.ctime_nsec() as u32,
                meta.mtime() as u32,
                meta.mtime_nsec() as u32,
            ];
            for (i, w) in words.iter().enumerate() {
                index[at + 4 * i..at + 4 * i + 4].copy_from_slice(&w.to_be_bytes());
            }
            index[at + 20..at + 24].copy_from_slice(&(meta.ino() as u32).to_be_bytes());
            index[at + 36..at + 40].copy_from_slice(&(meta.size() as u32).to_be_bytes());
            break;
        }
        at += (62 + name_len + 8) / 8 * 8;
    }
    std::fs::write(&index_path, index)?;
    Ok(())
}

/// Sets the index file's mtime to the file's mtime plus `offset_ns`.
fn set_index_mtime(repo: &Repo, rel: &str, offset_ns: i128) -> TestResult {
    let meta = std::fs::metadata(repo.join(rel))?;
    let ns = i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()) + offset_ns;
    let stamp = format!("@{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000);
    let out = std::process::Command::new("touch")
        .args(["-m", "-d", &stamp])
        .arg(repo.join(".git/index"))
        .output()?;
    assert!(out.status.success(), "touch failed");
    Ok(())
}

#[test]
fn a_racy_entry_is_hashed_from_content() -> TestResult {
    let repo = sample();
    // Same size, new bytes; then the index claims the new stat data.
    repo.write("lib/tool.rb", "module Tooo; end\n");
    let truth = expected(&everything(), &repo.as_git_sees_it(), &[], None);
    restat_index_entry(&repo, "lib/tool.rb")?;

    // Index written in the same instant as the edit: racy, so content.
    set_index_mtime(&repo, "lib/tool.rb", 0)?;
    let racy = compute(repo.path(), &[everything()])?;
    assert_eq!(racy.hashes["all"], truth);
    assert_eq!(racy.stats.files_hashed_from_content, 1);

    // Control: an index written later is trusted, stale id and all — so the
    // racy rule, not the stat check, is what caught the edit above.
    set_index_mtime(&repo, "lib/tool.rb", 2_000_000_000)?;
    let trusted = compute(repo.path(), &[everything()])?;
    assert_ne!(trusted.hashes["all"], truth);
    assert_eq!(trusted.stats.files_hashed_from_content, 0);
    Ok(())
}

#[test]
fn untracked_files_count_unless_ignored() -> TestResult {
    let repo = sample();
    repo.write("app/models/new.rb", "class New; end\n")
        .write("app/debug.log", "ignored by *.log\n")
        .write("tmp/cache.rb", "ignored directory\n")
        .write("app/secret.rb", "ignored by info/exclude\n")
        .write(".git/info/exclude", "secret.rb\n")
        .write("app/models/deep/.gitignore", "!keep.log\n")
        .write("app/models/deep/keep.log", "re-included\n");
    let report = compute(repo.path(), &[everything()])?;
    let git = repo.as_git_sees_it();
    let paths: Vec<&str> = git.iter().map(|f| f.path.as_str()).collect();
    assert!(paths.contains(&"app/models/new.rb") && paths.contains(&"app/models/deep/keep.log"));
    assert!(
        !paths
            .iter()
            .any(|p| p.ends_with("debug.log") || p.starts_with("tmp/") || p.ends_with("secret.rb"))
    );
    assert_eq!(
        report.hashes["all"],
        expected(&everything(), &git, &[], None)
    );
    assert_eq!(report.stats.files_hashed_from_content, 3);
    Ok(())
}

#[test]
fn a_deleted_tracked_file_drops_out() -> TestResult {
    let repo = sample();
    std::fs::remove_file(repo.join("lib/tool.rb"))?;
    let report = compute(repo.path(), &[everything()])?;
    let git = repo.as_git_sees_it();
    assert!(!git.iter().any(|f| f.path == "lib/tool.rb"));
    assert_eq!(
        report.hashes["all"],
        expected(&everything(), &git, &[], None)
    );
    Ok(())
}

#[test]
fn a_symlink_hashes_as_the_link_not_the_target() -> TestResult {
    let repo = sample();
    let link = input("link", "amd64", &["app/models/link.rb"], &[]);
    let before = compute(repo.path(), std::slice::from_ref(&link))?;
    let git = only(&repo.index_entries(), |p| p == "app/models/link.rb");
    assert_eq!(git[0].mode, 0o120000);
    assert_eq!(before.hashes["link"], expected(&link, &git, &[], None));

    // The target's content is not the link's content …
    repo.write("app/models/user.rb", "class User; def changed; end; end\n");
    assert_eq!(
        compute(repo.path(), std::slice::from_ref(&link))?.hashes,
        before.hashes
    );
    // … but where it points is.
    std::fs::remove_file(repo.join("app/models/link.rb"))?;
    repo.symlink("deep/er/account.rb", "app/models/link.rb");
    let after = compute(repo.path(), std::slice::from_ref(&link))?;
    let git = only(&repo.as_git_sees_it(), |p| p == "app/models/link.rb");
    assert_eq!(after.hashes["link"], expected(&link, &git, &[], None));
    assert_ne!(after.hashes, before.hashes);
    Ok(())
}

#[test]
fn the_executable_bit_is_part_of_the_hash() -> TestResult {
    let repo = sample();
    let before = compute(repo.path(), &[everything()])?;
    repo.chmod("lib/tool.rb", 0o755);
    let after = compute(repo.path(), &[everything()])?;
    assert_ne!(after.hashes, before.hashes);
    let git = repo.as_git_sees_it();
    assert!(
        git.iter()
            .any(|f| f.path == "lib/tool.rb" && f.mode == 0o100755)
    );
    assert_eq!(
        after.hashes["all"],
        expected(&everything(), &git, &[], None)
    );
    Ok(())
}

#[test]
fn a_submodule_contributes_its_recorded_commit() -> TestResult {
    let upstream = Repo::new();
    upstream.write("lib.rb", "one\n");
    upstream.commit_all();
    let repo = sample();
    let url = upstream.path().to_string_lossy().into_owned();
    repo.git(&["submodule", "add", "-q", &url, "vendor/sub"]);
    repo.commit_all();
    let variant = input("vendor", "amd64", &["vendor/**"], &[]);
    let before = compute(repo.path(), std::slice::from_ref(&variant))?;
    let git = only(&repo.index_entries(), |p| p.starts_with("vendor/"));
    assert_eq!(
        git.len(),
        1,
        "only the gitlink, none of the submodule's files"
    );
    assert_eq!(git[0].mode, 0o160000);
    assert_eq!(before.hashes["vendor"], expected(&variant, &git, &[], None));

    // A new commit checked out inside the submodule is not recorded in the
    // superproject's index, so the hash stays.
    let sub = hashsupport::run_git;
    std::fs::write(repo.join("vendor/sub/lib.rb"), "two\n")?;
    sub(
        &repo.join("vendor/sub"),
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@e",
            "commit",
            "-qam",
            "two",
        ],
        &[],
    );
    assert_eq!(compute(repo.path(), &[variant])?.hashes, before.hashes);
    Ok(())
}

#[test]
fn index_versions_3_and_4_read_like_version_2() -> TestResult {
    let repo = sample();
    let v2 = compute(repo.path(), &[everything()])?;
    repo.git(&["update-index", "--index-version", "4"]);
    let v4 = compute(repo.path(), &[everything()])?;
    assert_eq!(v4.hashes, v2.hashes);
    assert_eq!(v4.stats.files_from_index, v2.stats.files_from_index);
    repo.git(&["update-index", "--index-version", "3"]);
    repo.write("app/models/planned.rb", "class Planned; end\n");
    repo.git(&["add", "-N", "app/models/planned.rb"]); // intent-to-add: extended flags
    let v3 = compute(repo.path(), &[everything()])?;
    assert_eq!(
        v3.hashes["all"],
        expected(&everything(), &repo.as_git_sees_it(), &[], None)
    );
    Ok(())
}

#[test]
fn a_file_replaced_by_a_directory_drops_out_and_its_files_count() -> TestResult {
    let repo = sample();
    std::fs::remove_file(repo.join("README.md"))?;
    repo.write("README.md/inner.txt", "now a directory\n");
    repo.write("app/\u{e9}t\u{e9} \"q\".rb", "unicode name\n");
    let variant = input("app", "amd64", &["app/**", "README.md/*"], &[]);
    let report = compute(repo.path(), std::slice::from_ref(&variant))?;
    let git = only(&repo.as_git_sees_it(), |p| {
        p.starts_with("app/") || p.starts_with("README")
    });
    assert!(git.iter().any(|f| f.path == "README.md/inner.txt"));
    assert!(!git.iter().any(|f| f.path == "README.md"));
    assert_eq!(report.hashes["app"], expected(&variant, &git, &[], None));
    Ok(())
}

#[cfg(target_os = "linux")]
#[test]
fn a_non_utf8_file_name_is_hashed_by_its_bytes() -> TestResult {
    use std::os::unix::ffi::OsStrExt;
    let repo = sample();
    let name = std::ffi::OsStr::from_bytes(b"app/bad-\xff.rb");
    std::fs::write(repo.path().join(name), "bytes\n")?;
    let variant = input("app", "amd64", &["app/*.rb"], &[]);
    let untracked = compute(repo.path(), std::slice::from_ref(&variant))?;
    assert_eq!(untracked.stats.files_matched, 1);
    repo.commit_all();
    let tracked = compute(repo.path(), &[variant])?;
    assert_eq!(tracked.hashes, untracked.hashes);
    assert_eq!(tracked.stats.files_from_index, 1);
    Ok(())
}

#[test]
fn a_nested_repository_is_left_out() -> TestResult {
    let repo = sample();
    let before = compute(repo.path(), &[everything()])?;
    let nested = repo.join("app/nested");
    std::fs::create_dir_all(&nested)?;
    hashsupport::run_git(&nested, &["init", "-q"], &[]);
    repo.write("app/nested/inner.rb", "belongs to the nested repository\n");
    let after = compute(repo.path(), &[everything()])?;
    assert_eq!(after.hashes, before.hashes);
    assert_eq!(after.stats.files_matched, before.stats.files_matched);
    Ok(())
}
