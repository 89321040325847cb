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
    notes: list[str] = field(default_factory=list)         # what the scan left out, to be said to the user

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
    entries = sorted(p for p in root.iterdir() if p.is_dir())
    folders = [p.name for p in entries if not p.name.startswith(".")]
    hidden = [p.name for p in entries if p.name.startswith(".") and p.name not in _OWN_HIDDEN]
    notes = []
    if hidden:
        notes.append(f"{root}: skipped {len(hidden)} hidden folder(s) ({', '.join(hidden[:5])}): names starting with "
                     "a dot are not classes; rename them to include them")
    if not folders:
        raise UserError(f"{root}: no class sub-folders; put the images of each class in DIR/<class name>/")
    classes, ignored = [], []
    for i, folder in enumerate(folders):
        listing = sorted((root / folder).iterdir())
        files = [p for p in listing if _is_image(p)]
        ignored += [p for p in listing if not _is_image(p)]
        if not files:
            raise UserError(f"{root / folder}: class folder holds no images ({', '.join(sorted(IMAGE_EXTENSIONS))}); "
                            "add images or remove the folder")
        classes.append(DatasetClass(i, folder, folder, files))
    if ignored:
        shown = ", ".join(p.relative_to(root).as_posix() for p in ignored[:3])
        notes.append(f"{root}: ignored {len(ignored)} entr{'y' if len(ignored) == 1 else 'ies'} of class folders "
                     f"that are hidden, folders or not images by extension (e.g. {shown})")
    source = None
    if class_names is None:
        found = [root / f for f in CLASSNAME_FILES if (root / f).is_file()]
        class_names = found[0] if found else None
    if class_names is not None:
        names = read_class_names(class_names, folders)
        for c in classes:
            c.name = names[c.folder]
        source = str(class_names)
    _check_distinct(classes, source or str(root))
    name = name or root.resolve().name
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise UserError(f"dataset name {name!r} cannot name a results folder; pass --dataset-name without "
                        "slashes or a leading dot")
    ds = ImageFolder(root=root, name=name, classes=classes, classnames_source=source, notes=notes)
    ds.part_masks = find_part_masks(ds)
    return ds


_OWN_HIDDEN = {".masks"}   # mkbench's own hidden folders (ground-truth part masks): not mentioned


def _check_distinct(classes: list[DatasetClass], where: str) -> None:
    """Two classes with one display name (ignoring case and spaces) would get identical prompts and share a page."""
    seen: dict[str, DatasetClass] = {}
    for c in classes:
        k = " ".join(c.name.split()).casefold()
        if k in seen:
            raise UserError(f"{where}: class folders {seen[k].folder!r} and {c.folder!r} have the same name "
                            f"{c.name!r}; give every class a distinct name (zero-shot prompts and class pages need "
                            "one name per class)")
        seen[k] = c


