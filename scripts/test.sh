#!/usr/bin/env bash
# Set everything up and run the whole test suite: style and types, unit tests, then the
# integration tests, which bring up the two-host sandbox themselves and tear it down after.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
PY="$ROOT/.venv/bin"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
start=$(date +%s)

step "ruff"
"$PY/ruff" check maillab_tui checks tests bench
step "mypy"
"$PY/mypy"
step "lint the bundled chapters"
"$PY/maillab-tui" lint chapters
step "tests: unit, UI, then integration (the sandbox comes up inside the tests)"
mkdir -p test-artifacts
full=0
if [ "$#" -eq 0 ]; then
  full=1
  set -- tests/unit tests/ui tests/integration
fi
"$PY/pytest" -q -rs -p no:cacheprovider --junitxml=test-artifacts/junit.xml "$@"
if [ "$full" -eq 1 ]; then
  step "self-test: the whole chapter on fresh sandbox hosts, and every learner mistake"
  st_start=$(date +%s)
  "$PY/maillab-tui" selftest --format junit --output test-artifacts/selftest.xml
  printf 'self-test took %ss\n' "$(( $(date +%s) - st_start ))"
fi
printf '\nwhole run: %ss\n' "$(( $(date +%s) - start ))"
