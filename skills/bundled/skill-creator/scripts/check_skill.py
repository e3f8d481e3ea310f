#!/usr/bin/env python3
"""Check a skill folder's SKILL.md front matter (and agents/openai.yaml icon paths).

    check_skill.py <skill-dir> [<skill-dir> ...]

Exits 0 when every folder passes, 1 when any problem is found, 2 on bad usage.
Warnings are printed but do not fail the check.

Only the small YAML subset used by skill front matter is understood: top-level
`key: value` lines, quoted or plain scalars, and one level of nested mapping.
"""

import re
import sys
from pathlib import Path

NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_NAME = 64
MAX_DESCRIPTION = 1024
KNOWN_KEYS = {"name", "description", "metadata", "license", "allowed-tools"}
KEY_RE = re.compile(r"^([A-Za-z0-9_-]+):(?:\s+(.*))?$")


class FrontMatterError(Exception):
    pass


def split_front_matter(text):
    """Return (front matter lines, body lines) of SKILL.md text, or raise FrontMatterError."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise FrontMatterError("SKILL.md must start with a '---' line opening the front matter")
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return lines[1:index], lines[index + 1:]
    raise FrontMatterError("front matter is not closed by a '---' line")


def scalar(raw, key):
    """Decode a one-line YAML scalar."""
    raw = raw.strip()
    if raw.startswith('"'):
        match = re.fullmatch(r'"((?:[^"\\]|\\.)*)"\s*(#.*)?', raw)
        if not match:
            raise FrontMatterError(f"{key}: unterminated or malformed double-quoted string")
        return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)),
                      match.group(1))
    if raw.startswith("'"):
        match = re.fullmatch(r"'((?:[^']|'')*)'\s*(#.*)?", raw)
        if not match:
            raise FrontMatterError(f"{key}: unterminated or malformed single-quoted string")
        return match.group(1).replace("''", "'")
    if raw[:1] in ("|", ">"):
        raise FrontMatterError(f"{key}: block scalars ('|' or '>') are not allowed; "
                               "write the value on one line")
    if raw[:1] in ("[", "{", "&", "*", "!", "%", "@", "`"):
        raise FrontMatterError(f"{key}: value starts with {raw[0]!r}; wrap it in double quotes")
    value = re.split(r"\s#", raw, maxsplit=1)[0].rstrip()
    if ": " in value or value.endswith(":"):
        raise FrontMatterError(f"{key}: unquoted value contains ': ', which is invalid YAML; "
                               "wrap the value in double quotes")
    return value


def parse(lines):
    """Parse front matter lines into a dict of strings and one-level dicts."""
    data = {}
    current = None  # the top-level key whose nested mapping is being read
    for number, line in enumerate(lines, start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if "\t" in line[: len(line) - len(line.lstrip())]:
            raise FrontMatterError(f"line {number}: tabs are not allowed for indentation")
        indented = line[0] == " "
        match = KEY_RE.match(line.strip())
        if indented:
            if current is None or not isinstance(data[current], dict) or not match:
                raise FrontMatterError(
                    f"line {number}: unexpected indented line; every value must fit on "
                    "the line of its key")
            data[current][match.group(1)] = scalar(match.group(2) or "", match.group(1))
            continue
        if not match:
            raise FrontMatterError(f"line {number}: expected 'key: value'")
        key, raw = match.group(1), match.group(2)
        if key in data:
            raise FrontMatterError(f"line {number}: duplicate key {key!r}")
        if raw is None or raw.strip() == "" or raw.strip().startswith("#"):
            data[key] = {}
            current = key
        else:
            data[key] = scalar(raw, key)
            current = None
    return data


def check_icons(skill_dir, problems):
    path = skill_dir / "agents" / "openai.yaml"
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s+(icon_small|icon_large):\s*(.+?)\s*$", line)
        if not match:
            continue
        value = match.group(2).strip("\"'")
        if not (skill_dir / value).is_file():
            problems.append(f"agents/openai.yaml: {match.group(1)} points at missing file {value}")


def check(skill_dir):
    """Return (problems, warnings) for one skill folder."""
    problems, warnings = [], []
    skill_md = skill_dir / "SKILL.md"
    if not skill_md.is_file():
        return [f"{skill_md} does not exist"], warnings
    text = skill_md.read_text(encoding="utf-8")
    try:
        front, body = split_front_matter(text)
        data = parse(front)
    except FrontMatterError as error:
        return [str(error)], warnings

    name = data.get("name")
    if not isinstance(name, str) or not name:
        problems.append("front matter has no 'name'")
    else:
        if len(name) > MAX_NAME:
            problems.append(f"name is {len(name)} characters long; the limit is {MAX_NAME}")
        if not NAME_RE.match(name):
            problems.append(f"name {name!r} may contain only lowercase letters, digits and "
                            "single hyphens, and may not start or end with a hyphen")
        if name != skill_dir.resolve().name:
            problems.append(f"name {name!r} does not match the folder name "
                            f"{skill_dir.resolve().name!r}")

    description = data.get("description")
    if not isinstance(description, str) or not description.strip():
        problems.append("front matter has no non-empty 'description'")
    else:
        if len(description) > MAX_DESCRIPTION:
            problems.append(f"description is {len(description)} characters long; "
                            f"the limit is {MAX_DESCRIPTION}")
        if "\n" in description:
            problems.append("description must be a single line")
        if description.startswith("TODO"):
            problems.append("description is still the TODO placeholder")
        elif len(description) > 300:
            warnings.append("description is over 300 characters; consider tightening it")

    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        problems.append("'metadata' must be a mapping")
    for key in sorted(set(data) - KNOWN_KEYS):
        warnings.append(f"unknown front matter key {key!r}")
    if any("TODO" in line for line in body):
        warnings.append("SKILL.md body still contains TODO markers")

    check_icons(skill_dir, problems)
    return problems, warnings


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    failed = False
    for arg in argv:
        skill_dir = Path(arg)
        problems, warnings = check(skill_dir)
        for warning in warnings:
            print(f"{skill_dir}: warning: {warning}")
        for problem in problems:
            print(f"{skill_dir}: error: {problem}")
        if problems:
            failed = True
        else:
            print(f"{skill_dir}: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
