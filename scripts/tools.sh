# shellcheck shell=bash
# Sourced by scripts/test.sh, scripts/test-static.sh and tests/packaging.sh: installs the tools
# they need by package name only (apt, pip), on a fresh machine or as a non-root user (sudo).
#
# ensure_tools SPEC...
#   SPEC is CHECK=MANAGER:PACKAGE, for example
#     curl=apt:curl                       a command on PATH
#     /usr/sbin/sshd=apt:openssh-server   an executable file
#     py:yaml=pip:pyyaml                  a python3 module
#   Installs what is missing (apt first, in one call; then pip, in one call), then checks every
#   SPEC again and returns 1 naming what is still missing: a missing tool fails, never skips.

# Debian's own python3 refuses system-wide pip installs (PEP 668) unless told.
export PIP_BREAK_SYSTEM_PACKAGES=1

tools_as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

tools_have() {
  case $1 in
    py:*) python3 -c "import ${1#py:}" 2>/dev/null ;;
    /*) [ -x "$1" ] ;;
    *) command -v "$1" >/dev/null ;;
  esac
}

ensure_tools() {
  local spec check package apt=() pip=() missing=()
  for spec in "$@"; do
    check=${spec%%=*} package=${spec#*=}
    tools_have "$check" && continue
    case $package in
      apt:*) apt+=("${package#apt:}") ;;
      pip:*) pip+=("${package#pip:}") ;;
      *) echo "ensure_tools: bad spec '$spec' (expected CHECK=apt:PACKAGE or CHECK=pip:PACKAGE)" >&2; return 2 ;;
    esac
  done
  if [ ${#pip[@]} -gt 0 ] && ! python3 -m pip --version >/dev/null 2>&1; then
    apt+=(python3-pip)
  fi
  if [ ${#apt[@]} -gt 0 ]; then
    tools_as_root apt-get update -qq
    tools_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt[@]}" >/dev/null
  fi
  if [ ${#pip[@]} -gt 0 ]; then
    python3 -m pip install --quiet --disable-pip-version-check "${pip[@]}"
  fi
  if command -v pyenv >/dev/null; then pyenv rehash; fi
  hash -r
  for spec in "$@"; do
    check=${spec%%=*}
    tools_have "$check" || missing+=("$check")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "missing tools after installing: ${missing[*]}" >&2
    return 1
  fi
}
