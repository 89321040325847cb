"""Ground-truth part metrics of a class batch, for datasets with part masks (``ImageFolder.part_masks``), and their
aggregates. The metric functions are :mod:`generator.evaluation.ground_truth`; this module only feeds them the
engine's explanations and writes compact dicts into the result records (schema 1.1).

Per image and part method (``MethodImageResult.ground_truth``), from the method's pixel part map (spec §2.2.4, -1 =
no concept) and the image's mask resized to the model's S x S with nearest neighbour:

* ``part_localisation``: every visual concept (part of the map) against its best-IoU ground-truth part:
  ``mean_iou``, ``pointing_accuracy``, ``object_iou``, ``n_concepts``, ``concepts`` [{concept, part, iou, pointing,
  pixels}];
* ``grounding_precision`` of D_v (spec §2.3): each concept's top descriptors (``per_part``, the overlay legend) with
  the concept's matched part: ``grounding_present``, ``grounding_under_concept``, ``n_descriptors``, ``n_pairs``,
  ``n_unknown_descriptors`` (descriptors absent from ``parts.json``: counted as misses); ``parts_present``.

Per image (``ImageRecord.ground_truth_baseline``): K-means on raw pixel patches (``pixel_kmeans_baseline``), jointly
over the class batch like the method's parts, with k = ``cfg.n_parts``, the patch = the model's patch-grid cell (S /
grid), restricted to the method's SVD foreground (shared by the part methods), same seed: what clustering colour
alone achieves on the same patches. Skipped (None) when S is not a multiple of the grid.

Aggregates (:func:`aggregate`, class and dataset level): the **mean over images** of each per-image metric (images
where it is undefined, e.g. no concept, are left out), the number of images and concepts, and per ground-truth part
how many concepts matched it and their mean IoU.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from generator.evaluation.ground_truth import grounding_precision, part_localisation, pixel_kmeans_baseline

LOCALISATION = ("mean_iou", "pointing_accuracy", "object_iou")
GROUNDING = ("grounding_present", "grounding_under_concept")
METRICS = LOCALISATION + GROUNDING


def _compact_localisation(loc: dict) -> dict:
    return {"mean_iou": loc["mean_iou"], "pointing_accuracy": loc["pointing_accuracy"],
            "object_iou": loc["object_iou"], "n_concepts": loc["n_concepts"],
            "concepts": [{"concept": c["concept"], "part": c["part"], "iou": c["iou"], "pointing": c["pointing"],
                          "pixels": c["pixels"]} for c in loc["concepts"]]}


def method_ground_truth(m, gt_mask: np.ndarray, masks, descriptors: Sequence[str]) -> dict:
    """The ground truth of one method's explanation ``m`` (a ``MethodExplanation``) of one image."""
    loc = part_localisation(m.part_map, gt_mask, masks.part_names)
    matched = {c["concept"]: c["part"] for c in loc["concepts"]}
    concepts = [(matched.get(int(p)), [descriptors[d] for d in ds]) for p, ds in sorted(m.per_part.items())]
    present = masks.names_present(gt_mask)
    gp = grounding_precision(concepts, masks.descriptor_parts, present)
    return _compact_localisation(loc) | {
        "grounding_present": gp["present"], "grounding_under_concept": gp["under_concept"],
        "n_descriptors": gp["n_descriptors"], "n_pairs": gp["n_pairs"], "n_unknown_descriptors": gp["unknown"],
        "parts_present": present}


def baseline_ground_truth(raw: np.ndarray, gt_masks: np.ndarray, foregrounds: np.ndarray, k: int, seed: int,
                          part_names) -> Optional[list[dict]]:
    """Per image of the batch: the pixel K-means baseline's compact record, or None when the image size is not a
    multiple of the patch grid. ``foregrounds`` (B, h, w) bool: the method's patch foreground."""
    fg = np.asarray(foregrounds, bool)
    size, (h, w) = raw.shape[1], fg.shape[1:]
    if h != w or h == 0 or size % h:
        return None
    patch = size // h
    res = pixel_kmeans_baseline(raw, gt_masks, k=k, patch=patch, foreground=fg, seed=seed, part_names=part_names)
    return [_compact_localisation(loc) | {"k": k, "patch": patch} for loc in res["per_image"]]


def batch_ground_truth(masks, files: Sequence[str], raw: np.ndarray, explanations, descriptors: Sequence[str],
                       n_parts: int, seed: int) -> tuple[list[dict[str, dict]], list[Optional[dict]]]:
    """(per image: {method: ground-truth dict}; per image: baseline dict or None) of a class batch."""
    gts = masks.masks(list(files), raw.shape[1])
    methods = [{name: method_ground_truth(m, gts[i], masks, descriptors) for name, m in e.methods.items()}
               for i, e in enumerate(explanations)]
    fg = np.stack([e.foreground for e in explanations]) if explanations else np.zeros((0, 1, 1), bool)
    base = baseline_ground_truth(raw, gts, fg, n_parts, seed, masks.part_names) if len(raw) else None
    return methods, (base if base is not None else [None] * len(files))


def aggregate(records: Sequence[Optional[dict]]) -> Optional[dict]:
    """Mean over images of per-image ground-truth dicts (None entries ignored); None when there are none."""
    recs = [r for r in records if r is not None]
    if not recs:
        return None
    out: dict = {"n_images": len(recs), "n_concepts": int(sum(r.get("n_concepts", 0) for r in recs))}
    for key in METRICS:
        if any(key in r for r in recs):
            vals = [r[key] for r in recs if r.get(key) is not None]
            out[key] = float(np.mean(vals)) if vals else None
    parts: dict[str, list[float]] = {}
    for r in recs:
        for c in r.get("concepts", ()):
            if c.get("part") is not None:
                parts.setdefault(c["part"], []).append(c["iou"])
    out["parts"] = {p: {"matched": len(v), "mean_iou": float(np.mean(v))} for p, v in sorted(parts.items())}
    for key in ("k", "patch"):
        if key in recs[0]:
            out[key] = recs[0][key]
    return out
