#!/usr/bin/env bash
# Install (idempotent) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# Browser tests need Debian's chromium; install it when missing and we are allowed to (root + apt).
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1)) || echo "chromium could not be installed: browser tests will be skipped"
fi
# The LaTeX export and BibTeX tests need pdflatex and bibtex (Debian's TeX Live); best effort, like chromium.
if ! command -v pdflatex >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get install -y -q --no-install-recommends texlive-latex-base texlive-latex-recommended >/dev/null 2>&1 || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends texlive-latex-base texlive-latex-recommended >/dev/null 2>&1)) || echo "TeX Live could not be installed: the LaTeX/BibTeX export tests will be skipped"
fi
exec .venv/bin/python -m pytest -q "$@"
