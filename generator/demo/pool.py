"""The world's descriptor pool, templates and part metadata, derived from :mod:`generator.demo.world`.

* ``descriptor_pool()``: class -> descriptors, the same ``{class: [descriptor, ...]}`` JSON format as the LLM pools
  (spec §2.1). A class's descriptors describe its parts *with their attributes*: one descriptor per (part, colour the
  part can take in that class), from the part's first coloured phrase ("a blue triangular roof", "a red triangular
  roof", ...); a part without coloured phrases (the signal lamps) gives its plain phrases. They never name a class
  (checked by the tests). Parts shared by two classes give *shared* descriptors (the same string under both classes),
  as in LLM pools. So a descriptor grounded on an image can name the right part in the wrong colour.
* ``descriptor_parts()``: descriptor -> the part names it describes (ground truth for grounding precision).
  **Rule**: the engine's "part present" / "part under the concept" checks use the part only (a descriptor is right
  when it names a part present / the concept's part, whatever colour it says), so they stay defined exactly as for
  the first world; ``descriptor_colours()`` (descriptor -> the colour it names, ``parts.json`` "descriptor_colours")
  and the per-image colours (``.masks/colours.json``) allow the stricter part-and-colour check.
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
from .world import CLASSES, COLOURS, PART_NAMES, shared_parts

POOL_FILE = "descriptors_demo.json"
TEMPLATES_FILE = "templates.json"


def _part_descriptors(p) -> list[tuple[str, str | None]]:
    """(descriptor, colour it names or None) for one placed part."""
    if not p.kind.coloured:
        return [(d, None) for d in p.kind.plain]
    return [(p.kind.phrases(c)[0], c) for c in p.colours]


def descriptor_pool() -> dict[str, list[str]]:
    pool: dict[str, list[str]] = {}
    for c in CLASSES:
        seen: list[str] = []
        for p in c.parts:
            seen += [d for d, _ in _part_descriptors(p) if d not in seen]
        pool[c.name] = seen
    return pool


def descriptor_parts() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for c in CLASSES:
        for p in c.parts:
            for d, _ in _part_descriptors(p):
                if p.name not in out.setdefault(d, []):
                    out[d].append(p.name)
    return out


def descriptor_colours() -> dict[str, str]:
    """descriptor -> the colour name it states (descriptors stating none are left out)."""
    return {d: col for c in CLASSES for p in c.parts for d, col in _part_descriptors(p) if col is not None}


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
        "descriptor_colours": descriptor_colours(),
        "colours": {name: list(rgb) for name, rgb in COLOURS.items()},
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
