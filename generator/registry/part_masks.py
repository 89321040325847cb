"""Ground-truth part masks of a dataset (format ``mkbench-part-masks/1``, documented in :mod:`generator.demo`).

::

    <dataset>/.masks/<class folder>/<stem>.png   uint8 (H, W) part index per pixel, 0 = background
    <dataset>/.masks/parts.json                  {"format", "parts": {index: name}, "descriptors": {text: [part]}, ...}

The readers (:func:`has_masks`, :func:`load_parts`, :func:`mask_path`, :func:`load_mask`) live here, in the
registry, because both the engine (:mod:`generator.runner`) and the demo world (:mod:`generator.demo`, the writer)
use them; the registry imports neither. :func:`find_part_masks` turns a dataset folder into a :class:`PartMasks`
(or None), which :func:`generator.registry.datasets.scan_image_folder` stores as ``ImageFolder.part_masks``.
Masks are resized with nearest neighbour only (part indices are labels, not intensities).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from generator.errors import UserError
from generator.hashing import file_sha256, stable_hash

MASK_FORMAT = "mkbench-part-masks/1"
MASKS_DIR = ".masks"
PARTS_FILE = "parts.json"
# Bump when the ground-truth metrics computed from the masks change meaning: it enters the work-unit keys.
GT_METRICS_VERSION = 1


def masks_root(dataset_dir: str | Path) -> Path:
    return Path(dataset_dir) / MASKS_DIR


def has_masks(dataset_dir: str | Path) -> bool:
    return (masks_root(dataset_dir) / PARTS_FILE).is_file()


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
    if not isinstance(meta, dict) or meta.get("format") != MASK_FORMAT or not isinstance(meta.get("parts"), dict):
        raise UserError(f"{path}: expected format {MASK_FORMAT!r} with a 'parts' table; regenerate the dataset")
    try:
        meta["parts"] = {int(k): str(v) for k, v in meta["parts"].items()}
    except ValueError:
        raise UserError(f"{path}: 'parts' keys must be part indices (1, 2, ...); regenerate the dataset") from None
    descs = meta.get("descriptors", {})
    if not isinstance(descs, dict) or not all(isinstance(v, list) for v in descs.values()):
        raise UserError(f"{path}: 'descriptors' must map descriptor text to a list of part names")
    return meta


def mask_path(dataset_dir: str | Path, image_path: str | Path) -> Path:
    """The mask of ``dataset_dir/<folder>/<stem>.<ext>`` is ``dataset_dir/.masks/<folder>/<stem>.png``
    (``image_path`` as a path, e.g. ``dataset_dir / "house" / "0000.png"``)."""
    rel = Path(image_path).resolve().relative_to(Path(dataset_dir).resolve())
    return masks_root(dataset_dir) / rel.with_suffix(".png")


def load_mask(dataset_dir: str | Path, image_path: str | Path, size: int | None = None) -> np.ndarray:
    """uint8 (H, W) part indices; resized with nearest neighbour to ``size`` x ``size`` when given."""
    from PIL import Image

    path = mask_path(dataset_dir, image_path)
    if not path.is_file():
        raise UserError(f"{path}: mask missing for {image_path}; regenerate the dataset with its masks")
    with Image.open(path) as img:
        if img.mode != "L":
            raise UserError(f"{path}: a part mask must be a single-channel uint8 PNG (mode L), got mode {img.mode}")
        if size is not None and img.size != (size, size):
            img = img.resize((size, size), Image.NEAREST)
        return np.asarray(img, dtype=np.uint8).copy()


@dataclass
class PartMasks:
    """The ground truth of one dataset: masks per image (read on demand), part names, descriptor -> parts."""

    root: Path
    part_names: dict[int, str]                          # part index (> 0) -> name
    descriptor_parts: dict[str, list[str]] = field(default_factory=dict)
    meta_sha256: str = ""                               # of parts.json: enters the work-unit keys

    def mask(self, rel_image: str, size: int | None = None) -> np.ndarray:
        """uint8 (size, size) part indices of ``root/rel_image`` (nearest-neighbour resize), 0 = background."""
        return load_mask(self.root, self.root / rel_image, size)

    def masks(self, rel_images, size: int) -> np.ndarray:
        """uint8 (B, size, size) masks of a batch."""
        return np.stack([self.mask(r, size) for r in rel_images]) if rel_images else np.zeros((0, size, size),
                                                                                              np.uint8)

    def names_present(self, mask: np.ndarray) -> list[str]:
        return [self.part_names.get(int(k), str(int(k))) for k in np.unique(mask) if k > 0]

    def key(self, rel_images) -> str:
        """Identity of the ground truth of these images (parts.json, mask file sizes, metrics version)."""
        sizes = []
        for r in rel_images:
            path = mask_path(self.root, self.root / r)
            sizes.append([str(r), path.stat().st_size if path.is_file() else -1])
        return stable_hash([GT_METRICS_VERSION, self.meta_sha256, sizes])


def find_part_masks(root: str | Path) -> PartMasks | None:
    """The :class:`PartMasks` of the dataset folder ``root``, or None when it has no ``.masks/parts.json``.
    UserError (naming the file) when the metadata is unreadable; a missing mask file is reported when it is read."""
    root = Path(root)
    if not has_masks(root):
        return None
    meta = load_parts(root)
    sha = file_sha256(masks_root(root) / PARTS_FILE)
    descs = {str(d): [str(p) for p in parts] for d, parts in meta.get("descriptors", {}).items()}
    return PartMasks(root=root, part_names=meta["parts"], descriptor_parts=descs, meta_sha256=sha)


__all__ = ["MASK_FORMAT", "MASKS_DIR", "PARTS_FILE", "GT_METRICS_VERSION", "PartMasks", "find_part_masks",
           "has_masks", "load_parts", "mask_path", "load_mask", "masks_root"]
