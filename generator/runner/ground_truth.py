"""Ground-truth part metrics of a class batch, for datasets with part masks (``ImageFolder.part_masks``), and their
aggregates. The metric functions are :mod:`generator.evaluation.ground_truth`; this module only feeds them the
engine's explanations and writes compact dicts into the result records (schema 1.1).

Per image and part method (``MethodImageResult.ground_truth``), from the method's pixel part map (spec §2.2.4, -1 =
no concept) and the image's mask resized to the model's S x S with nearest neighbour:

* ``part_localisation``: every visual concept (part of the map) against its best-IoU ground-truth part:
  ``mean_iou``, ``pointing_accuracy``, ``object_iou``, ``n_concepts``, ``concepts`` [{concept, part, iou, pointing,
  pixels}];
* ``part_segmentation`` (schema 1.5): ``matched_iou`` (one-to-one Hungarian matching of concepts to the parts
  present, mean over those parts, unmatched parts 0; an empty map scores 0) and ``ari`` (adjusted Rand index of the
  concept labels over the object's pixels), the standard unsupervised part-segmentation scores;
* ``grounding_precision`` of D_v (spec §2.3): each concept's top descriptors (``per_part``, the overlay legend) with
  the concept's matched part: ``grounding_present``, ``grounding_under_concept``, ``n_descriptors``, ``n_pairs``,
  ``n_unknown_descriptors`` (descriptors absent from ``parts.json``: counted as misses); ``parts_present``.

Per image (``ImageRecord.ground_truth_baseline``): K-means on raw pixel patches (``pixel_kmeans_baseline``), jointly
over the class batch like the method's parts, with k = ``cfg.n_parts``, the patch = the model's patch-grid cell (S /
grid), restricted to the method's SVD foreground (shared by the part methods), same seed: what clustering colour
alone achieves on the same patches. Skipped (None) when S is not a multiple of the grid.

Controls (schema 1.3, :mod:`generator.evaluation.controls`; :func:`batch_controls`), stored beside the metrics:

* per image and method (``MethodImageResult.controls``): ``grounding_random`` (analytic random-descriptor precision,
  present / under concept), ``grounding_class_prior`` (the same expectation over the pool's descriptors of the
  predicted class), ``random_labels`` (mean IoU with the method's patch labels permuted over its own foreground,
  ``RANDOM_DRAWS`` seeded draws; with their ``matched_iou`` / ``ari`` from schema 1.5), ``one_cluster`` (schema 1.5:
  the method's whole foreground as ONE concept, scored like the method: ``mean_iou`` etc., ``matched_iou``,
  ``ari``; the level a segmentation must beat, and the one the concept-wise ``mean_iou`` fails to separate),
  ``oracle_foreground`` (the method's parts clustered within the true object's patches: the oracle
  patch mask, a patch is object when >= half its pixels are);
* per image (``ImageRecord.controls``): ``foreground`` (IoU of the method's upsampled patch foreground with the object,
  ``every_patch_iou`` = the level of taking every patch, ``oracle_patch_iou`` = the best patch-grid mask, ``empty``,
  ``patches``), ``oracle_region`` (prompts drawn around each TRUE part region, AUROC of that part's descriptors:
  ``within`` the image's parts and against the ``pool``, per prompt kind and for their mean embedding, the method's).

Aggregates (:func:`aggregate`, class and dataset level): the **mean over images** of each per-image metric (images
where it is undefined, e.g. no concept, are left out), the number of images and concepts, and per ground-truth part
how many concepts matched it and their mean IoU.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from generator.evaluation import controls as ctl
from generator.evaluation.ground_truth import (grounding_precision, part_localisation, part_segmentation,
                                               pixel_kmeans_baseline)

RANDOM_DRAWS = 20       # permutations per image of the random-labels control
LOCALISATION = ("mean_iou", "pointing_accuracy", "object_iou")
SEGMENTATION = ("matched_iou", "ari")      # schema 1.5: Hungarian-matched part IoU and ARI (part_segmentation)
GROUNDING = ("grounding_present", "grounding_under_concept")
METRICS = LOCALISATION + SEGMENTATION + GROUNDING


def _compact_localisation(loc: dict, seg: Optional[dict] = None) -> dict:
    return (seg or {}) | {"mean_iou": loc["mean_iou"], "pointing_accuracy": loc["pointing_accuracy"],
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
    return _compact_localisation(loc, part_segmentation(m.part_map, gt_mask)) | {
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
    return [_compact_localisation(loc, seg) | {"k": k, "patch": patch}
            for loc, seg in zip(res["per_image"], res["segmentation"])]


def batch_ground_truth(masks, files: Sequence[str], raw: np.ndarray, explanations, descriptors: Sequence[str],
                       n_parts: int, seed: int) -> tuple[list[dict[str, dict]], list[Optional[dict]]]:
    """(per image: {method: ground-truth dict}; per image: baseline dict or None) of a class batch."""
    gts = masks.masks(list(files), raw.shape[1])
    methods = [{name: method_ground_truth(m, gts[i], masks, descriptors) for name, m in e.methods.items()}
               for i, e in enumerate(explanations)]
    fg = np.stack([e.foreground for e in explanations]) if explanations else np.zeros((0, 1, 1), bool)
    base = baseline_ground_truth(raw, gts, fg, n_parts, seed, masks.part_names) if len(raw) else None
    return methods, (base if base is not None else [None] * len(files))


def aggregate(records: Sequence) -> Optional[dict]:
    """Mean over images of per-image ground truths (``ImageGroundTruth`` or its dict; None entries ignored); None
    when there are none."""
    recs = [r.model_dump() if hasattr(r, "model_dump") else r for r in records if r is not None]   # typed or dict
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


# ---- controls (schema 1.3) -----------------------------------------------------------------------------------------

def _cell(size: int, grid: int) -> Optional[int]:
    return size // grid if grid and size % grid == 0 else None


def method_controls(m, gt_mask: np.ndarray, masks, descriptors: Sequence[str], class_descriptors, grid: int,
                    seed: int) -> dict:
    """Grounding and localisation controls of one method's explanation ``m`` of one image."""
    loc = part_localisation(m.part_map, gt_mask, masks.part_names)
    matched = {c["concept"]: c["part"] for c in loc["concepts"]}
    counts = [(matched.get(int(p)), len(ds)) for p, ds in sorted(m.per_part.items())]
    present = masks.names_present(gt_mask)
    out = {"grounding_random": ctl.random_grounding(counts, masks.descriptor_parts, descriptors, present),
           "grounding_class_prior": (ctl.random_grounding(counts, masks.descriptor_parts, class_descriptors, present)
                                     if class_descriptors else {"present": None, "under_concept": None})}
    cell = _cell(m.part_map.shape[0], grid)
    out["random_labels"] = (ctl.random_label_localisation(m.part_map, gt_mask, cell, RANDOM_DRAWS, seed)
                            if cell else None)
    out["one_cluster"] = _localisation_summary(np.where(m.part_map >= 0, 0, -1), gt_mask, masks.part_names)
    return out


