"""The two hashes every key and checksum is made of: :func:`stable_hash` of a JSON-able value (work-unit keys, config
hashes, cache keys) and :func:`file_sha256` of a file's bytes (descriptor pools, part metadata, model configs and
weights). Standard library only, so the registry, the method and the runner can all import it.

:class:`HashCache` remembers the sha256 of big or many files (checkpoints, the images of a dataset) by their stat
signature (device, inode, size, mtime and ctime in ns), in a JSON file under the cache folder (:func:`cache_root`), so
a file is read once and a later run only stats it. The signature changes whenever the file can have changed: a rewrite
changes mtime and ctime (ctime cannot be set back by a user), a ``mv`` of another file into its place changes inode
and ctime, even when sizes and mtimes are equal.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Optional


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


NAME_LIMIT = 120  # bytes of one path component we write (file systems allow 255; overlays add suffixes)


def short_name(name: str, limit: int = NAME_LIMIT) -> str:
    """``name`` when its UTF-8 form fits in ``limit`` bytes, else a prefix of it plus ``-`` and 12 hex digits of its
    sha256, ``limit`` bytes at most (so two long names that share a prefix stay apart). For file and folder names
    made from user strings (dataset names, model ids, image file names)."""
    raw = name.encode("utf-8")
    if len(raw) <= limit:
        return name
    tag = "-" + hashlib.sha256(raw).hexdigest()[:12]
    head = raw[:limit - len(tag)].decode("utf-8", errors="ignore")
    return head + tag


def short_path(rel: str, limit: int = NAME_LIMIT, keep_suffix: str = "") -> str:
    """``rel`` (a relative POSIX path) with every component shortened by :func:`short_name`; the last keeps
    ``keep_suffix`` (e.g. ``.png``) at its end."""
    parts = rel.split("/")
    last = parts[-1]
    if keep_suffix and last.endswith(keep_suffix):
        last = short_name(last[:-len(keep_suffix)], limit - len(keep_suffix.encode())) + keep_suffix
    else:
        last = short_name(last, limit)
    return "/".join([short_name(p, limit) for p in parts[:-1]] + [last])


def cache_root() -> Path:
    """mkbench's cache folder: ``$MKBENCH_CACHE`` or ``~/.cache/mkbench``."""
    return Path(os.environ.get("MKBENCH_CACHE") or Path.home() / ".cache" / "mkbench").expanduser()


def _signature(st: os.stat_result) -> list:
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


class HashCache:
    """sha256 of files remembered by stat signature; ``path`` is the JSON memo (None: this process only). Entries are
    keyed by the absolute path; unreadable or corrupt memo files are ignored (everything is re-hashed)."""

    _memory: dict = {}   # process-wide: {abs path: [signature, sha256]}, shared by every HashCache

    def __init__(self, path: Optional[Path] = None):
        self.path = Path(path) if path else None
        self.entries: dict = {}
        self.dirty = False
        if self.path is not None:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                if isinstance(data, dict) and data.get("format") == 1 and isinstance(data.get("files"), dict):
                    self.entries = data["files"]
            except (OSError, ValueError):
                pass

    @classmethod
    def named(cls, name: str) -> "HashCache":
        """The memo ``<cache_root>/hashes/<name>.json``."""
        return cls(cache_root() / "hashes" / f"{name}.json")

    def sha256(self, file) -> str:
        """The file's sha256 (hex); read only when its signature is not remembered."""
        full = os.path.abspath(file)
        sig = _signature(os.stat(full))
        for memo in (self.entries, self._memory):
            hit = memo.get(full)
            if isinstance(hit, list) and len(hit) == 2 and hit[0] == sig:
                if memo is not self.entries:
                    self.entries[full], self.dirty = hit, True
                return hit[1]
        digest = file_sha256(full)
        if _signature(os.stat(full)) == sig:   # not changed while it was read
            self.entries[full] = self._memory[full] = [sig, digest]
            self.dirty = True
        return digest

    def save(self) -> None:
        """Write the memo atomically (best effort: a read-only cache folder only costs re-hashing later)."""
        if self.path is None or not self.dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"format": 1, "files": self.entries}, fh, separators=(",", ":"))
            os.replace(tmp, self.path)
            self.dirty = False
        except OSError:
            pass


def cached_file_sha256(path) -> str:
    """:func:`file_sha256` of a big file (a checkpoint), remembered in ``<cache_root>/hashes/files.json``."""
    cache = HashCache.named("files")
    digest = cache.sha256(path)
    cache.save()
    return digest
