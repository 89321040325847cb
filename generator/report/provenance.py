"""Provenance of a site build: mkbench and tool versions, git commit, date (``SOURCE_DATE_EPOCH`` when set,
for reproducible builds) and a hash of the options that shape the site's content."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Optional

CONTENT_OPTIONS = ("n_boot", "examples", "static_charts", "search", "seed", "versioned", "site_url")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


def _git_commit(repo: Optional[Path]) -> Optional[str]:
    if repo is None:  # an installed wheel: no checkout, no commit
        return None
    try:
        out = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10)
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def _build_date() -> dt.datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc)
    return dt.datetime.now(tz=dt.timezone.utc).replace(microsecond=0)


def provenance(options: dict, repo: Optional[Path]) -> dict:
    """What built the site: versions, commit, date, and a hash of the site options that shape its content."""
    import vl_convert as vlc

    config = {k: options[k] for k in CONTENT_OPTIONS if k in options}
    return {
        "version": _version("mkbench"),
        "date": _build_date().isoformat(),
        "commit": _git_commit(repo),
        "config_hash": hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16],
        "config": config,
        "tools": {"mkdocs": _version("mkdocs"), "mkdocs-material": _version("mkdocs-material"),
                  "altair": _version("altair"), "vl-convert-python": _version("vl-convert-python"),
                  "vega": vlc.get_vega_version(), "vega-embed": vlc.get_vega_embed_version(),
                  "python": sys.version.split()[0]},
    }
