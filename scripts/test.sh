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
step "tests: unit, UI, the fuzzer, then integration (the sandbox comes up inside the tests)"
mkdir -p test-artifacts
full=0
if [ "$#" -eq 0 ]; then
  full=1
  set -- tests/unit tests/ui tests/fuzz tests/integration
fi
# A failing test keeps its whole output (stdout, stderr, logs) in test-artifacts/junit.xml.
"$PY/pytest" -q -rs -p no:cacheprovider --junitxml=test-artifacts/junit.xml \
  -o junit_logging=all -o junit_log_passing_tests=false "$@"
if [ "$full" -eq 1 ]; then
  step "self-test: the whole chapter on fresh sandbox hosts, and every learner mistake"
  st_start=$(date +%s)
  trap '"$PY/maillab-tui" sandbox down >/dev/null 2>&1 || true' EXIT
  st_rc=0
  "$PY/maillab-tui" selftest --keep --format junit --output test-artifacts/selftest.xml || st_rc=$?
  printf 'self-test took %ss\n' "$(( $(date +%s) - st_start ))"
  step "the lab password is on no host after the self-test (logs, homes, /tmp)"
  secret=$("$PY/python" -c 'from maillab_tui.chapter import load_chapter
print(load_chapter("mail-server").variables["password"].value)')
  leaked=0
  # ~/.shiv holds maillab-tui itself, unpacked from the one file: its chapter states the
  # textbook's password as the chapter's value, which is no leak.
  for host in host1 host2; do
    found=$("$PY/maillab-tui" sandbox exec "$host" -- grep -rla --exclude-dir=.shiv -e "$secret" \
      /home /root /var/log /tmp 2>/dev/null || true)
    if [ -n "$found" ]; then
      leaked=1
      printf '%s: the password is in\n%s\n' "$host" "$found"
    fi
  done
  "$PY/maillab-tui" sandbox down
  trap - EXIT
  if [ "$st_rc" -ne 0 ]; then exit "$st_rc"; fi
  if [ "$leaked" -ne 0 ]; then exit 1; fi
  echo "no host has it"
fi
printf '\nwhole run: %ss\n' "$(( $(date +%s) - start ))"
