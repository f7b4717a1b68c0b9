#!/usr/bin/env bash
# Proves a binary is fully static: `file` says statically linked, `ldd` says it is not a dynamic
# executable, and it runs `--version` in an empty chroot holding only itself, the CA bundle and
# /etc/hosts (so no shared library, loader or config file can come from the host).
#
# usage: scripts/check-static.sh BINARY      (needs root, for chroot)
set -euo pipefail

bin=${1:?usage: check-static.sh BINARY}
[ -f "$bin" ] || { echo "check-static: no such file: $bin" >&2; exit 1; }
fail() { echo "check-static: FAIL: $*" >&2; exit 1; }

kind=$(file -b "$bin")
grep -q 'statically linked' <<<"$kind" || fail "file says: $kind"
echo "file: $kind"

# ldd exits non-zero for a static binary; its words are what matter.
linkage=$(ldd "$bin" 2>&1 || true)
grep -q 'not a dynamic executable' <<<"$linkage" || fail "ldd says: $linkage"
echo "ldd: $linkage"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc/ssl" "$root/tmp"
cp "$bin" "$root/cigen"
cp -rL /etc/ssl/certs "$root/etc/ssl/certs"
cp /etc/hosts "$root/etc/hosts"
out=$(env -i SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt /usr/sbin/chroot "$root" /cigen --version) \
  || fail "--version failed in an empty chroot"
echo "empty chroot: $out"
