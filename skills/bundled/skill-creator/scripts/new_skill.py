#!/usr/bin/env python3
"""Create the skeleton of a new skill folder.

    new_skill.py <name> <parent-dir> [--description TEXT] [--display-name TEXT]
                 [--short-description TEXT] [--resources scripts,references,assets]

Writes <parent-dir>/<name>/SKILL.md and <parent-dir>/<name>/agents/openai.yaml.
Refuses names that break the naming rule and folders that already exist.
"""

import argparse
import re
import sys
from pathlib import Path

NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_NAME = 64
RESOURCE_DIRS = ("scripts", "references", "assets")
PLACEHOLDER = "TODO say what this skill does and when to use it"


def name_problem(name):
    """Return why `name` is not a valid skill name, or None."""
    if not name:
        return "name is empty"
    if len(name) > MAX_NAME:
        return f"name is {len(name)} characters long; the limit is {MAX_NAME}"
    if not NAME_RE.match(name):
        return ("name may contain only lowercase letters, digits and single hyphens, "
                "and may not start or end with a hyphen")
    return None


def yaml_str(text):
    """Quote `text` as a one-line YAML double-quoted string."""
    if "\n" in text or "\r" in text:
        raise ValueError("text must be a single line")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def title(name):
    return " ".join(part.capitalize() for part in name.split("-"))


def skill_md(name, description, short):
    front = [
        "---",
        f"name: {name}",
        f"description: {yaml_str(description)}",
    ]
    if short:
        front += ["metadata:", f"  short-description: {yaml_str(short)}"]
    front.append("---")
    body = f"""
# {title(name)}

TODO one or two sentences: what this skill is for.

## Steps

1. TODO the first thing to do.
2. TODO the next thing to do.

## Resources

TODO list each file under scripts/, references/ or assets/ and when to use it,
or delete this section if the skill has none.
"""
    return "\n".join(front) + "\n" + body


def openai_yaml(display, short):
    lines = ["interface:", f"  display_name: {yaml_str(display)}"]
    if short:
        lines.append(f"  short_description: {yaml_str(short)}")
    return "\n".join(lines) + "\n"


def parse_resources(value):
    wanted = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [part for part in wanted if part not in RESOURCE_DIRS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown resource folder(s): {', '.join(unknown)}; "
            f"choose from {', '.join(RESOURCE_DIRS)}")
    return wanted


def main(argv=None):
    parser = argparse.ArgumentParser(description="Create the skeleton of a new skill folder.")
    parser.add_argument("name", help="skill name, e.g. release-notes")
    parser.add_argument("parent", type=Path, help="folder in which to create <name>/")
    parser.add_argument("--description", default=PLACEHOLDER,
                        help="front matter description (one line)")
    parser.add_argument("--display-name", help="display_name for agents/openai.yaml")
    parser.add_argument("--short-description", default="",
                        help="a few words for UI lists")
    parser.add_argument("--resources", type=parse_resources, default=[],
                        help="comma-separated folders to create: scripts,references,assets")
    args = parser.parse_args(argv)

    problem = name_problem(args.name)
    if problem:
        print(f"error: invalid skill name {args.name!r}: {problem}", file=sys.stderr)
        return 2
    for label, text in (("description", args.description),
                        ("short description", args.short_description),
                        ("display name", args.display_name or "")):
        if "\n" in text or "\r" in text:
            print(f"error: the {label} must be a single line", file=sys.stderr)
            return 2
    if len(args.description) > 1024:
        print("error: the description is longer than 1024 characters", file=sys.stderr)
        return 2

    target = args.parent / args.name
    if target.exists() or target.is_symlink():
        print(f"error: {target} already exists; edit it instead of creating it again",
              file=sys.stderr)
        return 1

    args.parent.mkdir(parents=True, exist_ok=True)
    target.mkdir()
    (target / "agents").mkdir()
    (target / "SKILL.md").write_text(
        skill_md(args.name, args.description, args.short_description), encoding="utf-8")
    (target / "agents" / "openai.yaml").write_text(
        openai_yaml(args.display_name or title(args.name), args.short_description),
        encoding="utf-8")
    for folder in args.resources:
        (target / folder).mkdir()

    print(f"created {target}")
    print("next: fill in the TODOs in SKILL.md, then run check_skill.py on the folder")
    return 0


if __name__ == "__main__":
    sys.exit(main())
