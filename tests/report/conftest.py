"""Session fixtures of the site tests: results computed by the real engine (tiny random-weight models, and one
shipped demo model on a data set with part masks), and one site built from them in a subprocess that also reports
which modules the build imported."""
from __future__ import annotations

import json
import os
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


NODE_TOOLS = ("node", "nodejs", "npm", "npx", "corepack")


def path_without_node(folder: Path) -> str:
    """A PATH holding every program of the current PATH except Node's (``npm``, ``node``, ...), as links in
    ``folder``: a build run with it proves the site needs no Node/npm."""
    folder.mkdir(parents=True, exist_ok=True)
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            src, dst = os.path.join(d, name), folder / name
            if name not in NODE_TOOLS and not dst.exists() and os.access(src, os.X_OK) and os.path.isfile(src):
                dst.symlink_to(src)
    return str(folder)


@pytest.fixture(scope="session")
def built_site(engine_results, tmp_path_factory) -> dict:
    """Build the site from the engine's results, with no Node/npm on PATH and an empty cache folder; returns the
    build's JSON report plus paths."""
    root = tmp_path_factory.mktemp("site")
    env = {**os.environ, "PATH": path_without_node(root / "bin"), "MKBENCH_CACHE": str(root / "cache"),
           "HOME": str(root / "home")}
    proc = subprocess.run([sys.executable, "-c", BUILD, str(engine_results), str(root / "site"), str(root / "staging")],
                          cwd=REPO, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    report.update(site=Path(report["site"]), staging=root / "staging", results=engine_results, path=env["PATH"])
    return report
