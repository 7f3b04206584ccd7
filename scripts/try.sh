#!/usr/bin/env bash
# Try maillab-tui: set everything up, bring up a fresh two-host sandbox, and open the lab on host1.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
"$ROOT/.venv/bin/maillab-tui" sandbox up --fresh
exec "$ROOT/.venv/bin/maillab-tui" sandbox tui host1