def _localisation_summary(pixel_map: np.ndarray, gt_mask: np.ndarray, part_names) -> dict:
    loc = part_localisation(pixel_map, gt_mask, part_names)
    return ({k: loc[k] for k in ("mean_iou", "pointing_accuracy", "object_iou", "n_concepts")}
            | part_segmentation(pixel_map, gt_mask))


def region_scores(model, raw: np.ndarray, gt_masks: np.ndarray, bank, cfg, normalize, device,
                  batch_size: int) -> list[dict]:
    """Per image: {part index: (kinds + 1, N) descriptor scores} for the method's prompts drawn around each TRUE part
    region (one row per prompt kind, last row = their mean embedding, the method's §2.3.2), batched forward passes."""
    import torch

    from generator.method import prompts
    from generator.method.explain import _encode_prompts

    kinds = tuple(cfg.prompt_kinds)
    per_image = [prompts.part_prompts(raw[i], gt_masks[i].astype(np.int64) - 1, kinds, cfg.ellipse_thickness,
                                      cfg.blur_kernel) for i in range(len(raw))]
    stacked = [p.reshape(-1, *p.shape[-3:]) for ids, p in per_image if len(ids)]
    if not stacked:
        return [{} for _ in per_image]
    with torch.no_grad():
        emb = _encode_prompts(model, np.concatenate(stacked), normalize, device, batch_size).float()
    desc = bank.desc_prompted.to(emb.device).float()
    out, offset = [], 0
    for ids, _ in per_image:
        n = len(ids) * len(kinds)
        e = emb[offset:offset + n].view(len(ids), len(kinds), -1)
        offset += n
        e = torch.cat([e, e.mean(dim=1, keepdim=True)], dim=1)          # (L, kinds + 1, D)
        scores = (e @ desc.T).cpu().numpy()                             # (L, kinds + 1, N)
        out.append({int(pid) + 1: scores[j] for j, pid in enumerate(ids)})
    return out


