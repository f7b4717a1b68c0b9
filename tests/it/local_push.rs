//! Commit-and-push against a bare repository over `file://`, plus every
//! refusal: each must leave the work tree, HEAD and the remote untouched.

use cigen::git::{AUTHOR_EMAIL, AUTHOR_NAME, EnvSnapshot, GitError, PushOutcome};

use crate::gitsupport::{FILE, Fixture, NEW, git, path_str};

fn file_fixture() -> (tempfile::TempDir, Fixture) {
    let temp = tempfile::tempdir().expect("tempdir");
    let fixture = Fixture::new(temp.path());
    fixture.set_origin(&format!("file://{}", fixture.remote.display()));
    (temp, fixture)
}

#[test]
fn drift_is_committed_and_pushed_over_file_url() {
    let (_temp, fixture) = file_fixture();
    let before = fixture.remote_head();
    let PushOutcome::Pushed {
        branch,
        commit,
        remote_url_redacted,
    } = fixture
        .push(&EnvSnapshot::default())
        .expect("push succeeds");

    assert_eq!(branch, "main");
    assert_eq!(
        remote_url_redacted,
        format!("file://{}", fixture.remote.display())
    );
    assert_eq!(fixture.remote_head(), commit);
    assert_eq!(fixture.local_head(), commit);
    assert_eq!(git(&fixture.remote, &["rev-parse", "main~1"]), before);
    assert_eq!(fixture.remote_file().as_bytes(), NEW.trim_ascii_end());
    assert_eq!(std::fs::read(fixture.work.join(FILE)).expect("read"), NEW);

    let (author, committer, message) = fixture.remote_commit_summary();
    let fixed = format!("{AUTHOR_NAME} <{AUTHOR_EMAIL}>");
    assert_eq!(
        (author.as_str(), committer.as_str()),
        (fixed.as_str(), fixed.as_str())
    );
    assert!(
        message.starts_with("ci: regenerate .circleci/config.yml\n\n"),
        "{message}"
    );
    let trailers = git(
        &fixture.remote,
        &["log", "-1", "--format=%(trailers:only,unfold)", "main"],
    );
    assert_eq!(trailers, "Cigen-Self-Check: true");

    // Only the config changed, the work tree is clean, and the guard sees it.
    let changed = git(&fixture.remote, &["diff", "--name-only", "main~1", "main"]);
    assert_eq!(changed, FILE);
    assert_eq!(git(&fixture.work, &["status", "--porcelain"]), "");
    assert_eq!(
        fixture.push(&EnvSnapshot::default()),
        Err(GitError::LoopGuard)
    );
}

#[test]
fn unrelated_staged_changes_stay_out_of_the_commit() {
    let (_temp, fixture) = file_fixture();
    std::fs::write(fixture.work.join("README"), "staged by someone else\n").expect("write");
    git(&fixture.work, &["add", "README"]);
    fixture
        .push(&EnvSnapshot::default())
        .expect("push succeeds");
    let changed = git(&fixture.remote, &["diff", "--name-only", "main~1", "main"]);
    assert_eq!(changed, FILE);
    assert_eq!(git(&fixture.work, &["status", "--porcelain"]), "M  README");
}

#[test]
fn detached_head_is_refused_before_writing() {
    let (_temp, fixture) = file_fixture();
    git(&fixture.work, &["checkout", "-q", "--detach"]);
    let (head, remote) = (fixture.local_head(), fixture.remote_head());
    let error = fixture.push(&EnvSnapshot::default()).expect_err("refused");
    assert_eq!(error, GitError::DetachedHead);
    assert_eq!(
        error.to_string(),
        "HEAD is detached, so there is no branch to commit the regenerated config to; \
         run `cigen generate` on a branch and commit the result"
    );
    fixture.assert_untouched(&head);
    assert_eq!(fixture.remote_head(), remote);
}

