#!/usr/bin/env bash
# Benchmark of `cigen hash --json` on a synthetic 100,000-file repository,
# against git's own look at the same tree in the same run.
#
# The clone holds a cigen.yml with 60 hashed job variants (25 jobs, some on
# two architectures, chained by `requires`; scripts/bench-hash-gen.py). Each
# sample times the whole command, start-up and config loading included:
#   cigen     `cigen hash --json`
#   git       `git --no-optional-locks status --porcelain` (stats every
#             tracked file and finds the untracked ones, like cigen; the
#             option keeps it from rewriting the index, which would make the
#             next sample of either command cleaner than this one)
# measured interleaved, RUNS samples each, twice:
#   clean     a fresh clone (every index entry stat-clean)
#   dirty     1,000 tracked files spread over the tree modified, and touched
#             again before every sample (both commands hash their content)
# and prints the medians, cigen's peak RSS and the ratios cigen/git.
# Targets: clean <= 1.2x, dirty <= 1.5x.
#
# Optional BASELINE=1 also times what a shell setup step would do instead
# (per variant: `git ls-files` of its globs + sha256sum of every match).
#
# Environment: BENCH_DIR (default /tmp/cigen-bench), FILES (100000), SEED
# (42), RUNS (5 samples per measurement), CIGEN (a prebuilt binary; default:
# this crate built with `cargo build --release`). The tree is generated once
# per FILES/SEED and kept.
# usage: scripts/bench-hash.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
crate="$(cd "$here/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/cigen-bench}"
FILES="${FILES:-100000}"
SEED="${SEED:-42}"
RUNS="${RUNS:-5}"

