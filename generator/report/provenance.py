"""Provenance of a site build: mkbench and tool versions, git commit, date (``SOURCE_DATE_EPOCH`` when set,
for reproducible builds) and a hash of the options that shape the site's content."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shlex
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


_WINDOWS_ABS = re.compile(r"^[A-Za-z]:[\\/]")


def public_value(value):
    """``value`` (parsed JSON) with every absolute local path (``/...``, ``~/...``, ``C:\\...``) replaced by its file
    name, so nothing of the build machine's file system is published."""
    if isinstance(value, dict):
        return {k: public_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [public_value(v) for v in value]
    if isinstance(value, str) and (value.startswith(("/", "~")) or _WINDOWS_ABS.match(value)):
        return value.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return value


def reproduce_command(summary) -> str:
    """The ``mkbench compute`` command that recomputes a run (local files named by their file names; the data set
    folder as ``DATASET_DIR``). Method settings that have no option are this mkbench version's defaults."""
    cfg = summary.config   # results.schema.RunConfig
    model = cfg.model
    args = ["mkbench", "compute"]
    if model and model.model_config_file:
        args += ["--model-config", public_value(model.model_config_file)]
    else:
        args += ["--model", (model.model if model else None) or summary.model]
    pretrained = "none" if summary.untrained else public_value(summary.pretrained or "")
    if pretrained:
        args += ["--pretrained", pretrained]
    args += ["--dataset-dir", "DATASET_DIR", "--dataset-name", summary.dataset,
             "--descriptors", public_value(summary.provenance.descriptor_source) or "DESCRIPTORS.json"]
    if cfg.templates and cfg.templates.name:
        args += ["--templates", public_value(cfg.templates.name)]
    methods = (cfg.method or {}).get("methods")
    if methods:
        args += ["--methods", ",".join(methods)]
    args += ["--seed", str(summary.provenance.seed)]
    if cfg.overlays_per_class is not None:
        args += ["--overlays", str(cfg.overlays_per_class)]
    args += ["--out", "results"]
    return " ".join(shlex.quote(a) for a in args)


def run_card(summary) -> dict:
    """What a reproducibility card shows of one run: identity, full public configuration, command, model card."""
    p = summary.provenance
    config, templates = summary.config, summary.config.templates
    cfg = public_value(config.model_dump(mode="json"))   # the stored shape, local paths cut to file names
    return {
        "model": summary.model, "pretrained": "untrained (random weights)" if summary.untrained
        else public_value(summary.pretrained), "weights": public_value(config.model.weights) if config.model else None,
        "config_hash": p.config_hash, "config_json": json.dumps(cfg, indent=1, ensure_ascii=False, sort_keys=True),
        "templates": list((templates.templates if templates else None) or []),
        "templates_name": public_value(templates.name) if templates else None,
        "descriptors": public_value(p.descriptor_source), "descriptor_sha256": p.descriptor_sha256,
        "command": reproduce_command(summary), "model_card": public_value(summary.model_info.model_dump(mode="json")),
        "versions": {"mkbench": p.package_version, "open_clip": p.open_clip_version, "torch": p.torch_version},
        "git_commit": p.git_commit, "device": p.device, "created": p.created, "seed": p.seed,
    }
