"""The two hashes every key and checksum is made of: :func:`stable_hash` of a JSON-able value (work-unit keys, config
hashes, cache keys) and :func:`file_sha256` of a file's bytes (descriptor pools, part metadata, model configs and
weights). Standard library only, so the registry, the method and the runner can all import it."""
from __future__ import annotations

import hashlib
import json
import os


def stable_hash(obj) -> str:
    """sha256 (first 16 hex digits) of the canonical JSON form of ``obj``."""
    blob = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 (hex) of the file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
