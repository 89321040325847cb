"""Inputs a suite names by name: known descriptor pools (``descriptors: imagenet``) resolve to a sha256-checked
copy in mkbench's cache folder, fetched on first use; generated datasets are written when missing
(:mod:`generator.runner.datagen`).

Cache folder: ``$MKBENCH_CACHE`` or ``~/.cache/mkbench``; pools go to ``<cache>/descriptors/``.
"""
from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path
from typing import Optional

from generator.errors import StopRun, UserError
from generator.hashing import cache_root  # noqa: F401  (one definition of the cache folder; imported from here too)
from generator.registry.descriptors import KNOWN_POOLS, fetch_pool


def pool_dir() -> Path:
    return cache_root() / "descriptors"


def cached_pool(name: str) -> Path:
    """Where the known pool ``name`` lives in the cache (it may not be there yet)."""
    return pool_dir() / KNOWN_POOLS[name].filename


def resolve_pool(value: str, where: str = "suite", fetch: bool = True, timeout: float = 20.0) -> Path:
    """A pool file path, or a known pool name -> its cached file (downloaded when missing and ``fetch``)."""
    path = Path(value)
    if path.is_file():
        return path
    if value not in KNOWN_POOLS:
        raise UserError(f"{where}: descriptor pool {value!r} is neither a file nor a known pool "
                        f"({', '.join(sorted(KNOWN_POOLS))}); fix the path or use a known name")
    cached = cached_pool(value)
    if not fetch and not cached.is_file():
        raise UserError(f"{where}: descriptor pool {value!r} is not in the cache ({cached}); run "
                        f"`mkbench descriptors fetch {value}` (or `--from FILE` with a copy you downloaded)")
    try:
        return fetch_pool(value, pool_dir(), timeout=timeout)
    except UserError as e:
        if "does not match the pinned" in str(e):
            raise
        raise UserError(f"{where}: descriptor pool {value!r} is not cached and could not be downloaded from "
                        f"{KNOWN_POOLS[value].url}; on a machine with internet download that file, then run "
                        f"`mkbench descriptors fetch {value} --from FILE` here") from None


# Errors of the output folder's file system rather than of one unit: they stop the run (every next unit would fail
# the same way); the finished units' shards are kept and a rerun resumes.
RESOURCE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT, errno.EIO,
                   errno.ESTALE}


def resource_error(e: OSError, out) -> Optional[StopRun]:
    """A :class:`StopRun` saying what happened to the output folder ``out`` and how to resume, or None when ``e``
    is not a resource problem."""
    if e.errno not in RESOURCE_ERRNOS:
        return None
    where = e.filename or out
    what = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
            errno.EROFS: "the file system is read-only", errno.EIO: "an I/O error (a network file system?)",
            errno.ESTALE: "a stale network file handle"}.get(e.errno, e.strerror or str(e))
    return StopRun(f"{where}: cannot write the results ({what}); the classes finished so far are kept in {out}: "
                   "free space or fix the folder, then rerun the same command to resume")


def check_output_folder(out) -> None:
    """Create ``out`` and write a probe file in it, before any work: UserError naming the folder when it cannot be
    written (read-only, under /proc, no permission)."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out, prefix=".mkbench-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise UserError(f"{out}: cannot write to the output folder ({e.strerror or e}); choose a writable --out "
                        "folder") from None
