"""Work units: one (model, dataset, class) each, keyed by a hash of everything that determines its result.

The key hashes: model id and weights identity, the class's file list (relative path and size of each image:
cheap, and changes when an image is replaced by a different file), the class names of the whole dataset
(zero-shot predictions depend on all of them), the descriptor pool's sha256, the templates, the method
config hash, the seed, the number of overlays, the effective precision of the image tower (``amp`` | ``fp32``,
:func:`generator.runner.device.effective_precision`) and the result schema's major version. Anything else (batch
size, device, output folder, the feature cache) does not change the result's meaning and is left out. A dataset with
part masks adds the identity of its ground truth (:meth:`generator.registry.part_masks.PartMasks.key`: parts.json,
the class's mask files, the metrics version), so adding or changing masks recomputes the classes they touch; the keys
of datasets without masks do not have this entry.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

from generator.hashing import stable_hash
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


def class_files(dataset) -> list[dict]:
    """What of each class of ``dataset`` enters its unit key whatever the model: ``files`` (relative path, size)
    and, for a dataset with part masks, ``ground_truth``. It stats every file, so a suite computes it once per
    dataset and passes it to :func:`make_units` for every model."""
    out = []
    for c in dataset.classes:
        files = tuple(dataset.relative(p) for p in c.files)
        entry = {"files": [[f, p.stat().st_size] for f, p in zip(files, c.files)]}
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
