"""Atomic writing and validated reading of result files."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Iterable

from .schema import ClassesFile, ImageRecord, Summary, check_version


def current_umask() -> int:
    """The process's umask (read from /proc where it can be, without changing it; else set and restored)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, fsync, rename), with the permissions
    a plain ``open(path, "w")`` gives (0666 less the umask; the temp file itself is created 0600)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path, obj) -> None:
    if hasattr(obj, "model_dump"):
        obj = obj.model_dump(mode="json")
    atomic_write_text(path, json.dumps(obj, indent=1, ensure_ascii=False) + "\n")


def write_jsonl(path, records: Iterable) -> None:
    lines = []
    for r in records:
        if hasattr(r, "model_dump"):
            r = r.model_dump(mode="json")
        lines.append(json.dumps(r, ensure_ascii=False))
    atomic_write_text(path, "\n".join(lines) + ("\n" if lines else ""))


def _load_json(path: Path):
    """The JSON object in ``path``; ValueError naming the file for anything else (invalid UTF-8 or JSON, a list or
    null instead of an object, nesting too deep to read)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: not found; run `mkbench compute` to produce it") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e}); delete it and recompute") from None
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start}); delete it and recompute") from None
    except RecursionError:
        raise ValueError(f"{path}: JSON nested too deeply to read; delete it and recompute") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object, found {type(data).__name__}; delete it and recompute")
    return data


def _validate(model, data, path: Path):
    try:
        return model.model_validate(data)
    except RecursionError:
        raise ValueError(f"{path}: JSON nested too deeply to read; delete it and recompute") from None


def read_summary(path) -> Summary:
    path = Path(path)
    data = _load_json(path)
    check_version(str(data.get("schema_version", "0")), str(path))
    return _validate(Summary, data, path)


def read_classes(path) -> ClassesFile:
    path = Path(path)
    data = _load_json(path)
    check_version(str(data.get("schema_version", "0")), str(path))
    return _validate(ClassesFile, data, path)


def read_images(path) -> list[ImageRecord]:
    path = Path(path)
    out = []
    with open(path, "rb") as fh:   # bytes: invalid UTF-8 is reported with its line, like any invalid record
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                out.append(ImageRecord.model_validate_json(line))
            except Exception as e:  # pydantic.ValidationError or JSON error
                raise ValueError(f"{path}:{n}: invalid image record: {e}") from None
    return out
