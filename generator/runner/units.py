"""Work units: one (model, dataset, class) each, keyed by a hash of everything that determines its result.

The key hashes: model id and weights identity, the class's file list (relative path and sha256 of the bytes of each
image, remembered by stat signature so a rerun only stats the files; two images that swap content keep their sizes
and mtimes but not their hashes), the class names of the whole dataset
(zero-shot predictions depend on all of them), the descriptor pool's sha256, the templates, the method
config hash, the seed, the number of overlays, the effective precision of the image tower (``amp`` | ``fp32``,
:func:`generator.runner.device.effective_precision`) and the result schema's major version. Anything else (batch
size, device, output folder, the feature cache) does not change the result's meaning and is left out. A dataset with
part masks adds the identity of its ground truth (:meth:`generator.registry.part_masks.PartMasks.key`: parts.json,
the class's mask files, the metrics version), so adding or changing masks recomputes the classes they touch; the keys
of datasets without masks do not have this entry.
"""
from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Optional, Sequence

from generator.hashing import HashCache, short_path, stable_hash
from generator.results.schema import SCHEMA_VERSION, schema_major


@dataclass(frozen=True)
class WorkUnit:
    dataset: str
    model_id: str
    class_index: int
    folder: str
    name: str
    files: tuple[str, ...]       # image paths relative to the dataset folder
    key: str

    def to_dict(self) -> dict:
        d = asdict(self)
        d["files"] = list(self.files)
        return d


def image_hashes(dataset) -> HashCache:
    """The memo of the sha256 of ``dataset``'s images (``<cache>/hashes/images-<hash of the folder>.json``)."""
    return HashCache.named("images-" + stable_hash(os.path.abspath(dataset.root)))


def class_files(dataset, hashes: Optional[HashCache] = None) -> list[dict]:
    """What of each class of ``dataset`` enters its unit key whatever the model: ``files`` (relative path and the
    first 16 hex digits of the sha256 of the bytes of each image) and, for a dataset with part masks,
    ``ground_truth``. Images are read once and remembered by stat signature in ``hashes`` (default
    :func:`image_hashes`), which this fills but does not save (planning writes nothing: the worker saves it,
    :func:`generator.runner.work.save_hashes`); a suite computes this once per dataset and passes it to
    :func:`make_units` for every model."""
    out, hashes = [], hashes if hashes is not None else image_hashes(dataset)
    for c in dataset.classes:
        files = tuple(dataset.relative(p) for p in c.files)
        entry = {"files": [[f, hashes.sha256(p)[:16]] for f, p in zip(files, c.files)]}
        if getattr(dataset, "part_masks", None) is not None:
            entry["ground_truth"] = dataset.part_masks.key(files)
        out.append(entry)
    return out


def make_units(dataset, model_id: str, weights: str, descriptor_sha256: str, templates: list[str], cfg,
               seed: int, overlays_per_class: int, precision: str = "fp32",
               files: Optional[list[dict]] = None) -> list[WorkUnit]:
    """One unit per class of ``dataset`` (an :class:`~generator.registry.datasets.ImageFolder`); ``files``: its
    :func:`class_files` when already computed."""
    common = {"model": model_id, "weights": weights, "classnames": dataset.classnames,
              "descriptors": descriptor_sha256, "templates": list(templates), "method": cfg.hash(),
              "seed": seed, "overlays": overlays_per_class, "precision": precision,
              "schema_major": schema_major(SCHEMA_VERSION)}
    units = []
    for c, entry in zip(dataset.classes, files if files is not None else class_files(dataset)):
        key = stable_hash({**common, "class": c.index, "folder": c.folder, **entry})
        rel = tuple(f for f, _ in entry["files"])
        units.append(WorkUnit(dataset.name, model_id, c.index, c.folder, c.name, rel, key))
    return units


def overlay_names(files: Sequence[str]) -> list[str]:
    """The overlay file (relative path ending in ``.png``) of each image of a class: the image's path with ``.png``
    added unless it is a PNG, each component shortened to fit a file system (:func:`~generator.hashing.short_path`).
    Names two images would share (``x.jpg`` and ``x.jpg.png``; ``A.jpg`` and ``a.jpg`` on a case-insensitive file
    system) are told apart by a hash of the image's path, all but the first in sorted order of the image paths."""
    names = [short_path(f if f.lower().endswith(".png") else f + ".png", keep_suffix=".png") for f in files]
    seen: Counter = Counter()
    out = list(names)
    for i in sorted(range(len(files)), key=lambda i: (names[i] != files[i], files[i])):
        n = names[i].lower()
        if seen[n]:
            tag = hashlib.sha256(files[i].encode("utf-8")).hexdigest()[:12]
            out[i] = short_path(names[i][:-4] + "-" + tag + ".png", keep_suffix=".png")
        seen[n] += 1
    if len({n.lower() for n in out}) != len(out):  # only a file named like another's disambiguated name
        raise ValueError(f"cannot give the images {sorted(files)[:3]}... distinct overlay names; rename them")
    return out
