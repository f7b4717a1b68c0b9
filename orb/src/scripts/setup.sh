#!/bin/bash
# Runs `cigen setup` with the flags the orb's setup command parameters select
# (CIGEN_ORB_SELF_CHECK, CIGEN_ORB_COMMIT_ON_DIFF: "true" or "false"), and hands it
# the pipeline values its hashed jobs reference (CIGEN_ORB_PIPELINE_VALUES: one
# NAME=value line each, as `cigen generate` writes them) as CIGEN_VALUES. It is
# always set, empty too, so cigen checks it against the configuration: a missing
# or extra value, or a value holding a line break, is an error, never a guess.
set -euo pipefail
args=(setup)
if [ "${CIGEN_ORB_SELF_CHECK:-true}" = true ]; then args+=(--self-check); fi
if [ "${CIGEN_ORB_COMMIT_ON_DIFF:-false}" = true ]; then args+=(--commit-on-diff); fi
export CIGEN_VALUES="${CIGEN_ORB_PIPELINE_VALUES-}"
echo "cigen ${args[*]}"
exec cigen "${args[@]}"
