#!/usr/bin/env python3
"""List the skill folders in a GitHub repository path, marking installed ones.

    list_skills.py [--repo OWNER/REPO] [--path DIR] [--ref REF] [--json]

Defaults to the curated list: openai/skills, skills/.curated, ref main.
Set GITHUB_TOKEN (or GH_TOKEN) for private repositories or higher rate limits.
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path


def codex_home():
    return Path(os.environ.get("CODEX_HOME") or Path.home() / ".codex").expanduser()


def fetch_listing(repo, path, ref):
    """Return the GitHub contents API entries for `path`, or raise RuntimeError."""
    base = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    url = (f"{base}/repos/{repo}/contents/{urllib.parse.quote(path.strip('/'))}"
           f"?ref={urllib.parse.quote(ref, safe='')}")
    headers = {"Accept": "application/vnd.github+json", "User-Agent": "codex-skill-installer"}
    token = os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                    timeout=30) as response:
            entries = json.load(response)
    except urllib.error.HTTPError as error:
        detail = {404: "not found (or private without GITHUB_TOKEN)",
                  403: "forbidden or rate limited (GITHUB_TOKEN helps)"}.get(error.code, "")
        raise RuntimeError(f"listing {repo}/{path}@{ref} failed: HTTP {error.code} {detail}")
    except urllib.error.URLError as error:
        raise RuntimeError(f"listing {repo}/{path}@{ref} failed: {error.reason}")
    if not isinstance(entries, list):
        raise RuntimeError(f"{repo}/{path} is a file, not a folder")
    return entries


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default="openai/skills", help="OWNER/REPO (default: %(default)s)")
    parser.add_argument("--path", default="skills/.curated",
                        help="folder holding one folder per skill (default: %(default)s)")
    parser.add_argument("--ref", default="main", help="branch or tag (default: %(default)s)")
    parser.add_argument("--dest", type=Path,
                        help="where skills are installed (default: $CODEX_HOME/skills)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)

    try:
        entries = fetch_listing(args.repo, args.path, args.ref)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    dest = (args.dest or codex_home() / "skills").expanduser()
    names = sorted(e["name"] for e in entries
                   if e.get("type") == "dir" and not e.get("name", ".").startswith("."))
    skills = [{"name": name, "installed": (dest / name).is_dir()} for name in names]

    if args.json:
        json.dump({"repo": args.repo, "path": args.path, "ref": args.ref, "skills": skills},
                  sys.stdout, indent=2)
        print()
    elif not skills:
        print(f"No skill folders in {args.repo}/{args.path}@{args.ref}.")
    else:
        print(f"Skills in {args.repo}/{args.path}@{args.ref}:")
        for index, skill in enumerate(skills, start=1):
            mark = " (installed)" if skill["installed"] else ""
            print(f"{index}. {skill['name']}{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