case "$BENCH_DIR" in
  /tmp/*) ;;
  *) echo "BENCH_DIR must be under /tmp" >&2; exit 2 ;;
esac
if [ ! -x /usr/bin/time ]; then
  apt-get install -y -q time >/dev/null
fi
if [ -z "${CIGEN:-}" ]; then
  (cd "$crate" && cargo build --release --quiet)
  CIGEN="${CARGO_TARGET_DIR:-$crate/target}/release/cigen"
fi

src="$BENCH_DIR/src-$FILES-$SEED"
clone="$BENCH_DIR/clone"
mkdir -p "$BENCH_DIR"
if [ ! -f "$src/.bench-complete" ]; then
  echo "generating $FILES files (seed $SEED) in $src ..."
  rm -rf "$src"
  mkdir -p "$src"
  python3 "$here/bench-hash-gen.py" tree "$src" "$FILES" "$SEED"
  git -C "$src" init -q -b main
  git -C "$src" -c gc.auto=0 add -A
  git -C "$src" -c user.name=bench -c user.email=bench@example.com \
    commit -q -m "synthetic tree"
  touch "$src/.git/.bench-complete" "$src/.bench-complete"
fi

echo "cloning fresh ..."
rm -rf "$clone"
git clone -q "$src" "$clone"
python3 "$here/bench-hash-gen.py" cigen "$clone/cigen.yml"
# The config is not part of the tree git compares: both commands see the same files.
echo /cigen.yml >>"$clone/.git/info/exclude"
sync # let the kernel finish writing the clone back before timing anything
tracked=$(git -C "$clone" ls-files | wc -l)
echo "repository: $tracked tracked files, $(du -sm --exclude=.git "$clone" | cut -f1) MB on disk"
cd "$clone"

# 1,000 tracked files spread over the whole tree (no symlinks)
git ls-files -z | tr '\0' '\n' | awk 'NR % 97 == 5' | head -n 1000 >"$BENCH_DIR/dirty.list"
touch_dirty() { tr '\n' '\0' <"$BENCH_DIR/dirty.list" | xargs -0 touch; }

# sample FILE CMD...: one timed run of CMD (stdout to FILE.out); appends the
# wall time in seconds to FILE.times and the peak RSS in kB to FILE.rss.
sample() {
  local name=$1 t0 t1
  shift
  t0=$(date +%s%N)
  /usr/bin/time -v -o "$BENCH_DIR/$name.time" "$@" >"$BENCH_DIR/$name.out"
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", (b - a) / 1e9 }' >>"$BENCH_DIR/$name.times"
  awk -F': ' '/Maximum resident set size/ { print $2 }' "$BENCH_DIR/$name.time" >>"$BENCH_DIR/$name.rss"
}
median() { sort -n "$BENCH_DIR/$1.times" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
report() {
  printf '%-13s median %s s  (samples: %s)  peak RSS %d MB\n' "$1" "$(median "$1")" \
    "$(tr '\n' ' ' <"$BENCH_DIR/$1.times")" $(($(sort -n "$BENCH_DIR/$1.rss" | tail -n 1) / 1024))
}

# measure LABEL BEFORE: RUNS interleaved samples of cigen and git, BEFORE run before each.
measure() {
  local label=$1 before=$2
  rm -f "$BENCH_DIR/$label"-*.times "$BENCH_DIR/$label"-*.rss
  for _ in $(seq "$RUNS"); do
    $before
    sample "$label-cigen" "$CIGEN" hash --json
    $before
    sample "$label-git" git --no-optional-locks status --porcelain
  done
  report "$label-cigen"
  report "$label-git"
}

echo "machine: $(nproc) cores, load average$(uptime | sed 's/.*load average//')"
"$CIGEN" hash --json >"$BENCH_DIR/warm.out" # warm the page cache once
git --no-optional-locks status --porcelain >/dev/null
measure clean true
variants=$(grep -c '": "[0-9a-f]\{64\}"' "$BENCH_DIR/clean-cigen.out")
echo "clean: $variants variant hashes"

while IFS= read -r f; do printf 'edited\n' >>"$f"; done <"$BENCH_DIR/dirty.list"
sync
measure dirty touch_dirty
changed=$(diff <(grep -o '"[a-z0-9_]*": "[0-9a-f]\{64\}"' "$BENCH_DIR/clean-cigen.out") \
  <(grep -o '"[a-z0-9_]*": "[0-9a-f]\{64\}"' "$BENCH_DIR/dirty-cigen.out") | grep -c '^>' || true)
echo "dirty: $changed of $variants variant hashes changed; git reports $(wc -l <"$BENCH_DIR/dirty-git.out") modified files"
git checkout -q -- .

if [ -n "${BASELINE:-}" ]; then
  python3 "$here/bench-hash-gen.py" variants "$BENCH_DIR/variants.json"
  python3 - "$BENCH_DIR/variants.json" >"$BENCH_DIR/baseline.sh" <<'EOF'
import json, shlex, sys
print("set -e")
for v in json.load(open(sys.argv[1])):
    specs = " ".join(shlex.quote(":(glob)" + p) for p in v["patterns"])
    print(f"echo {v['variant_id']} $(git ls-files -z -- {specs} | xargs -0 -r sha256sum | sha256sum)")
EOF
  rm -f "$BENCH_DIR"/baseline.times "$BENCH_DIR"/baseline.rss
  sample baseline bash "$BENCH_DIR/baseline.sh"
  report baseline
  awk -v b="$(median baseline)" -v c="$(median clean-cigen)" \
    'BEGIN { printf "ratio baseline/cigen (clean): %.1fx\n", b / c }'
fi

echo "machine: load average$(uptime | sed 's/.*load average//')"
awk -v cc="$(median clean-cigen)" -v cg="$(median clean-git)" \
  -v dc="$(median dirty-cigen)" -v dg="$(median dirty-git)" 'BEGIN {
  printf "ratio cigen/git clean: %.2fx (target <= 1.2x)\n", cc / cg
  printf "ratio cigen/git dirty: %.2fx (target <= 1.5x)\n", dc / dg
}'
