"""Provenance of a result: versions, git commit, descriptor source and checksum, seed, config hash, time,
device (see :class:`generator.results.schema.Provenance`)."""
from __future__ import annotations

import datetime as _dt
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Optional

from generator.results.schema import Provenance


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


def package_version() -> str:
    from generator import __version__

    return __version__


def git_commit(where: Optional[Path] = None) -> Optional[str]:
    """HEAD of the git checkout holding mkbench (None for an installed wheel, even inside someone else's git
    repository, and without git)."""
    if where is None:
        from generator.resources import checkout_root

        where = checkout_root()
        if where is None:
            return None
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def device_name(device: str) -> str:
    """'cpu', or e.g. 'cuda:0 (NVIDIA H200)'."""
    import torch

    if str(device).startswith("cuda") and torch.cuda.is_available():
        dev = torch.device(device)
        index = dev.index if dev.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return str(device)


def make_provenance(*, descriptor_source: str, descriptor_sha256: str, seed: int, config_hash: str,
                    device: Optional[str] = None, crf_used: bool = False,
                    created: Optional[str] = None) -> Provenance:
    return Provenance(
        package_version=package_version(),
        open_clip_version=_version("open_clip_torch"),
        torch_version=_version("torch"),
        git_commit=git_commit(),
        descriptor_source=descriptor_source,
        descriptor_sha256=descriptor_sha256,
        seed=seed,
        config_hash=config_hash,
        created=created or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        device=device,
        crf_used=crf_used,
    )
