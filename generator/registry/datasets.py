"""Datasets: image folders (one sub-folder per class), class names, zero-shot templates and image loading
(spec §2.1 templates, §2.2 preprocessing).

Layout: ``DIR/<class folder>/<image>``; classes are the sub-folders in sorted order (class index =
position). Display names are the folder names, or come from a mapping file: ``--class-names FILE`` or a
``classnames.json`` / ``classnames.txt`` inside ``DIR``. JSON: an object ``{folder: name}`` covering every
folder, or a list of names in sorted-folder order; txt: one name per line in sorted-folder order.

Preprocessing (spec §2.2, official ``get_val_transform(crop=False)``): RGB, bicubic ``Resize((S, S))``
with **no centre crop**, CLIP mean/std. The resized uint8 image is kept too: visual prompts are drawn on it.

Ground-truth part masks: a dataset with ``DIR/.masks/parts.json`` (format in :mod:`generator.registry.part_masks`)
gets ``ImageFolder.part_masks`` (:func:`find_part_masks`), and the engine then computes ground-truth part metrics.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from generator.errors import UserError
from generator.registry import part_masks as _masks
from generator.registry.part_masks import PartMasks

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm"}
CLASSNAME_FILES = ("classnames.json", "classnames.txt")
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

# Zero-shot prompt templates (spec §2.1, paper Table 8); "{}" is the class name.
TEMPLATES: dict[str, list[str]] = {
    "imagenet": [
        "itap of a {}.",
        "a bad photo of the {}.",
        "a origami {}.",
        "a photo of the large {}.",
        "a {} in a video game.",
        "art of the {}.",
        "a photo of the small {}.",
        "a photo of a {}.",
    ],
    "places365": [
        "a photo taken in an {}.",
        "a photo of a {}.",
        "a scene taken in a {}.",
    ],
    "food101": ["a photo of {}, a type of food."],
    "default": ["a photo of a {}."],
}


@dataclass
class DatasetClass:
    index: int
    folder: str                  # sub-folder name
    name: str                    # display / prompt name
    files: list[Path]            # sorted image files


@dataclass
class ImageFolder:
    root: Path
    name: str
    classes: list[DatasetClass]
    classnames_source: Optional[str] = None
    part_masks: Optional[PartMasks] = field(default=None)  # see find_part_masks

    @property
    def classnames(self) -> list[str]:
        return [c.name for c in self.classes]

    @property
    def n_images(self) -> int:
        return sum(len(c.files) for c in self.classes)

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def _is_image(p: Path) -> bool:
    return p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_EXTENSIONS


def scan_image_folder(root, name: Optional[str] = None, class_names=None) -> ImageFolder:
    """Scan ``root`` (no image is decoded). UserError on a missing folder, no classes, an empty class,
    or a class-name mapping that does not match the folders."""
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"{root}: dataset folder not found; pass --dataset-dir DIR with one sub-folder per class")
    folders = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise UserError(f"{root}: no class sub-folders; put the images of each class in DIR/<class name>/")
    classes = []
    for i, folder in enumerate(folders):
        files = sorted(p for p in (root / folder).iterdir() if _is_image(p))
        if not files:
            raise UserError(f"{root / folder}: class folder holds no images ({', '.join(sorted(IMAGE_EXTENSIONS))}); "
                            "add images or remove the folder")
        classes.append(DatasetClass(i, folder, folder, files))
    source = None
    if class_names is None:
        found = [root / f for f in CLASSNAME_FILES if (root / f).is_file()]
        class_names = found[0] if found else None
    if class_names is not None:
        names = read_class_names(class_names, folders)
        for c in classes:
            c.name = names[c.folder]
        source = str(class_names)
    name = name or root.resolve().name
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise UserError(f"dataset name {name!r} cannot name a results folder; pass --dataset-name without "
                        "slashes or a leading dot")
    ds = ImageFolder(root=root, name=name, classes=classes, classnames_source=source)
    ds.part_masks = find_part_masks(ds)
    return ds


def read_class_names(path, folders: Sequence[str]) -> dict[str, str]:
    """Mapping file -> {folder: display name}; every folder must be named, no unknown folders."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        raise UserError(f"{path}: class-name file not found; check the --class-names path") from None
    if path.suffix.lower() == ".json":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise UserError(f"{path}: not valid JSON ({e}); fix the class-name file") from None
        if isinstance(obj, list):
            names = obj
        elif isinstance(obj, dict):
            unknown = sorted(set(obj) - set(folders))
            missing = [f for f in folders if f not in obj]
            if unknown:
                raise UserError(f"{path}: names classes with no folder: {unknown[:5]}; remove them or add the folders")
            if missing:
                raise UserError(f"{path}: no name for class folders {missing[:5]}; add them to the mapping")
            names = [obj[f] for f in folders]
        else:
            raise UserError(f"{path}: expected a JSON object {{folder: name}} or a list of names")
    else:
        names = [line.strip() for line in text.splitlines() if line.strip()]
    if len(names) != len(folders):
        raise UserError(f"{path}: lists {len(names)} class names but the dataset has {len(folders)} class folders; "
                        "give one name per folder, in sorted folder order")
    bad = [n for n in names if not isinstance(n, str) or not n.strip()]
    if bad:
        raise UserError(f"{path}: class names must be non-empty strings (got {bad[:3]})")
    return dict(zip(folders, (n.strip() for n in names)))


