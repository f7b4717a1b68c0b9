#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh machine (by
# package name only), then runs every check — format, lints, the Rust test
# suite (which drives the real binary and external validators), and the
# packaging checks. Exits non-zero on the first failure.
# usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

apt_packages=()
command -v shellcheck >/dev/null || apt_packages+=(shellcheck)
command -v git >/dev/null || apt_packages+=(git)
command -v openssl >/dev/null || apt_packages+=(openssl)
[ -x /usr/sbin/sshd ] || apt_packages+=(openssh-server)
command -v ssh-keygen >/dev/null || apt_packages+=(openssh-client)
if [ ${#apt_packages[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi
pip_packages=()
command -v check-jsonschema >/dev/null || pip_packages+=(check-jsonschema)
command -v yamllint >/dev/null || pip_packages+=(yamllint)
if [ ${#pip_packages[@]} -gt 0 ]; then
  python3 -m pip install --quiet --disable-pip-version-check "${pip_packages[@]}"
fi

echo "== cargo fmt --check"
cargo fmt --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --quiet --all-targets -- -D warnings
echo "== cargo test"
cargo test --quiet
echo "== generated files of the examples are fresh"
for example in examples/*/; do
  (cd "$example" && ../../target/debug/cigen generate --check >/dev/null)
done
