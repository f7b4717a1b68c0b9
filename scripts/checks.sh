# shellcheck shell=bash
# Sourced by scripts/test-static.sh and tests/packaging.sh: their small test harness. Each test
# runs in a subshell with set -e; the script ends with `finish`, whose last line is
# "N passed, N failed" and whose status is 1 if anything failed.
#   t NAME COMMAND...  one test: passes when COMMAND exits 0 (VERBOSE=1 prints a passing test's
#                      output too; a failing one's last 40 lines are always printed)
#   fail WHY           fails the current test
#   contains OUT TEXT  fails unless OUT contains TEXT
#   abort WHY          a failure that leaves nothing else to test: prints the counts, exits 1
# WORK is a scratch directory removed on exit; a background server started into SERVER_PID is
# killed on exit.

WORK=$(mktemp -d)
SERVER_PID=
passed=0 failed=0
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# (Not inside `if`: bash would ignore set -e in the test body there.)
t() {
  local name=$1 rc
  shift
  (set -e; "$@") >"$WORK/test.log" 2>&1
  rc=$?
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1)); echo "ok   $name"
    if [ -n "${VERBOSE:-}" ]; then sed 's/^/     /' "$WORK/test.log"; fi
  else
    failed=$((failed + 1)); echo "FAIL $name"; tail -n 40 "$WORK/test.log" | sed 's/^/     /'
  fi
}
fail() { echo "$*"; return 1; }
contains() { grep -qF -- "$2" <<<"$1" || fail "expected output to contain: $2"$'\n'"--- output:"$'\n'"$1"; }
abort() { echo "FAIL $*"; echo "$passed passed, $((failed + 1)) failed"; exit 1; }
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
