"""The world's descriptor pool, templates and part metadata, derived from :mod:`generator.demo.world`.

* ``descriptor_pool()``: class -> descriptors, the same ``{class: [descriptor, ...]}`` JSON format as the LLM pools
  (spec §2.1). A class's descriptors are the phrases of its parts; they describe parts and never name a class (checked
  by the tests). Parts shared by two classes give *shared* descriptors (the same string under both classes), as in
  LLM pools.
* ``descriptor_parts()``: descriptor -> the part names it describes (ground truth for grounding precision).
* ``parts_metadata()``: what ``<dataset>/.masks/parts.json`` holds (see the package docstring).

``write_world_files(dir)`` writes ``descriptors_demo.json``, ``templates.json`` and ``parts.json``; the copies shipped in
``data/demo/`` are checked against it by ``tests/demo/test_pool.py``.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..registry.part_masks import MASK_FORMAT, PARTS_FILE
from ..results.io import atomic_write_text
from .captions import TEMPLATES
from .render import IMAGE_SIZE, PATCH_SIZE
from .world import CLASSES, PART_NAMES, shared_parts

POOL_FILE = "descriptors_demo.json"
TEMPLATES_FILE = "templates.json"


def descriptor_pool() -> dict[str, list[str]]:
    pool: dict[str, list[str]] = {}
    for c in CLASSES:
        seen: list[str] = []
        for p in c.parts:
            seen += [d for d in p.phrases if d not in seen]
        pool[c.name] = seen
    return pool


def descriptor_parts() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for c in CLASSES:
        for p in c.parts:
            for d in p.phrases:
                if p.name not in out.setdefault(d, []):
                    out[d].append(p.name)
    return out


def templates() -> list[str]:
    """Zero-shot templates in the registry's format ("{}" = class name)."""
    return [t.replace("{c}", "{}") for t in TEMPLATES]


def parts_metadata() -> dict:
    return {
        "format": MASK_FORMAT,
        "background": 0,
        "image_size": IMAGE_SIZE,
        "patch_size": PATCH_SIZE,
        "parts": {str(i): name for i, name in sorted(PART_NAMES.items())},
        "classes": {c.name: {"folder": c.folder, "parts": list(c.part_names)} for c in CLASSES},
        "shared_parts": shared_parts(),
        "descriptors": descriptor_parts(),
    }


def _dump(obj) -> str:
    return json.dumps(obj, indent=1, ensure_ascii=False) + "\n"


def world_files() -> dict[str, str]:
    """file name -> content."""
    return {POOL_FILE: _dump(descriptor_pool()), TEMPLATES_FILE: _dump(templates()), PARTS_FILE: _dump(parts_metadata())}


def write_world_files(out_dir: str | Path) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in world_files().items():
        atomic_write_text(out / name, text)
        written.append(out / name)
    return written