def region_auroc_record(scores: dict, masks, descriptors: Sequence[str], kinds: Sequence[str]) -> Optional[dict]:
    """One image's oracle-region AUROC per prompt kind and for the mean embedding (``"mean"``, the method's)."""
    if not scores:
        return None
    names = [masks.descriptor_parts.get(d, ()) for d in descriptors]
    out = {}
    for j, kind in enumerate(list(kinds) + ["mean"]):
        by_part = {masks.part_names.get(k, str(k)): s[j] for k, s in scores.items()}
        out[kind] = ctl.region_auroc(by_part, names)
    out["n_parts"] = len(scores)
    return out


def batch_controls(masks, files: Sequence[str], raw: np.ndarray, explanations, descriptors: Sequence[str],
                   classnames: Sequence[str], class_descriptors: dict, patches, cfg, seed: int,
                   region=None) -> tuple[list[dict[str, dict]], list[dict]]:
    """(per image: {method: controls}; per image: image-level controls) of a class batch with part masks.
    ``patches`` (B,h,w,C): the encode pass's patch features (oracle-foreground parts); ``region``: a callable
    ``(raw, gt_masks) -> region_scores(...)`` for the oracle-region AUROC, or None to skip it."""
    from generator.method import parts as parts_mod

    size = raw.shape[1]
    gts = masks.masks(list(files), size)
    grid = explanations[0].foreground.shape[0] if explanations else 0
    cell = _cell(size, grid)
    per_method = []
    for i, e in enumerate(explanations):
        cls_descs = class_descriptors.get(classnames[e.prediction], ())
        per_method.append({name: method_controls(m, gts[i], masks, descriptors, cls_descs, grid, seed)
                           for name, m in e.methods.items()})
    image = [{} for _ in explanations]
    if cell is None:
        return per_method, image
    objects = gts > 0
    oracle = np.stack([ctl.oracle_patch_mask(o, grid) for o in objects])
    for i, e in enumerate(explanations):
        up = np.repeat(np.repeat(e.foreground, cell, 0), cell, 1)
        ora = np.repeat(np.repeat(oracle[i], cell, 0), cell, 1)
        image[i]["foreground"] = {"iou": ctl.mask_iou(up, objects[i]) or 0.0,
                                  "every_patch_iou": ctl.mask_iou(np.ones_like(up), objects[i]),
                                  "oracle_patch_iou": ctl.mask_iou(ora, objects[i])}
    for name in cfg.methods:
        kw = {"iter_limit": cfg.kmeans_iter_limit} if name == "kmeans" else {}
        maps = parts_mod.part_maps(patches, oracle, name, cfg.n_parts, seed, **kw)
        pix = parts_mod.pixel_part_maps(maps, size)
        for i in range(len(explanations)):
            per_method[i][name]["oracle_foreground"] = _localisation_summary(pix[i], gts[i], masks.part_names)
    if region is not None:
        scores = region(raw, gts)
        for i in range(len(explanations)):
            image[i]["oracle_region"] = region_auroc_record(scores[i], masks, descriptors, cfg.prompt_kinds)
    return per_method, image


def _mean_tree(records: Sequence[Optional[dict]]) -> Optional[dict]:
    """Element-wise mean of nested dicts of numbers (None values left out; bools counted as 0/1 shares)."""
    recs = [r.model_dump() if hasattr(r, "model_dump") else r for r in records if r is not None]   # typed or dict
    if not recs:
        return None
    keys = list(dict.fromkeys(k for r in recs for k in r))
    out = {}
    for k in keys:
        vals = [r.get(k) for r in recs if r.get(k) is not None]
        if vals and all(isinstance(v, dict) for v in vals):
            out[k] = _mean_tree(vals)
        elif vals and all(isinstance(v, (int, float)) for v in vals):
            out[k] = float(np.mean(vals))
        else:
            out[k] = None
    return out


def aggregate_method_controls(records: Sequence[Optional[dict]]) -> Optional[dict]:
    """Class / data-set level of ``MethodImageResult.controls`` without ``random_dv`` (means over images)."""
    recs = [{k: v for k, v in r.items() if k != "random_dv"} for r in records if r]
    return _mean_tree(recs) if any(recs) else None


def aggregate_image_controls(records: Sequence[Optional[dict]]) -> Optional[dict]:
    """Class / data-set level of ``ImageRecord.controls``: means over images, plus ``foreground.n_empty`` (count)
    and ``foreground.empty`` (share) of images with an empty foreground."""
    recs = [r for r in records if r]
    if not recs:
        return None
    out = _mean_tree(recs) or {}
    fgs = [r["foreground"] for r in recs if r.get("foreground")]
    if fgs:
        out.setdefault("foreground", {})
        out["foreground"]["n_empty"] = int(sum(bool(f.get("empty")) for f in fgs))
        out["foreground"]["n_images"] = len(fgs)
    return out
