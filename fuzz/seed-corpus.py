#!/usr/bin/env python3
"""Builds the fuzz corpora in fuzz/corpus/<target>/ from the repository's test fixtures and the
small seeds committed in fuzz/seeds/<target>/. Run from anywhere; safe to run again (files are
named by their content's hash, so nothing is duplicated)."""

import glob
import hashlib
import json
import os
import re

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
FIXTURES = os.path.join(ROOT, "test-support", "fixtures", "reference-0.101.0")


def add(target, data):
    if isinstance(data, str):
        data = data.encode()
    folder = os.path.join(FUZZ, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(folder, name), "wb") as out:
        out.write(data)


def committed(target):
    for path in sorted(glob.glob(os.path.join(FUZZ, "seeds", target, "*"))):
        with open(path, "rb") as seed:
            yield seed.read()


def examples(kind):
    """The reference's wire examples: (method, params, result) of each."""
    for path in sorted(glob.glob(os.path.join(FIXTURES, "examples", kind, "*.json"))):
        with open(path) as file:
            document = json.load(file)
        for example in document.get("examples", []):
            yield document.get("method"), example.get("params"), example.get("result")


def jsonrpc():
    for seed in committed("jsonrpc"):
        add("jsonrpc", seed)
    for number, (method, params, result) in enumerate(examples("requests")):
        add("jsonrpc", json.dumps({"id": number, "method": method, "params": params}))
        if result is not None:
            add("jsonrpc", json.dumps({"id": number, "result": result}))
    for method, params, _ in examples("notifications"):
        add("jsonrpc", json.dumps({"method": method, "params": params}))


def apply_patch():
    for seed in committed("apply_patch"):
        add("apply_patch", seed)
    # The patches of the crate's own tests, as written in their string literals.
    pattern = re.compile(r"\*\*\* Begin Patch.*?\*\*\* End Patch", re.S)
    for path in glob.glob(os.path.join(ROOT, "apply-patch", "tests", "suite", "*.rs")):
        with open(path) as file:
            text = file.read()
        for found in pattern.findall(text):
            add("apply_patch", found.replace("\\n", "\n").replace('\\"', '"'))


def config():
    files = [""]
    for path in sorted(glob.glob(os.path.join(ROOT, "config", "tests", "**", "*.toml"), recursive=True)):
        with open(path) as file:
            files.append(file.read())
    edits = [(params["keyPath"], json.dumps(params["value"]))
             for method, params, _ in examples("requests")
             if method == "config/value/write" and params]
    edits += [("mcp_servers.docs.command", '"npx"'), ("profiles.fast.model", '"o3"'),
              ("a..b", "1"), ("features", '{"web_search_request": true}')]
    for text in files:
        add("config", text)
        for key, value in edits:
            add("config", f"{text}\0{key}\0{value}")


def sse():
    # The first byte says how the body is cut into chunks: whole, and one byte at a time.
    for seed in committed("sse"):
        add("sse", b"\x3f" + seed)
        add("sse", b"\x00" + seed)


def rollout():
    for path in sorted(glob.glob(os.path.join(FIXTURES, "rollouts", "*.jsonl"))):
        with open(path, "rb") as file:
            data = file.read()
        add("rollout", data)
        # Torn where a crash would tear it: part-way through the last line.
        add("rollout", data.rstrip(b"\n")[: -len(data.rstrip(b"\n").split(b"\n")[-1]) // 2])


if __name__ == "__main__":
    jsonrpc()
    apply_patch()
    config()
    sse()
    rollout()
    for target in sorted(os.listdir(os.path.join(FUZZ, "corpus"))):
        count = len(os.listdir(os.path.join(FUZZ, "corpus", target)))
        print(f"{target}: {count} inputs")