def read_class_names(path, folders: Sequence[str]) -> dict[str, str]:
    """Mapping file -> {folder: display name}; every folder must be named, no unknown folders."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        raise UserError(f"{path}: class-name file not found; check the --class-names path") from None
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not UTF-8 text ({e}); save the class-name file as UTF-8") from None
    except OSError as e:
        raise UserError(f"{path}: cannot read the class-name file ({e.strerror or e})") from None
    if path.suffix.lower() == ".json":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise UserError(f"{path}: not valid JSON ({e}); fix the class-name file") from None
        except RecursionError:
            raise UserError(f"{path}: JSON nested too deeply; give an object {{folder: name}} or a list of "
                            "names") from None
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
        raise UserError(f"{path}: class names must be non-empty strings (got {[_short(b) for b in bad[:3]]})")
    control = [n for n in names if any(ord(ch) < 32 or ord(ch) == 127 for ch in n)]
    if control:
        raise UserError(f"{path}: class name {control[0]!r} holds a control character; remove it from the file")
    return dict(zip(folders, (n.strip() for n in names)))


def _short(value, n: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= n else text[:n] + "..."


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


class BadImage(UserError):
    """An image file that cannot be used (corrupt, truncated, not an image, a decompression bomb): the runner skips
    and records it (``ClassRecord.skipped``) unless asked to fail fast."""

    def __init__(self, path, reason: str):
        super().__init__(f"{path}: cannot read this image ({reason}); delete or replace the file")
        self.path, self.reason = Path(path), reason

    def __reduce__(self):  # picklable (worker processes)
        return (BadImage, (self.path, self.reason))


# Modes whose samples are not 8-bit: scaled to 0-255 before the RGB conversion (PIL's own conversion clips them,
# which turned a 16-bit PNG 99.6% white and a float TIFF black).
def _scaled_l(im):
    """A mode I;16* / I / F image as mode L (uint8) with its range scaled, and a note saying how."""
    from PIL import Image

    a = np.asarray(im).astype(np.float64)
    if im.mode.startswith("I;16"):
        a, how = a / 257.0, "16-bit: value / 257"
    elif im.mode == "I":
        big = a.size and np.nanmax(a) > 255
        a, how = (a / 257.0, "32-bit integer with values above 255: value / 257 (read as 16-bit)") if big else \
            (a, "32-bit integer with values in 0-255: as 8-bit")
    else:  # F
        finite = a[np.isfinite(a)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if lo >= 0.0 and hi <= 1.0:
            a, how = a * 255.0, "float in [0, 1]: value x 255"
        else:
            a, how = (a - lo) * (255.0 / (hi - lo) if hi > lo else 0.0), f"float in [{lo:g}, {hi:g}]: min-max to 0-255"
        a = np.where(np.isfinite(a), a, 0.0)
    return Image.fromarray(np.clip(np.rint(a), 0, 255).astype(np.uint8), mode="L"), f"mode {im.mode} ({how})"


def read_rgb(path: Path, size: int) -> tuple[np.ndarray, Optional[str]]:
    """(uint8 (size, size, 3) RGB, a note or None): every mode PIL opens (L, LA, P, RGBA, CMYK, 1, YCbCr, I;16, I,
    F; the first frame of a multi-frame file); alpha is dropped as before; I;16 / I / F are scaled to 8 bits (the
    note says how). BadImage for a file that is not a readable image or is over PIL's decompression-bomb limit
    (``PIL.Image.MAX_IMAGE_PIXELS``: the warning is an error here, so nothing that large is ever decoded)."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                im.load()   # decode everything now: a file cut short fails here, not half-read
                note = None
                if im.mode.startswith("I;16") or im.mode in ("I", "F"):
                    im, note = _scaled_l(im)
                rgb = im.convert("RGB").resize((size, size), Image.BICUBIC)
                return np.asarray(rgb, dtype=np.uint8).copy(), note
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as e:
        raise BadImage(path, f"refused as a possible decompression bomb: {e}; images above "
                       f"{Image.MAX_IMAGE_PIXELS} pixels are not decoded, so shrink the file") from None
    except UnidentifiedImageError:
        empty = Path(path).is_file() and Path(path).stat().st_size == 0
        raise BadImage(path, "an empty file" if empty else "not an image file PIL can identify") from None
    except (OSError, ValueError, SyntaxError, EOFError, KeyError, IndexError, TypeError) as e:
        raise BadImage(path, f"{type(e).__name__}: {e}") from None


@dataclass(frozen=True)
class Preprocess:
    """Resize((S, S)) bicubic without crop + CLIP normalisation (spec §2.2)."""

    size: int
    mean: tuple = CLIP_MEAN
    std: tuple = CLIP_STD

    def load(self, path: Path) -> np.ndarray:
        """uint8 (S, S, 3) RGB; BadImage (a UserError) naming a corrupt / unreadable file (:func:`read_rgb`)."""
        return read_rgb(path, self.size)[0]

    def normalize(self, raw: np.ndarray, device="cpu"):
        """uint8 (B, S, S, 3) -> float32 tensor (B, 3, S, S), CLIP-normalised, on ``device``."""
        import torch

        x = torch.from_numpy(np.ascontiguousarray(raw)).to(device).permute(0, 3, 1, 2).float().div_(255.0)
        mean = torch.tensor(self.mean, device=x.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, device=x.device).view(1, 3, 1, 1)
        return (x - mean) / std

    def load_batch(self, paths: Sequence[Path], device="cpu"):
        """(normalised tensor (B, 3, S, S), uint8 (B, S, S, 3)); BadImage at the first unreadable file."""
        raw = np.stack([self.load(p) for p in paths]) if paths else np.zeros((0, self.size, self.size, 3), np.uint8)
        return self.normalize(raw, device), raw


__all__ = ["TEMPLATES", "ImageFolder", "DatasetClass", "Preprocess", "BadImage", "read_rgb", "scan_image_folder", "read_class_names",
           "resolve_templates", "find_part_masks", "CLIP_MEAN", "CLIP_STD", "IMAGE_EXTENSIONS"]
