#!/usr/bin/env bash
# Create .venv and install mkbench with the exact pins of constraints.txt (CPU machine, Python 3.11).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -c constraints.txt -e ".[all,test]"   # every extra (see README: Install)