def find_part_masks(dataset: ImageFolder) -> Optional[PartMasks]:
    """The dataset's ground-truth part masks (``DIR/.masks/``), or None when it has none; then the runner fills
    ``MethodImageResult.ground_truth`` and the ground-truth aggregates. Checked up front (before any work): the
    metadata is readable and every image has its mask file (UserError naming the first missing ones)."""
    found = _masks.find_part_masks(dataset.root)
    if found is None:
        return None
    missing = [dataset.relative(f) for c in dataset.classes for f in c.files
               if not _masks.mask_path(dataset.root, f).is_file()]
    if missing:
        raise UserError(f"{_masks.masks_root(dataset.root)}: no mask for {len(missing)} image(s), e.g. "
                        f"{', '.join(missing[:3])}; add .masks/<class folder>/<stem>.png for each image, or remove "
                        f"{_masks.masks_root(dataset.root) / _masks.PARTS_FILE} to run without ground truth")
    return found


def resolve_templates(spec) -> tuple[str, list[str]]:
    """``--templates NAME|FILE`` (or a list of templates) -> (name, templates). A file is JSON (a list) or
    text (one per line); every template must contain ``{}`` exactly once."""
    if spec is None:
        return "default", list(TEMPLATES["default"])
    if isinstance(spec, (list, tuple)):
        return "custom", _check_templates(list(spec), "the template list")
    if spec in TEMPLATES:
        return spec, list(TEMPLATES[spec])
    path = Path(spec)
    if not path.is_file():
        raise UserError(f"--templates {spec!r}: neither a known template set ({', '.join(TEMPLATES)}) nor a file")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        try:
            items = json.loads(text)
        except json.JSONDecodeError as e:
            raise UserError(f"{path}: not valid JSON ({e}); give a JSON list of templates") from None
        if not isinstance(items, list):
            raise UserError(f"{path}: expected a JSON list of templates such as [\"a photo of a {{}}.\"]")
    else:
        items = [line.strip() for line in text.splitlines() if line.strip()]
    return path.stem, _check_templates(items, str(path))


def _check_templates(items: list, where: str) -> list[str]:
    bad = [t for t in items if not isinstance(t, str) or t.count("{}") != 1]
    if not items or bad:
        raise UserError(f"{where}: every template must contain '{{}}' (the class name) once; bad: {bad[:3]}")
    return items


@dataclass(frozen=True)
class Preprocess:
    """Resize((S, S)) bicubic without crop + CLIP normalisation (spec §2.2)."""

    size: int
    mean: tuple = CLIP_MEAN
    std: tuple = CLIP_STD

    def load(self, path: Path) -> np.ndarray:
        """uint8 (S, S, 3) RGB; UserError naming a corrupt / unreadable file."""
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path) as im:
                im = im.convert("RGB").resize((self.size, self.size), Image.BICUBIC)
                return np.asarray(im, dtype=np.uint8).copy()
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
            raise UserError(f"{path}: cannot read this image ({e}); delete or replace the file") from None

    def normalize(self, raw: np.ndarray, device="cpu"):
        """uint8 (B, S, S, 3) -> float32 tensor (B, 3, S, S), CLIP-normalised, on ``device``."""
        import torch

        x = torch.from_numpy(np.ascontiguousarray(raw)).to(device).permute(0, 3, 1, 2).float().div_(255.0)
        mean = torch.tensor(self.mean, device=x.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, device=x.device).view(1, 3, 1, 1)
        return (x - mean) / std

    def load_batch(self, paths: Sequence[Path], device="cpu"):
        """(normalised tensor (B, 3, S, S), uint8 (B, S, S, 3))."""
        raw = np.stack([self.load(p) for p in paths]) if paths else np.zeros((0, self.size, self.size, 3), np.uint8)
        return self.normalize(raw, device), raw


__all__ = ["TEMPLATES", "ImageFolder", "DatasetClass", "Preprocess", "scan_image_folder", "read_class_names",
           "resolve_templates", "find_part_masks", "CLIP_MEAN", "CLIP_STD", "IMAGE_EXTENSIONS"]
