#!/usr/bin/env bash
# Benchmark of the job-hash engine on a synthetic 100,000-file repository.
#
# Measures, in one run:
#   clean     - hash all 60 variants in a fresh clone (clean index)
#   dirty     - the same after modifying the content of 1,000 tracked files
#   baseline  - what a shell setup step does: per variant `git ls-files` of
#               its globs + sha256sum of every matched file's content
# and prints wall times, peak RSS and the ratio baseline/clean.
#
# HASH_CMD is the command timed (split on spaces), run with the clone as
# working directory and, unless HASH_ARGS is set to empty, with the clone
# and the variants file appended: `$HASH_CMD REPO VARIANTS_JSON`. The
# default is this crate's examples/bench_hash. To bench the CLI instead,
# write a .cigen/ for the 60 variants of VARIANTS_JSON into the clone and
# run with HASH_CMD="cigen hash --json" HASH_ARGS= HASH_CMD_PREBUILT=1.
#
# Environment: BENCH_DIR (default /tmp/cigen-bench), FILES (100000),
# SEED (42), RUNS (3 timed runs per measurement), HASH_CMD_PREBUILT (skip
# the cargo build). The tree is generated once per FILES/SEED and kept.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
crate="$(cd "$here/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/cigen-bench}"
FILES="${FILES:-100000}"
SEED="${SEED:-42}"
RUNS="${RUNS:-3}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$crate/target}"
HASH_CMD="${HASH_CMD:-$CARGO_TARGET_DIR/release/examples/bench_hash}"
HASH_ARGS="${HASH_ARGS-repo variants}"
read -r -a hash_cmd <<<"$HASH_CMD"

case "$BENCH_DIR" in
  /tmp/*) ;;
  *) echo "BENCH_DIR must be under /tmp" >&2; exit 2 ;;
esac

if [ ! -x /usr/bin/time ]; then
  apt-get install -y -q time >/dev/null
fi

if [ -z "${HASH_CMD_PREBUILT:-}" ]; then
  (cd "$crate" && cargo build --release --quiet --example bench_hash)
fi

src="$BENCH_DIR/src-$FILES-$SEED"
clone="$BENCH_DIR/clone"
variants="$BENCH_DIR/variants.json"
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
python3 "$here/bench-hash-gen.py" variants "$variants"

echo "cloning fresh ..."
rm -rf "$clone"
git clone -q "$src" "$clone"
sync # let the kernel finish writing the clone back before timing anything

tracked=$(git -C "$clone" ls-files | wc -l)
echo "repository: $tracked tracked files, $(du -sm --exclude=.git "$clone" | cut -f1) MB on disk"

# measure NAME CMD... : runs CMD RUNS times, prints each wall time and peak
# RSS, and leaves the median wall time (seconds) in $median.
measure() {
  local name=$1
  shift
  local times=() rss=0 out="$BENCH_DIR/$name.out"
  for _ in $(seq "$RUNS"); do
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -v -o "$BENCH_DIR/$name.time" "$@" >"$out"
    t1=$(date +%s%N)
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')")
    local r
    r=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$BENCH_DIR/$name.time")
    [ "$r" -gt "$rss" ] && rss=$r
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  printf '%-10s wall %s s (runs: %s)  peak RSS %d MB\n' \
    "$name" "$median" "${times[*]}" $((rss / 1024))
}

hash_args=()
if [ -n "$HASH_ARGS" ]; then
  hash_args=("$clone" "$variants")
fi

cd "$clone"
echo "machine: $(nproc) cores, load average$(uptime | sed 's/.*load average//')"
"${hash_cmd[@]}" "${hash_args[@]}" >/dev/null # warm the page cache once
measure clean "${hash_cmd[@]}" "${hash_args[@]}"
clean=$median
cp "$BENCH_DIR/clean.out" "$BENCH_DIR/clean.hashes"
# reference point, not a target: git's own stat-everything-and-find-untracked
measure git-status git status --porcelain

# modify 1,000 tracked files spread over the whole tree
git ls-files -z | tr '\0' '\n' | awk 'NR % 97 == 5' | head -n 1000 | while IFS= read -r f; do
  [ -L "$f" ] || printf 'edited\n' >>"$f"
done
sync
measure dirty "${hash_cmd[@]}" "${hash_args[@]}"
dirty=$median
changed=$(diff <(grep -o '"[a-z0-9_]*": "[0-9a-f]\{64\}"' "$BENCH_DIR/clean.hashes") \
  <(grep -o '"[a-z0-9_]*": "[0-9a-f]\{64\}"' "$BENCH_DIR/dirty.out") | grep -c '^>' || true)
echo "dirty: $changed of 60 variant hashes changed"
git checkout -q -- .

# baseline: per-variant git ls-files + sha256sum of every matched file
python3 - "$variants" >"$BENCH_DIR/baseline.sh" <<'EOF'
import json, shlex, sys
print("set -e")
for v in json.load(open(sys.argv[1])):
    specs = " ".join(shlex.quote(":(glob)" + p) for p in v["patterns"])
    print(f"echo {v['variant_id']} $(git ls-files -z -- {specs} | xargs -0 -r sha256sum | sha256sum)")
EOF
RUNS=1 measure baseline bash "$BENCH_DIR/baseline.sh"
baseline=$median

echo "machine: load average$(uptime | sed 's/.*load average//')"
awk -v b="$baseline" -v c="$clean" -v d="$dirty" 'BEGIN {
  printf "ratio baseline/clean: %.1fx   (dirty/clean: %.2fx)\n", b / c, d / c
}'
