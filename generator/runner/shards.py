"""Shard files: the finished result of one work unit (its image records and class record), written
atomically to ``OUT/.shards/<dataset>/<model-id>/<class index>-<key>.json``. A shard whose key, schema
major version or content does not check out is treated as missing (the unit is recomputed)."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Optional

from generator.hashing import short_name
from generator.results.io import write_json
from generator.results.schema import SCHEMA_VERSION, ClassRecord, ImageRecord, schema_major

SHARDS_DIR = ".shards"


def shard_path(out: Path, unit) -> Path:
    return (Path(out) / SHARDS_DIR / short_name(unit.dataset) / short_name(unit.model_id)
            / f"{unit.class_index:05d}-{unit.key}.json")


def write_shard(path: Path, unit, images: list[ImageRecord], klass: ClassRecord, **extra) -> None:
    write_json(path, {"schema_version": SCHEMA_VERSION, "key": unit.key, "unit": unit.to_dict(),
                      "images": [r.model_dump(mode="json") for r in images],
                      "class": klass.model_dump(mode="json"), **extra})


def read_shard(path: Path, key: str) -> Optional[dict]:
    """The shard's payload with validated ``images`` / ``class`` models, or None if absent or unusable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("key") != key or schema_major(str(data.get("schema_version", "0"))) != schema_major(SCHEMA_VERSION):
            return None
        data["images"] = [ImageRecord.model_validate(r) for r in data["images"]]
        data["class"] = ClassRecord.model_validate(data["class"])
        return data
    except (OSError, ValueError, KeyError, TypeError):  # missing, truncated, invalid
        return None


_HEAD = re.compile(r'^\{\s*"schema_version":\s*"([^"]*)",\s*"key":\s*"([^"]*)"')


def is_done(path: Path, key: str) -> bool:
    """Whether ``path`` holds a finished shard of ``key`` readable by this schema, from its first bytes only (a plan
    checks every unit without reading whole shards; writes are atomic, so a shard is never half-written). A shard of
    another schema major version is not done: its unit is recomputed, never mixed into the results."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(512).decode("utf-8", errors="replace")
    except OSError:
        return False
    m = _HEAD.match(head)
    try:
        return bool(m) and m.group(2) == key and schema_major(m.group(1)) == schema_major(SCHEMA_VERSION)
    except ValueError:   # not a version number
        return False
