"""The distribution as a new user gets it: build the wheel from this checkout (``pip wheel --no-deps``), install it
into a fresh folder outside the checkout (``pip install --no-deps --target``; its dependencies come from this
environment through PYTHONPATH), and run the installed package from an unrelated working folder:

* the wheel holds the code, the templates, the paper tables and the whole ``data/demo`` tree, and declares no torch
  outside the ``engine`` extra;
* ``mkbench build --dry-run`` plans the ``demo`` preset from the files shipped in the wheel (every model and class);
* ``mkbench build`` of a small suite made of the wheel's demo files (one shipped model, 2 classes x 2 images)
  computes and builds the site;
* ``mkbench site`` rebuilds the site from those stored results with torch, open_clip, ``generator.method`` and
  ``generator.runner`` made unimportable (what ``pip install mkbench[site]`` has).

Slow by nature, and it runs in the normal suite: one module fixture builds and installs once (~17 s); measured on
the shared, loaded 2-core machine: 174 s wall in all (41 s CPU), of which the dry run 39 s, the 2-class build 76 s
and the torch-free site 26 s (``pytest -s`` prints each command's time).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.fixtures.suites import FAST_METHOD

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "generator", "templates", "data")
BLOCKED = ("torch", "torchvision", "open_clip", "generator.method", "generator.runner")
LAUNCH = f"""
import sys
BLOCKED = {BLOCKED!r}
class Block:
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in BLOCKED):
            raise ModuleNotFoundError(f"blocked by the test: {{name}}", name=name)
if sys.argv[1] == "--no-torch":
    sys.meta_path.insert(0, Block())
from generator.cli import main
main(sys.argv[2:])
"""


def _pip(*args, cwd):
    proc = subprocess.run([sys.executable, "-m", "pip", *args], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"  # a copy, so the build writes nothing into the checkout
    src.mkdir()
    for name in SOURCES:
        p = REPO / name
        if p.is_dir():
            shutil.copytree(p, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(p, src / name)
    _pip("wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(root / "dist"), str(src), cwd=root)
    wheel = next((root / "dist").glob("mkbench-*.whl"))
    target = root / "site-packages"
    _pip("install", "--no-deps", "-q", "--target", str(target), str(wheel), cwd=root)
    work = root / "work"
    work.mkdir()
    launcher = root / "launch.py"
    launcher.write_text(LAUNCH)
    return {"wheel": wheel, "target": target, "work": work, "launcher": launcher, "root": root}


def mkbench(inst: dict, *args, no_torch: bool = False, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(inst["target"]), "MKBENCH_CACHE": str(inst["root"] / "cache")}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(inst["launcher"]), "--no-torch" if no_torch else "-", *map(str, args)],
                          cwd=inst["work"], env=env, capture_output=True, text=True, timeout=timeout)
    print(f"mkbench {' '.join(map(str, args[:2]))}: {time.perf_counter() - t0:.1f} s")  # shown with pytest -s
    return proc


def test_the_wheel_carries_what_mkbench_reads(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for f in ("generator/templates/mkdocs.yml.j2", "generator/templates/assets/mkbench.js",
              "generator/templates/assets/file-worker.js", "generator/templates/pages/dataset.md.j2",
              "generator/data/paper/models.json", "generator/data/paper/table3_imagenet.json",
              "generator/presets/demo.yaml", "generator/report/mkdocs_hooks.py"):
        assert f in names, f
    shipped = {str(p.relative_to(REPO)) for p in (REPO / "data" / "demo").rglob("*") if p.is_file()}
    assert shipped and {"generator/" + s for s in shipped} <= names  # every demo file, masks and models included
    meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
    requires = [line for line in zipfile.ZipFile(installed["wheel"]).read(meta).decode().splitlines()
                if line.startswith("Requires-Dist:")]
    core = [r for r in requires if "extra ==" not in r]
    assert core and not any(t in r for r in core for t in ("torch", "open_clip", "mkdocs", "submitit"))
    assert any("torch" in r and 'extra == "engine"' in r for r in requires)
    assert any("mkdocs-material" in r and 'extra == "site"' in r for r in requires)
    # installed inside somebody's git repository: results and sites must not claim that repository's commit
    git = ["git", "-C", str(installed["root"]), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git + ["commit", "-q", "--allow-empty", "-m", "someone else's"], check=True)
    proc = subprocess.run([sys.executable, "-c", "import generator, generator.resources as r, generator.provenance as p; "
                           "print(generator.__file__); print(r.templates_dir()); print(r.checkout_root()); "
                           "print(p.git_commit())"],
                          env={**os.environ, "PYTHONPATH": str(installed["target"])}, cwd=installed["work"],
                          capture_output=True, text=True)
    module, templates, checkout, commit = proc.stdout.split()
    assert Path(module).is_relative_to(installed["target"]), "the test must import the installed copy"
    assert Path(templates) == installed["target"] / "generator" / "templates"
    assert checkout == "None" and commit == "None"


def test_build_and_site_from_the_installed_wheel(installed):
    plan = mkbench(installed, "build", "--dry-run", "--quiet", "--format", "json", "--out", "plan")
    assert plan.returncode == 0, plan.stderr[-3000:]
    report = json.loads(plan.stdout)
    demo = installed["target"] / "generator" / "data" / "demo"
    preset = yaml.safe_load((installed["target"] / "generator" / "presets" / "demo.yaml").read_text())
    classes = [p for p in (demo / "dataset").iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(preset["models"]) >= 2 and len(classes) >= 2
    # the demo preset, planned from the wheel alone: every model and every class found
    assert report["totals"]["total"] == len(preset["models"]) * len(classes) and not report["problems"]

    data = installed["work"] / "two-classes"
    for c in ("bus", "car"):
        (data / c).mkdir(parents=True)
        for img in sorted((demo / "dataset" / c).glob("*.png"))[:2]:
            shutil.copy2(img, data / c / img.name)
    suite = installed["work"] / "suite.yaml"
    suite.write_text(yaml.safe_dump({
        "name": "wheel", "device": "cpu", "methods": ["pca"], "method": dict(FAST_METHOD),
        "models": [{"name": "demo-s-240", "model_config": str(demo / "configs" / "demo-vit-s.json"),
                    "pretrained": str(demo / "models" / "demo-s-240.safetensors")}],
        "datasets": [{"name": "demo", "dir": str(data), "templates": str(demo / "templates.json"),
                      "descriptors": str(demo / "descriptors_demo.json")}]}))
    built = mkbench(installed, "build", suite, "--out", "results", "--site", "site", "--quiet", "--overlays", "1")
    assert built.returncode == 0, built.stderr[-3000:]
    work = installed["work"]
    assert (work / "site" / "index.html").is_file() and (work / "results" / "demo").is_dir()

    site = mkbench(installed, "site", "--results", "results", "--out", "site-only", "--bootstrap", "50",
                   "--static-charts", "none", no_torch=True)
    assert site.returncode == 0, site.stderr[-3000:]
    page = (work / "site-only" / "demo" / "index.html").read_text()
    assert "demo-s-240" in page and (work / "site-only" / "assets" / "mkbench" / "mkbench.js").is_file()
    assert (work / "site-only" / "paper.html").read_text().count("Table 3") >= 1
