#!/usr/bin/env bash
# Builds the fuzz targets and runs each for SECONDS (default 30), one after another, on the
# corpus seed-corpus.py builds from the test fixtures. Longer runs on demand:
#   fuzz/run.sh 600                 # ten minutes each
#   fuzz/run.sh 120 jsonrpc config  # two minutes for the targets named
# Needs the nightly toolchain (libFuzzer's instrumentation) and cargo-fuzz, which it installs
# when missing. A crash stops the run with the input saved under fuzz/artifacts/<target>/;
# `cargo +nightly fuzz run -s none <target> <that file>` replays it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

seconds="${1:-30}"
shift || true
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    targets=(jsonrpc apply_patch config sse rollout)
fi

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz"
    cargo install --locked cargo-fuzz
fi

# A build directory of its own: the nightly, instrumented build shares nothing with the main one.
target_dir="${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-$PWD/target}/fuzz}"
# No sanitizer: the code under test has no `unsafe`; panics, aborts (a stack overflow among
# them), timeouts and runaway memory are what is looked for, and uninstrumented runs are faster.
fuzz=(cargo +nightly fuzz)
options=(-s none --target-dir "$target_dir")
# FUZZ_DEV=1 builds without optimisation: minutes less to build (CI's short runs), fewer
# executions per second, and overflow checks on.
if [ "${FUZZ_DEV:-0}" = 1 ]; then
    options+=(--dev)
fi

python3 seed-corpus.py
"${fuzz[@]}" build "${options[@]}"

summary=()
for target in "${targets[@]}"; do
    echo "==> fuzzing $target for ${seconds}s"
    log="$(mktemp)"
    status=0
    "${fuzz[@]}" run "${options[@]}" "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    grep -E '^(#[0-9]+ +(INITED|DONE)|stat::number_of_executed_units)' "$log" || true
    if [ "$status" -ne 0 ]; then
        tail -n 60 "$log"
        echo "fuzz target $target failed (exit $status); the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    runs="$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')"
    summary+=("$target: $runs executions in ${seconds}s, no crash")
    rm -f "$log"
done

echo "==> fuzzing done"
printf '%s\n' "${summary[@]}"
