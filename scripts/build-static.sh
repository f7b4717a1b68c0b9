#!/usr/bin/env bash
# Builds a fully static musl release binary of the crate in the current directory
# and prints the binary's path as the last line of stdout (cargo's own output goes to stderr).
#
# usage: scripts/build-static.sh [extra cargo build args...]
#   TARGETARCH=amd64|arm64   target arch as docker buildx names it (default: the host's, from uname -m)
#   CIGEN_BUILD_ROUTE=auto|rustup|debian   force a route (default auto)
#
# Route "rustup" (preferred): rustup's <arch>-unknown-linux-musl target + Debian's musl-tools.
# Route "debian" (fallback when the rustup target cannot be added, e.g. no access to rustup's
# download server): Debian's rustc-web + rust-web-src with -Zbuild-std, linked against a
# hand-made "self-contained" dir (musl crt objects + LLVM libunwind), as rustup's target ships.
# Both routes compile the C parts (vendored libgit2, OpenSSL, libssh2, ring) with musl-gcc.
# No cross-compiling: the target arch must be the host's (buildx runs the build stage once per
# platform, natively or under emulation), because Debian has no musl cross-gcc.
set -euo pipefail

log() { echo "build-static: $*" >&2; }
die() { log "error: $*"; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi; }
apt_install() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

host=$(uname -m)
case "${TARGETARCH:-}" in
  '') arch=$host ;;
  amd64) arch=x86_64 ;;
  arm64) arch=aarch64 ;;
  *) die "unsupported TARGETARCH '$TARGETARCH' (amd64 or arm64)" ;;
esac
case "$arch" in x86_64|aarch64) ;; *) die "unsupported arch '$arch' (x86_64 or aarch64)" ;; esac
[ "$arch" = "$host" ] || die "target arch $arch differs from host arch $host: cross-compiling is not supported"
[ -f Cargo.toml ] || die "no Cargo.toml in $(pwd)"

target=$arch-unknown-linux-musl
apt_install musl-tools file make perl
# cc-rs would look for "<arch>-linux-musl-gcc"; Debian ships the wrapper as plain musl-gcc.
export "CC_${target//-/_}=musl-gcc" "AR_${target//-/_}=ar"
# Non-PIE: rustc's musl default is static-pie, which glibc's ldd reports as "statically linked";
# a plain static executable is what ldd calls "not a dynamic executable" (the design's check).
# With --target, RUSTFLAGS reaches only target artifacts, not build scripts; the caller's are kept.
export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-C relocation-model=static"

route=${CIGEN_BUILD_ROUTE:-auto}
if [ "$route" = auto ]; then
  route=debian
  if command -v rustup >/dev/null; then
    if rustup target list --installed | grep -qx "$target" \
       || timeout 300 rustup target add "$target" >&2; then
      route=rustup
    else
      log "rustup could not add $target; falling back to Debian's toolchain"
    fi
  fi
fi

cargo_args=(build --release --locked --target "$target" --message-format=json-render-diagnostics)
case "$route" in
  rustup)
    log "route rustup: $(rustc --version)"
    cargo=cargo ;;
  debian)
    apt_install rustc-web cargo-web rust-web-src libunwind-14-dev gcc
    sc=${MUSL_SELF_CONTAINED:-/opt/musl-self-contained-$arch}
    if [ ! -f "$sc/libunwind.a" ]; then
      log "preparing $sc"
      as_root mkdir -p "$sc/objs"
      as_root cp /usr/lib/"$arch"-linux-musl/{crt1.o,rcrt1.o,Scrt1.o,crti.o,crtn.o,libc.a} "$sc/"
      gcclib=$(dirname "$(gcc -print-libgcc-file-name)")
      as_root cp "$gcclib"/{crtbegin.o,crtbeginS.o,crtbeginT.o,crtend.o,crtendS.o} "$sc/"
      # Debian's LLVM libunwind is built against glibc: supply the one fortify symbol musl lacks.
      printf '%s\n' '#include <stdio.h>' '#include <stdarg.h>' \
        'int __fprintf_chk(FILE *f, int flag, const char *fmt, ...) { (void)flag; va_list ap; va_start(ap, fmt); int r = vfprintf(f, fmt, ap); va_end(ap); return r; }' \
        | as_root tee "$sc/chkshim.c" >/dev/null
      (cd "$sc/objs" && as_root ar x /usr/lib/llvm-14/lib/libunwind.a \
        && as_root musl-gcc -O2 -fPIC -c ../chkshim.c -o chkshim.o && as_root ar rcs ../libunwind.a ./*.o)
    fi
    export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
    RUSTFLAGS+=" -C link-self-contained=yes -L native=$sc"
    log "route debian: $($RUSTC --version)"
    cargo=/usr/bin/cargo
    cargo_args+=("-Zbuild-std=std,panic_abort") ;;
  *) die "CIGEN_BUILD_ROUTE must be auto, rustup or debian" ;;
esac

json=$(mktemp); trap 'rm -f "$json"' EXIT
"$cargo" "${cargo_args[@]}" "$@" >"$json"
bins=$(grep -o '"executable":"[^"]*"' "$json" | cut -d'"' -f4 | sort -u)
[ -n "$bins" ] || die "cargo built no executable"
for b in $bins; do
  file -b "$b" | grep -q 'statically linked' || die "$b is not statically linked: $(file -b "$b")"
done
echo "$bins"
