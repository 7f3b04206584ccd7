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
step "tests"
mkdir -p test-artifacts
"$PY/pytest" -q -rs -p no:cacheprovider --junitxml=test-artifacts/junit.xml "$@"
printf '\nwhole run: %ss\n' "$(( $(date +%s) - start ))"
