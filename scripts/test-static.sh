#!/usr/bin/env bash
# Tests the static release binary where it has to work: alone. Checks it with
# scripts/check-static.sh (file, ldd, --version in an empty chroot), bounds its size, then
# runs it inside an empty chroot holding only the binary, a test CA bundle in /etc/ssl/certs,
# /etc/hosts and a committed copy of examples/minimal: --version, generate (byte-identical to
# the committed golden files), hash (same as outside the chroot), setup --self-check with
# CIGEN_TMP inside the chroot, and continue: a POST over TLS to a local HTTPS server on
# 127.0.0.1 whose certificate a throwaway CA signed, trusted through SSL_CERT_FILE only.
#
# usage: scripts/test-static.sh [BINARY]    (needs root, for chroot)
#   without BINARY it builds one with scripts/build-static.sh (~7 min on 2 cores, first time)
#   VERBOSE=1 prints every test's output, not only a failing one's
# Installs what it needs by package name (apt: file, openssl, git, python3, coreutils; pip: pyyaml).
# The last line is "N passed, N failed"; the exit status is 1 if anything failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
MAX_BYTES=$((15 * 1000 * 1000))
# shellcheck source=scripts/checks.sh
. scripts/checks.sh

[ "$(id -u)" = 0 ] || abort "test-static.sh needs root (chroot)"
# shellcheck source=scripts/tools.sh
. scripts/tools.sh
ensure_tools file=apt:file openssl=apt:openssl git=apt:git python3=apt:python3 timeout=apt:coreutils \
  py:yaml=pip:pyyaml || abort "tools"

# ---------------------------------------------------------------- the binary
BIN=${1:-}
if [ -z "$BIN" ]; then
  echo "building with scripts/build-static.sh (output in $WORK/build.log)"
  BIN=$(timeout 2400 bash scripts/build-static.sh 2>"$WORK/build.log" | tail -n 1) \
    || { tail -n 30 "$WORK/build.log"; abort "build-static.sh"; }
fi
[ -f "$BIN" ] || abort "no binary at '$BIN'"
BIN=$(realpath "$BIN")
echo "binary: $BIN"

t "check-static.sh: static, ldd 'not a dynamic executable', runs in an empty chroot" \
  bash scripts/check-static.sh "$BIN"

test_size() {
  local size
  size=$(stat -c %s "$BIN")
  echo "size: $size bytes (limit $MAX_BYTES)"
  [ "$size" -le "$MAX_BYTES" ] || fail "binary is $size bytes, over the $MAX_BYTES limit"
}
t "size <= 15 MB" test_size

# ---------------------------------------------------------------- the chroot
# Only: /cigen, /etc/ssl/certs/test-ca.pem (and, for one test, ca-certificates.crt), /etc/hosts, /tmp, /work (a committed copy of
# examples/minimal). No shell, loader, libc, resolver config or system CA store.
JAIL=$WORK/jail
mkdir -p "$JAIL/etc/ssl/certs" "$JAIL/tmp"
chmod 1777 "$JAIL/tmp"
cp "$BIN" "$JAIL/cigen"
cp /etc/hosts "$JAIL/etc/hosts"
cp -r examples/minimal "$JAIL/work"
git -C "$JAIL/work" init -q -b main
git -C "$JAIL/work" add -A
git -C "$JAIL/work" -c user.name=test -c user.email=test@example.com commit -q -m "examples/minimal"

# A throwaway CA, a server certificate it signs for 127.0.0.1, and an unrelated CA.
PKI=$WORK/pki
mkdir -p "$PKI"
# (openssl's key-generation progress goes to a log, shown if a step fails.)
make_pki() {
  local ext=$PKI/server.ext
  exec 2>"$PKI/openssl.log"
  trap 'cat "$PKI/openssl.log" >&1' ERR
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cigen test CA" \
    -keyout "$PKI/ca.key" -out "$PKI/ca.pem"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=unrelated CA" \
    -keyout "$PKI/other.key" -out "$PKI/other.pem"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$PKI/server.key" -out "$PKI/server.csr"
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$ext"
  openssl x509 -req -in "$PKI/server.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 2 -extfile "$ext" -out "$PKI/server.pem"
  cp "$PKI/ca.pem" "$JAIL/etc/ssl/certs/test-ca.pem"
  cp "$PKI/other.pem" "$JAIL/etc/ssl/certs/other-ca.pem"
}
t "openssl: test CA and a server certificate for 127.0.0.1" make_pki

# jail ARGS...: the binary in the chroot, with an empty environment plus CIGEN_TMP and the
# variables given as NAME=VALUE before the arguments; 60 s at most.
jail() {
  local vars=(CIGEN_TMP=/tmp/cigen-run HOME=/tmp)
  while [[ ${1:-} == *=* ]]; do vars+=("$1"); shift; done
  timeout 60 env -i "${vars[@]}" /usr/sbin/chroot "$JAIL" /cigen "$@"
}

test_version() {
  local out want
  want="cigen $(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
  out=$(jail --version)
  [ "$out" = "$want" ] || fail "--version printed '$out', expected '$want'"
}
t "chroot: cigen --version" test_version

test_generate() {
  rm -rf "$JAIL/work/.circleci"
  jail --config /work/cigen.yml generate
  cmp "$JAIL/work/.circleci/config.yml" examples/minimal/.circleci/config.yml
  cmp "$JAIL/work/.circleci/main.yml" examples/minimal/.circleci/main.yml
  jail --config /work/cigen.yml generate --check
}
t "chroot: cigen generate writes the golden files byte for byte" test_generate

