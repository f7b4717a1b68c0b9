#!/usr/bin/env python3
"""Packs the orb source tree (orb-development-kit layout) into one orb YAML, as `circleci orb pack` does.

usage: scripts/orb-pack.py [SRC_DIR] [-o OUT]      (default SRC_DIR orb/src, default OUT stdout)

Rules, taken from circleci-cli's `orb pack` (cmd/orb.go packOrb, process.MaybeIncludeFile):
- SRC_DIR must hold @orb.yml; its keys are merged at the root.
- Each YAML file directly in commands/, jobs/, executors/, examples/ becomes
  <dir>: {<file stem>: <file content>}. Non-YAML files, dotfiles and subfolders are not packed
  (scripts/ exists only to be included).
- In commands, jobs and executors, a scalar that is an include directive,
  `<<include(path)>>` (path relative to SRC_DIR), is replaced by that file's text with every
  `<<` escaped as `\\<<` so CircleCI does not read it as a parameter. The directive must be the
  whole scalar value, one per value; examples are not processed.
- Output keys in the CLI's order: version, description, display, orbs, commands, executors,
  jobs, examples; other keys are dropped, as the CLI's schema struct drops them.
Needs PyYAML. Exits 1 with a message on any error.
"""
import argparse
import os
import pathlib
import re
import sys

import yaml

SECTIONS = ("commands", "jobs", "executors", "examples")
KEY_ORDER = ("version", "description", "display", "orbs", "commands", "executors", "jobs", "examples")
INCLUDE = re.compile(r"<<\s*include\(([-\w/.]+)\)\s*>>")


class PackError(Exception):
    pass


def load(path):
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise PackError(f"{path}: invalid YAML: {e}") from e


def include(value, root):
    matches = INCLUDE.findall(value)
    if not matches:
        return value
    if len(matches) > 1:
        raise PackError(f"multiple include statements: {value!r}")
    if not INCLUDE.fullmatch(value):
        raise PackError(f"entire string must be include statement: {value!r}")
    target = pathlib.Path(os.path.normpath(root / matches[0]))
    if pathlib.Path(os.path.normpath(root)) not in target.parents:
        raise PackError(f"include path leaves {root}: {matches[0]}")
    try:
        text = target.read_text()
    except OSError as e:
        raise PackError(f"could not open {root / matches[0]} for inclusion") from e
    return text.replace("<<", "\\<<")


def inline(node, root):
    if isinstance(node, dict):
        return {k: inline(v, root) for k, v in node.items()}
    if isinstance(node, list):
        return [inline(v, root) for v in node]
    if isinstance(node, str) and node:
        return include(node, root)
    return node


def pack(src):
    src = pathlib.Path(src)
    orb_file = src / "@orb.yml"
    if not orb_file.is_file():
        raise PackError(f"{orb_file} not found, are you sure this is the orb root?")
    orb = load(orb_file) or {}
    if not isinstance(orb, dict):
        raise PackError(f"{orb_file}: expected a mapping")
    for section in SECTIONS:
        folder = src / section
        if not folder.is_dir():
            continue
        entries = orb.setdefault(section, {}) or {}
        orb[section] = entries
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or not path.is_file() or path.suffix not in (".yml", ".yaml"):
                continue
            if path.stem in entries:
                raise PackError(f"{section}/{path.stem} is defined twice")
            entries[path.stem] = load(path)
    for section in ("commands", "jobs", "executors"):
        if section in orb:
            orb[section] = inline(orb[section], src)
    return {k: orb[k] for k in KEY_ORDER if orb.get(k) not in (None, {})}


class Dumper(yaml.SafeDumper):
    pass


def _str(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


Dumper.add_representer(str, _str)


def dump(orb):
    return yaml.dump(orb, Dumper=Dumper, sort_keys=False, width=1000, allow_unicode=True)


def main():
    ap = argparse.ArgumentParser(description="Pack an orb source tree into one orb YAML.")
    ap.add_argument("src", nargs="?", default="orb/src")
    ap.add_argument("-o", "--output")
    args = ap.parse_args()
    try:
        text = dump(pack(args.src))
    except PackError as e:
        print(f"orb-pack: error: {e}", file=sys.stderr)
        return 1
    if args.output:
        pathlib.Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
