// Where the programs the package's scripts and tests run are: CODEX_BIN and MOCK_MODEL_BIN when
// set, otherwise the cargo target dir (CARGO_TARGET_DIR, or the repository's `target/`), debug
// profile.
"use strict";

const { existsSync } = require("node:fs");
const path = require("node:path");

const repository = path.resolve(__dirname, "..", "..", "..");

function targetDir() {
  return process.env.CARGO_TARGET_DIR || path.join(repository, "target");
}

function binary(envName, name) {
  const fromEnv = process.env[envName];
  const found = fromEnv || path.join(targetDir(), "debug", name);
  if (!existsSync(found)) {
    throw new Error(
      `${found} does not exist: build it (cargo build -p codex-cli -p codex-test-support) or set ${envName}`,
    );
  }
  return found;
}

module.exports = {
  codexBin: () => binary("CODEX_BIN", "codex"),
  mockModelBin: () => binary("MOCK_MODEL_BIN", "codex-mock-model"),
};