test_hash() {
  local inside outside
  inside=$(jail --config /work/cigen.yml hash --json)
  outside=$(cd "$JAIL/work" && timeout 60 "$BIN" hash --json)
  echo "$inside"
  contains "$inside" '"test_pytest": "'
  [ "$inside" = "$outside" ] || fail "hash in the chroot differs from outside: $outside"
}
t "chroot: cigen hash (git index, no git binary) equals the hash outside" test_hash

test_setup() {
  rm -rf "$JAIL/tmp/cigen-run"
  jail --config /work/cigen.yml setup --self-check
  [ -s "$JAIL/tmp/cigen-run/setup_keys/test_pytest/job-key" ] || fail "no key file under CIGEN_TMP"
  [ -s "$JAIL/tmp/cigen-run/cigen/state.json" ] || fail "no state under CIGEN_TMP"
  contains "$(cat "$JAIL/tmp/cigen-run/setup_keys/test_pytest/job-key")" "test_pytest-amd64-"
}
t "chroot: cigen setup --self-check (CIGEN_TMP inside the chroot)" test_setup

python3 tests/continue_server.py "$PKI/server.pem" "$PKI/server.key" "$WORK/port" "$WORK/requests.jsonl" 300 \
  2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
API=https://127.0.0.1:$(cat "$WORK/port" 2>/dev/null)

test_continue_untrusted() {
  local out
  : >"$WORK/requests.jsonl"
  out=$(jail CIRCLE_CONTINUATION_KEY=secret-continuation-key CIRCLECI_API_URL="$API" CIGEN_API_BACKOFF_MS=10 \
    SSL_CERT_FILE=/etc/ssl/certs/other-ca.pem --config /work/cigen.yml continue 2>&1) \
    && fail "continue succeeded against a server signed by an untrusted CA: $out"
  echo "$out"
  [ ! -s "$WORK/requests.jsonl" ] || fail "a request reached the server"
  if grep -q secret-continuation-key <<<"$out"; then fail "the continuation key was printed"; fi
}
t "chroot: continue refuses a server whose CA SSL_CERT_FILE does not hold" test_continue_untrusted

test_continue() {
  local out
  : >"$WORK/requests.jsonl"
  out=$(jail CIRCLE_CONTINUATION_KEY=secret-continuation-key CIRCLECI_API_URL="$API" \
    SSL_CERT_FILE=/etc/ssl/certs/test-ca.pem --config /work/cigen.yml continue 2>&1) \
    || fail "continue failed: $out"
  echo "$out"
  if grep -q secret-continuation-key <<<"$out"; then fail "the continuation key was printed"; fi
  [ -s "$JAIL/tmp/cigen-run/cigen/continuation.yml" ] || fail "no continuation.yml under CIGEN_TMP"
  python3 - "$WORK/requests.jsonl" "$(cat "$JAIL/tmp/cigen-run/setup_keys/test_pytest/job-key")" <<'EOF'
import json, sys, yaml
requests = [json.loads(line) for line in open(sys.argv[1])]
assert len(requests) == 1, f"expected one POST, got {len(requests)}"
body = json.loads(requests[0]["body"])
assert body["continuation-key"] == "secret-continuation-key", body.keys()
config = yaml.safe_load(body["configuration"])
job_hash = sys.argv[2].rsplit("-", 1)[1]
assert config["jobs"]["test_pytest"]["environment"]["CIGEN_JOB_HASH"] == job_hash, config["jobs"]["test_pytest"]
assert "main" in config["workflows"], config["workflows"]
print("POST /api/v2/pipeline/continue with", sorted(body), "; jobs:", sorted(config["jobs"]))
EOF
}
t "chroot: continue POSTs the continuation config over TLS (test CA via SSL_CERT_FILE)" test_continue

# The Docker image sets no SSL_CERT_FILE: the binary must find Debian's bundle by itself.
# (Without SSL_CERT_FILE it also reads every certificate in /etc/ssl/certs, so the test CA
# leaves that directory for this test: only the bundle may vouch for the server.)
test_continue_default_store() {
  local certs=$JAIL/etc/ssl/certs out
  # shellcheck disable=SC2064 # expanded now: $certs is local to this function
  trap "mv '$WORK/test-ca.pem' '$certs/test-ca.pem'; rm -f '$certs/ca-certificates.crt'" EXIT
  mv "$certs/test-ca.pem" "$WORK/test-ca.pem"
  : >"$WORK/requests.jsonl"
  out=$(jail CIRCLE_CONTINUATION_KEY=secret-continuation-key CIRCLECI_API_URL="$API" CIGEN_API_BACKOFF_MS=10 \
    --config /work/cigen.yml continue 2>&1) && fail "continue trusted a server no CA in the store vouches for: $out"
  cp "$PKI/ca.pem" "$certs/ca-certificates.crt"
  out=$(jail CIRCLE_CONTINUATION_KEY=secret-continuation-key CIRCLECI_API_URL="$API" \
    --config /work/cigen.yml continue 2>&1) || fail "continue failed: $out"
  echo "$out"
  [ "$(wc -l <"$WORK/requests.jsonl")" -eq 1 ] || fail "expected one POST"
}
t "chroot: continue trusts /etc/ssl/certs/ca-certificates.crt without SSL_CERT_FILE" test_continue_default_store

finish
