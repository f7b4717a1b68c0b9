#!/usr/bin/env bash
# Benchmark of the static release binary: the median wall time of `cigen --version` over
# RUNS runs (target: <= 5 ms), next to the median of `/bin/true` measured the same way in
# the same run (the cost of spawning any process here), their ratio, and the binary's size
# (limit: 15 MB). Runs alternate between the two commands so load affects both alike.
#
# usage: scripts/bench-static.sh [BINARY] [RUNS]     (RUNS default 50)
#   without BINARY (or with "") it builds one with scripts/build-static.sh
# Exits 1 when the median is over 5 ms or the binary over 15 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-}
runs=${2:-50}
if [ -z "$bin" ]; then
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  bin=$(timeout 2400 bash scripts/build-static.sh 2>"$log" | tail -n 1) \
    || { tail -n 30 "$log" >&2; echo "bench-static: build-static.sh failed" >&2; exit 1; }
fi
[ -x "$bin" ] || { echo "bench-static: no executable at '$bin'" >&2; exit 1; }

timeout 120 python3 - "$bin" "$runs" <<'PY'
import os, statistics, subprocess, sys, time

binary, runs = sys.argv[1], int(sys.argv[2])
target_ms, limit_bytes = 5.0, 15 * 1000 * 1000
commands = {"cigen --version": [binary, "--version"], "/bin/true": ["/bin/true"]}
for argv in commands.values():  # warm the page cache
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
times = {name: [] for name in commands}
for _ in range(runs):
    for name, argv in commands.items():
        start = time.perf_counter_ns()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        times[name].append((time.perf_counter_ns() - start) / 1e6)
median = {name: statistics.median(t) for name, t in times.items()}
size = os.path.getsize(binary)
cigen, true = median["cigen --version"], median["/bin/true"]
print(f"cigen --version: median {cigen:.2f} ms over {runs} runs (target <= {target_ms:.0f} ms)")
print(f"/bin/true:       median {true:.2f} ms over {runs} runs (baseline, same run)")
print(f"ratio:           {cigen / true:.2f}x the baseline ({cigen - true:+.2f} ms)")
print(f"size:            {size} bytes ({size / 1e6:.1f} MB, limit 15 MB)")
ok = cigen <= target_ms and size <= limit_bytes
print("within target" if ok else "OVER target")
sys.exit(0 if ok else 1)
PY
