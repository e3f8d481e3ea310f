#!/usr/bin/env python3
"""Install skills from a GitHub repository into $CODEX_HOME/skills.

    install_skill.py NAME [NAME ...]                   curated skills from openai/skills
    install_skill.py --repo OWNER/REPO --path DIR [--path DIR ...] [--ref REF]
    install_skill.py --url https://github.com/OWNER/REPO/tree/REF/DIR

Each skill folder is copied to <dest>/<basename of DIR> (or --name). An existing
folder is never overwritten. Set GITHUB_TOKEN (or GH_TOKEN) for private repositories.
"""

import argparse
import base64
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path, PurePosixPath

DEFAULT_REPO = "openai/skills"
CURATED_PATH = "skills/.curated"
USER_AGENT = "codex-skill-installer"


class InstallError(Exception):
    pass


def codex_home():
    return Path(os.environ.get("CODEX_HOME") or Path.home() / ".codex").expanduser()


def github_token():
    return os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN") or ""


def parse_tree_url(url):
    """Split https://github.com/OWNER/REPO/tree/REF/PATH into (repo, ref, path).

    The first segment after tree/ is taken as the ref, so refs containing '/'
    need --repo/--path/--ref instead.
    """
    parts = urllib.parse.urlparse(url)
    if parts.scheme not in ("http", "https") or parts.netloc not in ("github.com", "www.github.com"):
        raise InstallError(f"not a github.com URL: {url}")
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 5 or segments[2] not in ("tree", "blob"):
        raise InstallError("expected https://github.com/OWNER/REPO/tree/REF/PATH/TO/SKILL")
    repo = f"{segments[0]}/{segments[1].removesuffix('.git')}"
    ref = segments[3]
    path = "/".join(segments[4:])
    if path.endswith("/SKILL.md") or path == "SKILL.md":
        path = path[: -len("SKILL.md")].rstrip("/")
    if not path:
        raise InstallError("the URL must point at a skill folder, not the repository root")
    return repo, ref, path


def clean_path(path):
    """Normalise a repository path and reject anything that escapes the repository."""
    pure = PurePosixPath(path.strip("/"))
    if not pure.parts or pure.is_absolute() or any(p in ("..", ".") for p in pure.parts):
        raise InstallError(f"invalid repository path: {path!r}")
    return pure.as_posix()


def skill_name_for(path, override):
    name = override or PurePosixPath(path).name
    if not name or name.startswith(".") or "/" in name or "\\" in name:
        raise InstallError(f"cannot use {name!r} as a skill folder name; pass --name")
    return name


# --- fetching -----------------------------------------------------------------------------


def tarball_url(repo, ref):
    # Public repositories: codeload serves the tarball directly. With a token (or a GitHub
    # Enterprise API URL) ask the API, which redirects to a codeload URL carrying its own
    # short-lived credentials.
    api = os.environ.get("GITHUB_API_URL")
    if github_token() or api:
        base = (api or "https://api.github.com").rstrip("/")
        return f"{base}/repos/{repo}/tarball/{urllib.parse.quote(ref, safe='')}"
    return f"https://codeload.github.com/{repo}/tar.gz/{urllib.parse.quote(ref, safe='/')}"


def download(repo, ref, target):
    request = urllib.request.Request(tarball_url(repo, ref), headers={"User-Agent": USER_AGENT})
    token = github_token()
    if token:
        # Unredirected, so the token is not forwarded to the host we are redirected to.
        request.add_unredirected_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response, open(target, "wb") as out:
            shutil.copyfileobj(response, out)
    except urllib.error.HTTPError as error:
        hint = "" if token else " (for a private repository set GITHUB_TOKEN)"
        raise InstallError(f"downloading {repo}@{ref} failed: HTTP {error.code}{hint}") from error
    except urllib.error.URLError as error:
        raise InstallError(f"downloading {repo}@{ref} failed: {error.reason}") from error


def extract_folder(archive, repo_path, target):
    """Copy `repo_path` out of a GitHub tarball into the new folder `target`.

    GitHub tarballs hold a single top-level folder (`REPO-SHA/`), which is skipped.
    Only regular files and folders are copied; links and special files are ignored.
    Returns the number of files written.
    """
    prefix = PurePosixPath(repo_path).parts
    written = 0
    with tarfile.open(archive, "r:*") as tar:
        for member in tar:
            parts = PurePosixPath(member.name).parts[1:]
            if parts[: len(prefix)] != prefix:
                continue
            rel = parts[len(prefix):]
            if any(p in ("..", "") for p in rel) or member.name.startswith("/"):
                raise InstallError(f"unsafe path in archive: {member.name}")
            dest = target.joinpath(*rel)
            if member.isdir():
                dest.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                dest.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                if source is None:
                    continue
                with source, open(dest, "wb") as out:
                    shutil.copyfileobj(source, out)
                os.chmod(dest, 0o755 if member.mode & 0o111 else 0o644)
                written += 1
    return written


