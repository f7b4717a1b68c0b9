#!/usr/bin/env bash
# Benchmark: `cigen generate` on a synthetic pipeline of 500 job variants
# (200 multi-arch jobs x 2 + 100 single-arch, over 5 stages with approvals
# and OR-dependencies). Prints the median of 20 runs, the target (50 ms)
# and the ratio against the bare start-up of `cigen --version` measured in
# the same run, so the figure can be compared across machines. Then the
# provider comparison: the same 500 variants without stage-wide requires
# (each job requires only its chain predecessor: GitHub refuses the
# stage-wide shape, whose job conditions exceed its 21,000-character limit)
# generated for CircleCI alone and for both providers
# (`providers: [circleci, github]`), with the ratio (target <= 2x).
# usage: scripts/bench-generate.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
cargo build --release --quiet
bin=$PWD/target/release/cigen
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

synthesize() { # synthesize DIR SHAPE: SHAPE "stages" or "chains"
python3 - "$1" "$2" <<'PY'
import os, sys
root, shape = sys.argv[1], sys.argv[2]
c = os.path.join(root, ".cigen")
os.makedirs(os.path.join(c, "workflows/main/jobs"), exist_ok=True)
open(os.path.join(c, "config.yml"), "w").write(
    "architectures:\n  amd64: {resource_class: medium}\n  arm64: {resource_class: arm.medium}\n"
    "source_file_groups:\n  app: ['app/**/*.rb', 'lib/**/*.rb']\n")
stages = ["install", "test", "build", "deploy", "verify"]
wf = "stages:\n"
for i, s in enumerate(stages):
    wf += f"  - name: {s}\n"
    if i and shape == "stages":
        wf += f"    requires: [{stages[i-1]}]\n"
    if s == "deploy":
        wf += "    approval: true\n"
open(os.path.join(c, "workflows/main/config.yml"), "w").write(wf)
n = 0
for i in range(300):
    stage = stages[i % 5]
    d = os.path.join(c, "workflows/main/jobs", stage)
    os.makedirs(d, exist_ok=True)
    multi = i < 200
    body = "image: cimg/base:current\n"
    if multi:
        body += "architectures: [amd64, arm64]\n"
    body += f"source_files: ['@app', 'spec/part{i}/**/*']\n"
    if i % 5 and i >= 5:
        body += f"requires: [{stages[(i-5) % 5]}_job{i-5}]\n"
    if stage == "build" and i % 50 == 2:
        body += "approval: true\nrequires_any: [approve_deploy]\n"
    body += f"steps:\n  - {{name: Step {i}, run: make part{i}}}\n"
    open(os.path.join(d, f"job{i}.yml"), "w").write(body)
    n += 2 if multi else 1
print(f"synthetic pipeline ({shape}): {n} variants", file=sys.stderr)
PY
}
synthesize "$dir" stages
# The chains shape, for CircleCI alone and for both providers.
mkdir -p "$dir/chains" "$dir/both"
synthesize "$dir/chains" chains
synthesize "$dir/both" chains
sed -i '1i providers: [circleci, github]' "$dir/both/.cigen/config.yml"

time_ms() { # median wall time in ms of "$@" over $runs runs
  local samples=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s%N)
    samples+=($(( (end - start) / 1000 )))
  done
  printf '%s\n' "${samples[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1000}'
}

cd "$dir"
# The synthetic OR-dependencies wait for themselves by design: cigen warns (stderr).
"$bin" generate >/dev/null 2>&1
variants=$(grep -c 'cigen probe' .circleci/config.yml)
base=$(time_ms "$bin" --version)
gen=$(time_ms "$bin" generate)
echo "variants: $variants (hashed, probed in the setup job)"
echo "cigen --version (baseline start-up): ${base} ms median of $runs"
echo "cigen generate: ${gen} ms median of $runs (target <= 50 ms)"
awk -v g="$gen" -v b="$base" 'BEGIN {printf "ratio generate/baseline: %.1fx; generate/target: %.2f\n", g/b, g/50}'

cd "$dir/chains"
"$bin" generate >/dev/null 2>&1
chains=$(time_ms "$bin" generate)
cd "$dir/both"
"$bin" generate >/dev/null
both=$(time_ms "$bin" generate)
files=$(find .circleci .github -name '*.yml' | wc -l)
echo "chains shape, cigen generate, circleci only: ${chains} ms median of $runs"
echo "chains shape, cigen generate, circleci + github ($files files): ${both} ms median of $runs"
awk -v g="$chains" -v b="$both" 'BEGIN {printf "ratio both providers/circleci only: %.2fx (target <= 2x)\n", b/g}'
