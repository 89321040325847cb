"""Inputs a suite names by name: known descriptor pools (``descriptors: imagenet``) resolve to a sha256-checked
copy in mkbench's cache folder, fetched on first use; generated datasets are written when missing
(:mod:`generator.runner.datagen`).

Cache folder: ``$MKBENCH_CACHE`` or ``~/.cache/mkbench``; pools go to ``<cache>/descriptors/``.
"""
from __future__ import annotations

from pathlib import Path

from generator.errors import UserError
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
