#!/usr/bin/env bash
# Set up negsim in ./.venv, whatever .venv held before:
#   bash install.sh            negsim itself
#   bash install.sh test       with the test extras (pytest, nbmake, ruff, the Solara page)
# Picks a Python >= 3.12 ($PYTHON if set, else python3.13, python3.12, python3, then pyenv's
# versions), re-creates .venv when it is missing or was made by another Python, and installs
# negsim (editable) into it. NEGSIM_INSTALL_DRY_RUN=1 prints the plan and installs nothing.
set -euo pipefail
cd "$(dirname "$0")"
extras=${1:-}

say() { echo "install.sh: $*" >&2; }
version_of() { "$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null; }
is_312() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }

find_python() {
  local c
  if [ -n "${PYTHON:-}" ]; then
    if ! command -v "$PYTHON" >/dev/null 2>&1; then
      say "PYTHON=$PYTHON: no such interpreter"; return 1
    fi
    if ! is_312 "$PYTHON"; then
      say "PYTHON=$PYTHON is Python $(version_of "$PYTHON" || echo '?'); negsim needs Python >= 3.12"
      return 1
    fi
    echo "$PYTHON"; return 0
  fi
  for c in python3.13 python3.12 python3; do
    if command -v "$c" >/dev/null 2>&1 && is_312 "$c"; then echo "$c"; return 0; fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    for c in "$(pyenv root)"/versions/3.1[2-9]*/bin/python3; do
      if [ -x "$c" ] && is_312 "$c"; then echo "$c"; return 0; fi
    done
  fi
  say "negsim needs Python >= 3.12 and found none (python3 is $(version_of python3 || echo 'missing')); set PYTHON=/path/to/python3.12"
  return 1
}

python=$(find_python) || exit 1
want=$(version_of "$python")
have=$( [ -x .venv/bin/python ] && version_of .venv/bin/python || echo none)
if [ "$have" != "$want" ]; then
  plan="create .venv with Python $want ($python; it held: $have)"
else
  plan="reuse .venv (Python $want)"
fi
target=".${extras:+[$extras]}"
if [ "${NEGSIM_INSTALL_DRY_RUN:-}" = 1 ]; then
  echo "$plan; pip install -e $target"
  exit 0
fi
say "$plan"
if [ "$have" != "$want" ]; then
  "$python" -m venv --clear .venv
fi
.venv/bin/python -m pip install -q -e "$target"
