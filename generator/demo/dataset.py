"""Write and read datasets with ground-truth part masks (format in the package docstring).

``write_dataset(dir, per_class, seed)`` renders image ``i`` of the ``dataset`` stream (class ``i % 12``, so a smaller
``per_class`` is a subset of a larger one, and the images match :func:`generator.runner.datagen.demo_world`) and
writes::

    dir/<class folder>/<NNNN>.png            RGB image
    dir/classnames.json                      {folder: class name}
    dir/.masks/<class folder>/<NNNN>.png     uint8 part index per pixel, 0 = background
    dir/.masks/parts.json                    part index -> name, class -> parts, descriptor -> parts

The readers (:func:`has_masks`, :func:`load_parts`, :func:`load_mask`) raise ``UserError`` naming the file and the fix.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import UserError
from .pool import MASK_FORMAT, PARTS_FILE, parts_metadata
from .render import IMAGE_SIZE, render_indexed
from .world import CLASS_BY_NAME, CLASS_NAMES

MASKS_DIR = ".masks"
DATASET_STREAM = "dataset"


def masks_root(dataset_dir: str | Path) -> Path:
    return Path(dataset_dir) / MASKS_DIR


def has_masks(dataset_dir: str | Path) -> bool:
    return (masks_root(dataset_dir) / PARTS_FILE).is_file()


def write_dataset(out_dir: str | Path, per_class: int = 20, seed: int = 0, size: int = IMAGE_SIZE) -> dict:
    """Render ``per_class`` images of each class with masks into ``out_dir``; returns a summary."""
    from PIL import Image

    if per_class < 1:
        raise UserError(f"per_class must be >= 1 (got {per_class})")
    out = Path(out_dir)
    masks = masks_root(out)
    for i in range(per_class * len(CLASS_NAMES)):
        s = render_indexed(DATASET_STREAM, seed, i, CLASS_NAMES, size)
        folder = CLASS_BY_NAME[s.class_name].folder
        stem = f"{i // len(CLASS_NAMES):04d}"
        for root, arr in ((out, s.image), (masks, s.mask)):
            (root / folder).mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.asarray(arr)).save(root / folder / f"{stem}.png")
    names = {CLASS_BY_NAME[c].folder: c for c in CLASS_NAMES}
    (out / "classnames.json").write_text(json.dumps(names, indent=1) + "\n", encoding="utf-8")
    meta = parts_metadata() | {"stream": DATASET_STREAM, "seed": seed, "per_class": per_class}
    (masks / PARTS_FILE).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return {"dir": str(out), "classes": len(CLASS_NAMES), "images": per_class * len(CLASS_NAMES), "masks": str(masks)}


def load_parts(dataset_dir: str | Path) -> dict:
    """``parts.json`` with ``parts`` keyed by int index."""
    path = masks_root(dataset_dir) / PARTS_FILE
    if not path.is_file():
        raise UserError(f"{path}: no part metadata; this dataset has no ground-truth masks "
                        f"(write one with `mkbench make-demo-dataset`)")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise UserError(f"{path}: not valid JSON ({e}); regenerate the dataset") from None
    if meta.get("format") != MASK_FORMAT or "parts" not in meta:
        raise UserError(f"{path}: expected format {MASK_FORMAT!r} with a 'parts' table; regenerate the dataset")
    meta["parts"] = {int(k): v for k, v in meta["parts"].items()}
    return meta


def mask_path(dataset_dir: str | Path, image_path: str | Path) -> Path:
    """The mask of ``dataset_dir/<folder>/<stem>.<ext>`` is ``dataset_dir/.masks/<folder>/<stem>.png``."""
    rel = Path(image_path).resolve().relative_to(Path(dataset_dir).resolve())
    return masks_root(dataset_dir) / rel.with_suffix(".png")


def load_mask(dataset_dir: str | Path, image_path: str | Path, size: int | None = None) -> np.ndarray:
    """uint8 (H, W) part indices; resized with nearest neighbour to ``size`` x ``size`` when given."""
    from PIL import Image

    path = mask_path(dataset_dir, image_path)
    if not path.is_file():
        raise UserError(f"{path}: mask missing for {image_path}; regenerate the dataset with its masks")
    img = Image.open(path)
    if img.mode != "L":
        raise UserError(f"{path}: a part mask must be a single-channel uint8 PNG (mode L), got mode {img.mode}")
    if size is not None and img.size != (size, size):
        img = img.resize((size, size), Image.NEAREST)
    return np.asarray(img, dtype=np.uint8)
