"""Third-party browser assets, vendored into the staging folder AT BUILD TIME (never committed):

* Vega + Vega-Lite + vega-embed: ``vl_convert.javascript_bundle()`` from the installed vl-convert package,
  wrapped in a function so its short top-level names cannot clash with other classic scripts.
* tablesort (sortable columns) and iframe-worker (search on ``file://``): npm packages pinned with their
  integrity hashes in ``templates/vendor/package-lock.json``, installed once with ``npm ci`` into a cache
  (``$MKBENCH_CACHE`` or ``~/.cache/mkbench``) and copied from there with their licence files.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from generator.errors import UserError

# file in node_modules -> path under the site's assets/vendor/
NPM_FILES = {
    "tablesort/dist/tablesort.min.js": "tablesort/tablesort.min.js",
    "tablesort/dist/sorts/tablesort.number.min.js": "tablesort/tablesort.number.min.js",
    "tablesort/LICENCE": "tablesort/LICENCE",
    "iframe-worker/shim/index.js": "iframe-worker/shim.js",
    "iframe-worker/LICENSE": "iframe-worker/LICENSE",
}
VENDOR = "assets/vendor"


def cache_dir() -> Path:
    return Path(os.environ.get("MKBENCH_CACHE") or Path.home() / ".cache" / "mkbench")


def npm_modules(vendor_spec: Path) -> Path:
    """``node_modules`` holding the pinned packages of ``vendor_spec`` (package.json + package-lock.json),
    installed with ``npm ci`` on first use and reused while the lock file is unchanged."""
    lock = (vendor_spec / "package-lock.json").read_bytes()
    target = cache_dir() / f"npm-{hashlib.sha256(lock).hexdigest()[:12]}"
    done = target / ".installed"
    if done.exists():
        return target / "node_modules"
    npm = shutil.which("npm")
    if npm is None:
        raise UserError("npm not found: the site vendors tablesort and iframe-worker from npm at build time; "
                        "install Node.js >= 16 with npm (e.g. `apt-get install -y npm`), or run once where npm "
                        f"works and copy {target} (set MKBENCH_CACHE to its parent)")
    tmp = target.with_name(f"{target.name}.tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(vendor_spec / name, tmp / name)
    proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                          cwd=tmp, capture_output=True, text=True)
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(f"`npm ci` for the site's vendored assets failed (is the npm registry reachable?):\n"
                        f"{proc.stderr[-2000:]}")
    (tmp / ".installed").write_text("ok\n")
    try:
        os.rename(tmp, target)  # atomic; another build may have won the race
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not done.exists():
            raise
    return target / "node_modules"


def vega_bundle() -> str:
    import vl_convert as vlc

    return "(function(){\n" + vlc.javascript_bundle() + "\n})();\n"


def write_vendor_assets(docs: Path, vendor_spec: Path) -> list[str]:
    """Write the vendored assets under ``docs/assets/vendor``; returns their site paths."""
    out = docs / VENDOR
    (out / "vega").mkdir(parents=True, exist_ok=True)
    (out / "vega" / "vega-bundle.js").write_text(vega_bundle(), encoding="utf-8")
    modules = npm_modules(vendor_spec)
    written = [f"{VENDOR}/vega/vega-bundle.js"]
    for src, dst in NPM_FILES.items():
        target = out / dst
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(modules / src, target)
        written.append(f"{VENDOR}/{dst}")
    return written
