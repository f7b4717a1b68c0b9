#!/bin/bash
# Runs `cigen setup` with the flags the orb's setup command parameters select
# (CIGEN_PARAM_SELF_CHECK, CIGEN_PARAM_COMMIT_ON_DIFF: "true" or "false").
set -euo pipefail
args=(setup)
if [ "${CIGEN_PARAM_SELF_CHECK:-true}" = true ]; then args+=(--self-check); fi
if [ "${CIGEN_PARAM_COMMIT_ON_DIFF:-false}" = true ]; then args+=(--commit-on-diff); fi
echo "cigen ${args[*]}"
exec cigen "${args[@]}"
