#!/usr/bin/env bash
# The one test command (`npm test`): installs what the tests need on a fresh machine, then runs every test.
# Tests talk only to 127.0.0.1. Under CI=true a missing system package is installed, never skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

# Node dependencies: exactly the lockfile. better-sqlite3 compiles from source here (~60 s) the first time.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund
fi

# System packages the end-to-end tests run for real (as root; apt-get works on this kind of machine).
need=()
command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v openssl >/dev/null 2>&1 || need+=(openssl)   # the SNS tests sign with it and make their CA
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)   # the storage contract suite, the cluster tests
[ -x /usr/bin/chromium ] || need+=(chromium)   # the web UI tests drive it with playwright-core (never a browser download)
if [ ${#need[@]} -gt 0 ]; then
  log "apt-get install ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "tests need ${need[*]}: run as root or install them first" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

log "typecheck"
npx tsc --noEmit -p .

log "postgresql"
# One throwaway server on loopback for the whole run (each test makes a database of its own), stopped on exit.
eval "$(node --import tsx test/postgres.ts --start)"
trap 'node --import tsx test/postgres.ts --stop "$TOCSIN_TEST_POSTGRES_DIR"' EXIT
echo "$TOCSIN_TEST_POSTGRES"

log "tests"
# Unit tests beside the code, then end-to-end tests (real processes, real HTTP, the emulator).
# Node 20's runner takes no glob patterns: bash expands them. Its --test-timeout bounds each test file as a whole
# (tests inside set their own): 10 minutes, so the longest file (the three-instance chaos test, ~60 s alone) has room
# on a loaded machine and a hung file still ends the run.
shopt -s globstar nullglob
node --import tsx --test --test-concurrency=2 --test-timeout=600000 src/**/*.test.ts test/**/*.test.ts
