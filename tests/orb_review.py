#!/usr/bin/env python3
"""Checks a packed orb against the orb review rules (orb-tools' RC001-RC010, plus descriptions on
every parameter), offline.

usage: tests/orb_review.py PACKED_ORB.yml SRC_DIR
Prints one line per violation and exits 1 if there is any, else prints "orb review: ok".

RC009 (a run command longer than 64 characters must come from <<include(...)>>) is checked on the
packed orb by requiring every such command to equal, byte for byte, the packed (`<<`-escaped) text
of a file under SRC_DIR/scripts/. URLs (RC006/RC007) are checked for form (https, a host), not
reached: this machine has no route to them.
"""
import pathlib
import re
import sys
import urllib.parse

import yaml

MAX_COMMAND_LENGTH = 64  # orb-tools review job's default max_command_length
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


def described(node):
    d = node.get("description") if isinstance(node, dict) else None
    return isinstance(d, str) and d.strip() != ""


def run_steps(steps):
    """Every run step, also inside when/unless blocks."""
    for step in steps or []:
        if not isinstance(step, dict):
            continue
        for key, body in step.items():
            if key == "run":
                yield body
            elif key in ("when", "unless") and isinstance(body, dict):
                yield from run_steps(body.get("steps"))


def review(orb, src):
    errors = []
    display = orb.get("display") or {}
    for key, rc in (("source_url", "RC001/RC006"), ("home_url", "RC007")):
        url = display.get(key)
        parts = urllib.parse.urlparse(url) if isinstance(url, str) else None
        if not parts or parts.scheme != "https" or not parts.netloc or " " in url:
            errors.append(f"{rc}: display.{key} must be an https URL, got {url!r}")
    description = orb.get("description")
    if not isinstance(description, str) or len(description.strip()) < 64:
        errors.append("RC005: the orb description must be at least 64 characters")
    examples = orb.get("examples") or {}
    if not examples:
        errors.append("RC003: the orb has no usage example")
    for name in examples:
        if "example" in name:
            errors.append(f"RC004: example name {name!r} should describe the use case, not say 'example'")

    scripts = set()
    for path in sorted((src / "scripts").glob("*")):
        if path.is_file():
            scripts.add(path.read_text().replace("<<", "\\<<"))

    for section in ("commands", "jobs", "executors", "examples"):
        for name, body in (orb.get(section) or {}).items():
            where = f"{section}/{name}"
            if not SNAKE.match(name):
                errors.append(f"RC010: {where}: name must be snake_case")
            if not described(body):
                errors.append(f"RC002: {where}: missing description")
            if not isinstance(body, dict):
                continue
            for pname, param in (body.get("parameters") or {}).items():
                if not SNAKE.match(pname):
                    errors.append(f"RC010: {where}: parameter {pname!r} must be snake_case")
                if not described(param):
                    errors.append(f"RC002: {where}: parameter {pname!r} missing description")
            if section not in ("commands", "jobs"):
                continue
            for i, run in enumerate(run_steps(body.get("steps"))):
                step = f"{where}: run step {i + 1}"
                if not isinstance(run, dict):
                    errors.append(f"RC008: {step} is a bare string; give it a name and a command")
                    continue
                if not isinstance(run.get("name"), str) or not run["name"].strip():
                    errors.append(f"RC008: {step} has no name")
                command = run.get("command", "")
                if len(command) > MAX_COMMAND_LENGTH and command not in scripts:
                    errors.append(
                        f"RC009: {step} ({run.get('name')!r}) has a {len(command)}-character inline "
                        f"command; move it to scripts/ and use <<include(scripts/...)>>"
                    )
    return errors


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    orb = yaml.safe_load(pathlib.Path(sys.argv[1]).read_text())
    errors = review(orb, pathlib.Path(sys.argv[2]))
    for e in errors:
        print(e)
    if not errors:
        print("orb review: ok")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
