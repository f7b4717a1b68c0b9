#!/usr/bin/env bash
# Regenerates the committed output of every example (the golden files the
# tests compare against). Review the diff before committing it.
# usage: scripts/update-golden.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
for example in examples/*/; do
  (cd "$example" && ../../target/debug/cigen generate)
done
