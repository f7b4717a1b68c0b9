#!/usr/bin/env bash
# Packs a built cigen binary as a GitHub release asset, with the names scripts/install.sh and the
# orb download: cigen_<version>_linux_<arch>.tar.gz (holding `cigen` at its root) and
# <asset>.sha256 ("<hex>  <asset>", sha256sum format). Reproducible: fixed owner, mtime and order.
#
# usage: scripts/package-release.sh BINARY VERSION ARCH [OUT_DIR]   (ARCH amd64|arm64; OUT_DIR default dist)
# Prints the archive's path.
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: package-release.sh BINARY VERSION ARCH [OUT_DIR]" >&2; exit 2; }
bin=$1 version=${2#v} arch=$3 out=${4:-dist}
case $arch in amd64 | arm64) ;; *) echo "package-release: ARCH must be amd64 or arm64, got '$arch'" >&2; exit 2 ;; esac
[ -f "$bin" ] || { echo "package-release: no such file: $bin" >&2; exit 1; }
# An archive named for one arch must not hold an ELF binary of the other. (Anything not ELF,
# such as the tests' fake release scripts, is packed as given.)
case $arch in amd64) machine='x86-64' ;; arm64) machine='ARM aarch64' ;; esac
kind=$(file -b "$bin")
if [[ $kind == ELF* && $kind != "ELF 64-bit LSB "*"executable, $machine,"* ]]; then
  echo "package-release: $bin is not a linux/$arch executable: $kind" >&2
  exit 1
fi

asset=cigen_${version}_linux_$arch.tar.gz
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
install -m 0755 "$bin" "$stage/cigen"
mkdir -p "$out"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$stage" -cf - cigen | gzip -n -9 >"$out/$asset"
(cd "$out" && sha256sum "$asset" >"$asset.sha256")
echo "$out/$asset"
