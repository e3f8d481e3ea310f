// Regenerates src/generated from the protocol: the experimental TypeScript bindings in
// src/generated/protocol and the method map src/generated/methods.ts, both written by
// `codex app-server generate-ts-client --experimental`.
//
//   node scripts/generate.js          rewrite src/generated
//   node scripts/generate.js --check  fail (exit 1) if src/generated differs from what the
//                                     protocol generates now
"use strict";

const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const { codexBin } = require("./binaries");

const generated = path.resolve(__dirname, "..", "src", "generated");

function generate(out) {
  execFileSync(codexBin(), ["app-server", "generate-ts-client", "--experimental", "--out", out], {
    stdio: ["ignore", "inherit", "inherit"],
  });
}

function tree(root) {
  const files = new Map();
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else {
        files.set(path.relative(root, full), fs.readFileSync(full, "utf8"));
      }
    }
  };
  if (fs.existsSync(root)) {
    walk(root);
  }
  return files;
}

function main() {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "codex-client-generated-"));
  try {
    generate(scratch);
    if (process.argv.includes("--check")) {
      const want = tree(scratch);
      const have = tree(generated);
      const problems = [];
      for (const [file, text] of want) {
        if (!have.has(file)) problems.push(`missing: ${file}`);
        else if (have.get(file) !== text) problems.push(`out of date: ${file}`);
      }
      for (const file of have.keys()) {
        if (!want.has(file)) problems.push(`no longer generated: ${file}`);
      }
      if (problems.length > 0) {
        process.stderr.write(
          `src/generated differs from the protocol:\n  ${problems.join("\n  ")}\n` +
            "refresh it with: npm run generate (in clients/typescript, after building codex)\n",
        );
        process.exit(1);
      }
      process.stdout.write("src/generated is current\n");
      return;
    }
    fs.rmSync(generated, { recursive: true, force: true });
    fs.cpSync(scratch, generated, { recursive: true });
    process.stdout.write(`wrote ${generated}\n`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main();
