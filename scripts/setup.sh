#!/usr/bin/env bash
# Set up everything maillab-tui needs on a Debian 12 machine, as root: the machine's packages
# (for the sandbox and the tests) and a virtual environment with maillab-tui installed from
# this working tree. Safe to run again: it only adds what is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MAILLAB_VENV:-$ROOT/.venv}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  echo "maillab-tui setup: run this as root (the sandbox boots two systems with systemd-nspawn)." >&2
  echo "  e.g.: sudo $0" >&2
  exit 2
fi
if ! grep -qs '^ID=debian' /etc/os-release; then
  echo "maillab-tui setup: this script is for Debian 12; on other systems install the packages" >&2
  echo "  listed in maillab_tui/sandbox/host-packages.txt and run: pip install -e '.[dev]'" >&2
  exit 2
fi

# The tests also drive the TUI in tmux, run a check as root through sudo, grade the hosts over
# SSH with ansible-playbook and look
# at the class report in headless Chromium.
packages=(python3 python3-venv python3-pip git tmux openssh-client chromium fonts-ipafont-gothic sudo)
if [ -f "$ROOT/maillab_tui/sandbox/host-packages.txt" ]; then
  while read -r name _; do
    case "$name" in ''|'#'*) ;; *) packages+=("$name") ;; esac
  done < "$ROOT/maillab_tui/sandbox/host-packages.txt"
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  say "creating the virtual environment $VENV"
  /usr/bin/python3 -m venv "$VENV"
fi
stamp="$VENV/.maillab-installed"
if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
  say "installing maillab-tui and its test tools into $VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -U pip
  "$VENV/bin/pip" install -q --disable-pip-version-check -e "$ROOT[dev]"
  touch "$stamp"
fi