#[test]
fn tag_build_is_refused_before_writing() {
    let (_temp, fixture) = file_fixture();
    let (head, remote) = (fixture.local_head(), fixture.remote_head());
    let env = EnvSnapshot::from_pairs([("CIRCLE_TAG", "v1.2.3"), ("CIRCLE_BRANCH", "main")]);
    let error = fixture.push(&env).expect_err("refused");
    assert_eq!(error, GitError::TagBuild("v1.2.3".into()));
    fixture.assert_untouched(&head);
    assert_eq!(fixture.remote_head(), remote);
}

#[test]
fn fork_pull_request_branch_is_refused_before_writing() {
    let (_temp, fixture) = file_fixture();
    git(&fixture.work, &["checkout", "-q", "-b", "pull/42"]);
    let (head, remote) = (fixture.local_head(), fixture.remote_head());
    let env = EnvSnapshot::from_pairs([("CIRCLE_BRANCH", "pull/42")]);
    let error = fixture.push(&env).expect_err("refused");
    let GitError::PermissionDenied { message } = &error else {
        panic!("expected PermissionDenied, got {error:?}");
    };
    assert_eq!(
        message,
        "this is a build of a pull request from a fork (branch pull/42); its branch lives in the fork, \
         and pushing it to origin would only create a stray branch there"
    );
    fixture.assert_untouched(&head);
    assert_eq!(fixture.remote_head(), remote);
    assert_eq!(git(&fixture.remote, &["branch", "--list", "pull/*"]), "");
}

#[test]
fn loop_guard_refuses_when_head_is_a_self_check_commit() {
    let (_temp, fixture) = file_fixture();
    let message = "ci: regenerate .circleci/config.yml\n\nearlier run\n\nCigen-Self-Check: true\n";
    git(
        &fixture.work,
        &["commit", "-q", "--allow-empty", "-m", message],
    );
    git(&fixture.work, &["push", "-q", "origin", "main"]);
    let (head, remote) = (fixture.local_head(), fixture.remote_head());

    let error = fixture.push(&EnvSnapshot::default()).expect_err("refused");
    assert_eq!(error, GitError::LoopGuard);
    fixture.assert_untouched(&head);
    assert_eq!(fixture.remote_head(), remote);
}

#[test]
fn non_fast_forward_is_reported_and_the_remote_keeps_its_commit() {
    let (temp, fixture) = file_fixture();
    let other = temp.path().join("other");
    git(
        temp.path(),
        &["clone", "-q", path_str(&fixture.remote), path_str(&other)],
    );
    std::fs::write(other.join("README"), "someone else was faster\n").expect("write");
    git(&other, &["commit", "-q", "-am", "concurrent change"]);
    git(&other, &["push", "-q", "origin", "main"]);
    let (head, remote) = (fixture.local_head(), fixture.remote_head());

    let error = fixture.push(&EnvSnapshot::default()).expect_err("rejected");
    assert_eq!(
        error,
        GitError::NonFastForward {
            branch: "main".into()
        }
    );
    assert_eq!(
        error.to_string(),
        "origin rejected the push to main: the remote branch has commits this checkout does not \
         (non-fast-forward); cigen never force-pushes. The newer pipeline for that branch will run the \
         self-check again"
    );
    assert_eq!(fixture.remote_head(), remote);
    // The unpushed commit is undone, so a rerun is not taken for a loop;
    // the regenerated file stays in the work tree, unstaged.
    assert_eq!(fixture.local_head(), head);
    assert_eq!(std::fs::read(fixture.work.join(FILE)).expect("read"), NEW);
    assert_eq!(git(&fixture.work, &["diff", "--name-only"]), FILE);
    assert_eq!(git(&fixture.work, &["diff", "--cached", "--name-only"]), "");
    assert_eq!(
        fixture.push(&EnvSnapshot::default()),
        Err(GitError::NonFastForward {
            branch: "main".into()
        })
    );
}
