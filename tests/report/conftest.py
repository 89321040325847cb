"""Session fixtures of the site tests: results computed by the real engine (tiny random-weight models, and one
shipped demo model on a data set with part masks), and one site built from them in a subprocess that also reports
which modules the build imported."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.report.engine_results import compute_demo_results, compute_engine_results

REPO = Path(__file__).resolve().parents[2]
BUILD = """
import json, sys
from pathlib import Path
from generator.report.site import SiteOptions, build_site
opts = SiteOptions(results=Path(sys.argv[1]), out=Path(sys.argv[2]), staging=Path(sys.argv[3]), n_boot=200)
report = build_site(opts)
heavy = sorted(m for m in sys.modules if m == "torch" or m.startswith(("torch.", "generator.method", "generator.runner",
                                                                          "open_clip")))
print(json.dumps({"site": str(report.site_dir), "pages": report.n_pages, "heavy": heavy, "warnings": report.warnings}))
"""


@pytest.fixture(scope="session")
def engine_results(tmp_path_factory) -> Path:
    """One results folder: ``shapes`` (no masks, hostile class names) and ``demo`` (part masks, 3 models)."""
    root = tmp_path_factory.mktemp("engine")
    out = compute_engine_results(root)
    return compute_demo_results(root, out)


@pytest.fixture(scope="session")
def built_site(engine_results, tmp_path_factory) -> dict:
    """Build the site from the engine's results; returns the build's JSON report plus paths."""
    root = tmp_path_factory.mktemp("site")
    proc = subprocess.run([sys.executable, "-c", BUILD, str(engine_results), str(root / "site"), str(root / "staging")],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    report.update(site=Path(report["site"]), staging=root / "staging", results=engine_results)
    return report
