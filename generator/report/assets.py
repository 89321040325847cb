"""Browser assets of the site that come from installed Python packages, written into the staging folder AT BUILD
TIME (never committed, nothing fetched, no Node/npm):

* Vega + Vega-Lite + vega-embed: ``vl_convert.javascript_bundle()`` from the installed vl-convert package,
  wrapped in a function so its short top-level names cannot clash with other classic scripts.

Everything else the pages run is first-party and ships with the templates (``templates/assets``): table sorting and
filters (``mkbench.js``) and the stand-in for Web Workers that lets Material's search run from ``file://``
(``file-worker.js``; over http(s) the browser's own Worker is used).
"""
from __future__ import annotations

from pathlib import Path

VENDOR = "assets/vendor"


def vega_bundle() -> str:
    import vl_convert as vlc

    return "(function(){\n" + vlc.javascript_bundle() + "\n})();\n"


def write_vendor_assets(docs: Path) -> list[str]:
    """Write the package-provided assets under ``docs/assets/vendor``; returns their site paths."""
    out = docs / VENDOR / "vega"
    out.mkdir(parents=True, exist_ok=True)
    (out / "vega-bundle.js").write_text(vega_bundle(), encoding="utf-8")
    return [f"{VENDOR}/vega/vega-bundle.js"]