def git_checkout(repo, ref, paths, workdir):
    """Sparse-clone `paths` of `repo` at `ref` into `workdir`; return the clone folder."""
    if not shutil.which("git"):
        raise InstallError("git is not installed")
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0")
    token = github_token()
    if token:
        # Pass the token through the environment, not argv, so it stays out of `ps`.
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        env.update(GIT_CONFIG_COUNT="1",
                   GIT_CONFIG_KEY_0="http.https://github.com/.extraheader",
                   GIT_CONFIG_VALUE_0=f"Authorization: Basic {basic}")
    clone = workdir / "repo"
    commands = [
        ["git", "clone", "--quiet", "--depth", "1", "--filter=blob:none", "--sparse",
         "--branch", ref, f"https://github.com/{repo}.git", str(clone)],
        ["git", "-C", str(clone), "sparse-checkout", "set", "--no-cone", *paths],
    ]
    for command in commands:
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise InstallError(f"{' '.join(command[:3])} failed: {result.stderr.strip()}")
    return clone


# --- installing ---------------------------------------------------------------------------


def place(staged, final):
    """Move a staged skill folder into place after checking it."""
    if not (staged / "SKILL.md").is_file():
        raise InstallError(f"{final.name}: the folder has no SKILL.md, so it is not a skill")
    if final.exists():
        raise InstallError(f"{final} already exists; not overwriting it")
    os.rename(staged, final)


def install(repo, ref, paths, names, dest, method, archive=None):
    finals = [dest / name for name in names]
    for final in finals:
        if final.exists():
            raise InstallError(f"{final} already exists; remove it first to reinstall")
    dest.mkdir(parents=True, exist_ok=True)
    # Staging next to the destination lets the final step be an atomic rename.
    with tempfile.TemporaryDirectory(prefix=".install-", dir=dest) as tmp:
        work = Path(tmp)
        sources = None
        if archive is None and method in ("auto", "download"):
            try:
                archive = work / "repo.tar.gz"
                download(repo, ref, archive)
            except InstallError as error:
                if method == "download" or not shutil.which("git"):
                    raise
                print(f"{error}; trying git instead", file=sys.stderr)
                archive = None
        if archive is None:
            clone = git_checkout(repo, ref, paths, work)
            sources = [clone / path for path in paths]
        for index, (path, final) in enumerate(zip(paths, finals)):
            staged = work / f"skill-{index}"
            if sources is None:
                if extract_folder(archive, path, staged) == 0:
                    raise InstallError(f"{path} was not found in {repo}@{ref}")
            else:
                if not sources[index].is_dir():
                    raise InstallError(f"{path} was not found in {repo}@{ref}")
                shutil.copytree(sources[index], staged, symlinks=False,
                                ignore=shutil.ignore_patterns(".git"))
            place(staged, final)
            print(f"installed {final.name} -> {final}")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Install skills from GitHub into $CODEX_HOME/skills.",
        epilog="Restart Codex afterwards so it picks up the new skills.")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"curated skill name(s), shorthand for --repo {DEFAULT_REPO} "
                             f"--path {CURATED_PATH}/NAME")
    parser.add_argument("--repo", help="OWNER/REPO on github.com")
    parser.add_argument("--path", action="append", default=[],
                        help="skill folder inside the repository (repeatable)")
    parser.add_argument("--url", help="https://github.com/OWNER/REPO/tree/REF/PATH")
    parser.add_argument("--ref", help="branch or tag (default: main, or the one in --url)")
    parser.add_argument("--name", help="installed folder name (only with a single skill)")
    parser.add_argument("--dest", type=Path, help="install root (default: $CODEX_HOME/skills)")
    parser.add_argument("--method", choices=("auto", "download", "git"), default="auto",
                        help="auto downloads the tarball and falls back to git")
    parser.add_argument("--archive", type=Path,
                        help="use this local GitHub tarball instead of fetching the repository")
    args = parser.parse_args(argv)

    try:
        if args.url:
            if args.repo or args.path or args.names:
                parser.error("--url cannot be combined with --repo, --path or names")
            repo, url_ref, path = parse_tree_url(args.url)
            ref, paths = args.ref or url_ref, [path]
        elif args.repo:
            if args.names or not args.path:
                parser.error("--repo needs one or more --path and no positional names")
            repo, ref, paths = args.repo, args.ref or "main", args.path
        elif args.names:
            if args.path:
                parser.error("--path needs --repo")
            repo, ref = DEFAULT_REPO, args.ref or "main"
            paths = [f"{CURATED_PATH}/{name}" for name in args.names]
        else:
            parser.error("give curated skill names, --repo with --path, or --url")
        if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repo):
            raise InstallError(f"invalid repository {repo!r}; expected OWNER/REPO")
        paths = [clean_path(p) for p in paths]
        if args.name and len(paths) != 1:
            parser.error("--name works only when installing a single skill")
        names = [skill_name_for(p, args.name) for p in paths]
        if len(set(names)) != len(names):
            raise InstallError("two of the skills would get the same folder name")
        dest = (args.dest or codex_home() / "skills").expanduser()
        install(repo, ref, paths, names, dest, args.method, args.archive)
    except InstallError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print("Restart Codex to load the new skills.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
