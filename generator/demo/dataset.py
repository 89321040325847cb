"""Write and read datasets with ground-truth part masks (format in the package docstring).

``write_dataset(dir, per_class, seed)`` renders image ``i`` of the ``dataset`` stream (class ``i % 12``, so a smaller
``per_class`` is a subset of a larger one, and the images match :func:`generator.runner.datagen.demo_world`) and
writes::

    dir/<class folder>/<NNNN>.png            RGB image
    dir/classnames.json                      {folder: class name}
    dir/.masks/<class folder>/<NNNN>.png     uint8 part index per pixel, 0 = background
    dir/.masks/parts.json                    part index -> name, class -> parts, descriptor -> parts (and colour)
    dir/.masks/colours.json                  {"<folder>/<NNNN>.png": {visible part: colour name}} (world 2)
    dir/.masks/patterns.json                 {"<folder>/<NNNN>.png": {part: [pattern, second colour]}} (world 3)

The readers (:func:`has_masks`, :func:`load_parts`, :func:`mask_path`, :func:`load_mask`) live in
:mod:`generator.registry.part_masks` (the engine reads masks too) and are re-exported here; they raise ``UserError``
naming the file and the fix.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..registry.part_masks import MASKS_DIR, has_masks, load_mask, load_parts, mask_path, masks_root
from .pool import PARTS_FILE, parts_metadata
from .render import IMAGE_SIZE, check_world, render_indexed
from .world import CLASS_BY_NAME, CLASS_NAMES

DATASET_STREAM = "dataset"
COLOURS_FILE = "colours.json"
PATTERNS_FILE = "patterns.json"
__all__ = ["write_dataset", "has_masks", "load_parts", "mask_path", "load_mask", "masks_root", "MASKS_DIR",
           "DATASET_STREAM"]


def write_dataset(out_dir: str | Path, per_class: int = 20, seed: int = 0, size: int = IMAGE_SIZE,
                  world: int | None = None) -> dict:
    """Render ``per_class`` images of each class of world version ``world`` (None: the shipped one) with masks
    into ``out_dir``; returns a summary."""
    from PIL import Image

    if per_class < 1:
        raise UserError(f"per_class must be >= 1 (got {per_class})")
    try:
        world = check_world(world)
    except ValueError as e:
        raise UserError(str(e)) from None
    out = Path(out_dir)
    masks = masks_root(out)
    colours: dict[str, dict[str, str]] = {}
    patterns: dict[str, dict[str, list[str]]] = {}
    for i in range(per_class * len(CLASS_NAMES)):
        s = render_indexed(DATASET_STREAM, seed, i, CLASS_NAMES, size, world=world)
        folder = CLASS_BY_NAME[s.class_name].folder
        stem = f"{i // len(CLASS_NAMES):04d}"
        for root, arr in ((out, s.image), (masks, s.mask)):
            (root / folder).mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.asarray(arr)).save(root / folder / f"{stem}.png")
        colours[f"{folder}/{stem}.png"] = dict(s.colours)
        patterns[f"{folder}/{stem}.png"] = {p: list(v) for p, v in s.patterns.items()}
    names = {CLASS_BY_NAME[c].folder: c for c in CLASS_NAMES}
    (out / "classnames.json").write_text(json.dumps(names, indent=1) + "\n", encoding="utf-8")
    meta = parts_metadata() | {"stream": DATASET_STREAM, "seed": seed, "per_class": per_class}
    if world >= 3:
        meta["world"] = world
    (masks / PARTS_FILE).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    (masks / COLOURS_FILE).write_text(json.dumps(colours, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if world >= 3:
        (masks / PATTERNS_FILE).write_text(json.dumps(patterns, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return {"dir": str(out), "classes": len(CLASS_NAMES), "images": per_class * len(CLASS_NAMES), "masks": str(masks),
            "world": world}
