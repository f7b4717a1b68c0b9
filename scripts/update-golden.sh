#!/usr/bin/env bash
# Regenerates the committed output of every example (the golden files the
# tests compare against: .circleci/ and, where github is a provider,
# .github/workflows/) and this repository's own .circleci/ (from .cigen/).
# Review the diff before committing it.
# usage: scripts/update-golden.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
root=$PWD
for dir in examples/*/ .; do
  (cd "$dir" && "$root/target/debug/cigen" generate)
done
