#!/bin/sh
# Installs the cigen binary from its GitHub release after verifying the archive's sha256.
# The orb's `install` command runs this same file (orb/src/scripts/install.sh links here).
#
# usage: install.sh [-v VERSION] [-d DIR] [-a ARCH]
#   -v VERSION  version to install, e.g. 0.1.0 (default: $CIGEN_VERSION, else the latest release)
#   -d DIR      directory to install into (default: $CIGEN_INSTALL_DIR, else /usr/local/bin)
#   -a ARCH     amd64 or arm64 (default: $CIGEN_ARCH, else this machine's, from uname -m)
#   CIGEN_DOWNLOAD_BASE  releases URL (default https://github.com/DocSpring/cigen/releases); assets are
#     BASE/download/vV/cigen_V_linux_ARCH.tar.gz (+ .sha256), and BASE/latest redirects to BASE/tag/vV.
# Does nothing when DIR/cigen already prints "cigen VERSION". Exits non-zero, installing nothing, on any
# failure: unsupported OS/arch, missing release, checksum mismatch.
set -eu

die() { echo "cigen install: error: $*" >&2; exit 1; }
say() { echo "cigen install: $*"; }

version=${CIGEN_VERSION:-latest}
dir=${CIGEN_INSTALL_DIR:-/usr/local/bin}
base=${CIGEN_DOWNLOAD_BASE:-https://github.com/DocSpring/cigen/releases}
base=${base%/}
arch=${CIGEN_ARCH:-}
while getopts v:d:a:h opt; do
  case $opt in
    v) version=$OPTARG ;;
    d) dir=$OPTARG ;;
    a) arch=$OPTARG ;;
    h) echo "usage: install.sh [-v VERSION] [-d DIR] [-a ARCH]; env CIGEN_VERSION, CIGEN_INSTALL_DIR, CIGEN_ARCH, CIGEN_DOWNLOAD_BASE"; exit 0 ;;
    *) die "usage: install.sh [-v VERSION] [-d DIR] [-a ARCH]" ;;
  esac
done

os=$(uname -s)
[ "$os" = Linux ] || die "unsupported OS '$os': cigen releases exist for Linux only"
[ -n "$arch" ] || arch=$(uname -m)
case $arch in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "unsupported architecture '$arch': cigen releases exist for amd64 and arm64" ;;
esac

if command -v curl >/dev/null 2>&1; then
  fetch() { curl -fsSL --retry 3 --connect-timeout 20 --max-time 300 -o "$2" "$1"; }
  final_url() { curl -fsSL --retry 3 --connect-timeout 20 --max-time 60 -o /dev/null -w '%{url_effective}' "$1"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget -q --tries=3 --timeout=60 -O "$2" "$1"; }
  final_url() { wget -q -S --spider --tries=3 --timeout=60 "$1" 2>&1 | sed -n 's/^  *[Ll]ocation: *//p' | tail -n 1 | tr -d '\r'; }
else
  die "need curl or wget to download"
fi
if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
  die "need sha256sum or shasum to verify the download"
fi

if [ "$version" = latest ]; then
  url=$(final_url "$base/latest") || die "could not resolve the latest release from $base/latest"
  version=${url##*/}
  case $version in
    *[!0-9A-Za-z.+-]* | v) die "could not resolve the latest release: $base/latest led to '$url'" ;;
    v[0-9]*) ;;
    *) die "could not resolve the latest release: $base/latest led to '$url', not .../tag/vX.Y.Z" ;;
  esac
fi
version=${version#v}
case $version in
  [0-9]*) case $version in *[!0-9A-Za-z.+-]*) die "bad version '$version' (expected e.g. 0.1.0)" ;; esac ;;
  *) die "bad version '$version' (expected e.g. 0.1.0)" ;;
esac

target=$dir/cigen
if [ -x "$target" ] && [ "$("$target" --version 2>/dev/null || true)" = "cigen $version" ]; then
  say "cigen $version is already installed at $target"
  exit 0
fi

sudo=
tmp=$(mktemp -d)
tmpbin=
trap 'rm -rf "$tmp"; if [ -n "$tmpbin" ]; then $sudo rm -f "$tmpbin"; fi' EXIT
trap 'exit 1' HUP INT TERM
asset=cigen_${version}_linux_$arch.tar.gz
url=$base/download/v$version/$asset
fetch "$url" "$tmp/$asset" || die "could not download $url (is $version a released version?)"
fetch "$url.sha256" "$tmp/$asset.sha256" || die "could not download $url.sha256"

expected=$(cut -d' ' -f1 <"$tmp/$asset.sha256" | tr 'A-F' 'a-f')
actual=$(sha256 "$tmp/$asset")
case $expected in
  *[!0-9a-f]* | '') die "$asset.sha256 holds no sha256 sum" ;;
esac
[ "$expected" = "$actual" ] || die "checksum mismatch for $asset: expected $expected, got $actual; nothing installed"

mkdir "$tmp/x"
tar -xzf "$tmp/$asset" -C "$tmp/x" cigen || die "$asset holds no 'cigen' at its root"

# Same-directory temp file + rename: the old binary is replaced in one step, never half-written.
mkdir -p "$dir" 2>/dev/null || true
if [ ! -w "$dir" ]; then
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo=sudo; else die "$dir is not writable"; fi
fi
tmpbin=$dir/.cigen.$$
{ $sudo mkdir -p "$dir" && $sudo cp "$tmp/x/cigen" "$tmpbin" && $sudo chmod 0755 "$tmpbin" && $sudo mv -f "$tmpbin" "$target"; } \
  || die "could not install into $dir"
tmpbin=
say "installed cigen $version (linux/$arch, sha256 $actual) to $target"
"$target" --version
