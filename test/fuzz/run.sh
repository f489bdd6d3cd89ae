#!/usr/bin/env bash
# `npm run fuzz`: the same properties as `npm test`, with FUZZ_RUNS times as many cases each (default 50).
# FUZZ_SEED=<n> replays a run (fast-check prints the seed and the shrunk counterexample of a failure).
set -euo pipefail
cd "$(dirname "$0")/../.."
export FUZZ_RUNS="${FUZZ_RUNS:-50}"
shopt -s globstar nullglob
exec node --import tsx --test --test-concurrency=1 --test-timeout=3600000 src/**/*.fuzz.test.ts test/e2e/fuzz.e2e.test.ts
