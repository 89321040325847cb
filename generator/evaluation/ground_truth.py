"""Ground-truth metrics for datasets with part masks (the demo world; format in :mod:`generator.demo`).

Pure functions, numpy in, dicts out. They check the method's visual concepts (spec §2.2.4, parts from PCA / K-means)
and their descriptors (§2.3, D_v) against known parts:

* :func:`part_localisation`: each visual concept (a region of the part map) is matched to the ground-truth part with
  the highest IoU; reported are that IoU and a pointing hit (the concept's most interior pixel, the maximum of its
  distance transform, lies inside the matched part). The paper evaluates no part localisation (it reports CorLoc of
  the foreground, App. A.1); this is the synthetic world's addition.
* :func:`pixel_kmeans_baseline`: the same metrics for K-means on raw pixel patches (no model), the floor a model's
  concepts should beat.
* :func:`matched_part_iou` and :func:`part_ari`: the standard scores of unsupervised part segmentation (part
  co-segmentation: Collins et al. 2018, DFF; Hung et al. 2019, SCOPS; Amir et al. 2021): a one-to-one Hungarian
  matching of concepts to ground-truth parts, its IoU averaged over the parts present (unmatched parts score 0), and
  the adjusted Rand index of the concept labels over the object's pixels. Unlike :func:`part_localisation`, which is
  precision-oriented (one concept covering the whole object scores its best-part IoU), both score one all-covering
  concept at 1/n_parts and 0. :func:`part_segmentation` returns both.
* :func:`grounding_precision`: of the vision-side descriptors, the share that describe a part present in the image,
  and the share that describe the part matched to their concept.

Conventions: a part map holds concept ids ``>= 0`` and ``-1`` where there is no concept (background); a ground-truth
mask holds part indices ``> 0`` and ``0`` for background. Both are (S, S) at the same resolution (resize masks with
nearest neighbour).
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import numpy as np
from scipy import ndimage


def _check_pair(part_map: np.ndarray, gt_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pm, gt = np.asarray(part_map), np.asarray(gt_mask)
    if pm.shape != gt.shape or pm.ndim != 2:
        raise ValueError(f"part map {pm.shape} and ground-truth mask {gt.shape} must both be (S, S) of one size; "
                         "resize the mask with nearest neighbour to the part map's size")
    return pm.astype(np.int64), gt.astype(np.int64)


def interior_point(region: np.ndarray) -> tuple[int, int]:
    """(row, col) of the pixel farthest from the region's border (first in raster order on ties)."""
    dist = ndimage.distance_transform_edt(np.pad(region, 1))[1:-1, 1:-1]
    return tuple(int(v) for v in np.unravel_index(int(np.argmax(dist)), dist.shape))


def part_localisation(part_map: np.ndarray, gt_mask: np.ndarray,
                      part_names: Mapping[int, str] | None = None) -> dict:
    """Match every concept of ``part_map`` to its best ground-truth part.

    Returns ``{"concepts": [{"concept", "pixels", "part_id", "part", "iou", "pointing", "ious"}], "mean_iou",
    "pointing_accuracy", "n_concepts", "object_iou"}``: ``ious`` maps every part present to the concept's IoU with it;
    ties go to the lower part index; with no part present, ``part_id`` is None, IoU 0 and pointing False.
    ``object_iou`` is the IoU of all concepts together with the whole object (all parts). Means are None when the map
    has no concept.
    """
    pm, gt = _check_pair(part_map, gt_mask)
    names = part_names or {}
    parts = [int(k) for k in np.unique(gt) if k > 0]
    concepts = []
    for c in (int(v) for v in np.unique(pm) if v >= 0):
        region = pm == c
        ious = {}
        for k in parts:
            g = gt == k
            ious[k] = float((region & g).sum() / (region | g).sum())
        best = max(parts, key=lambda k: (ious[k], -k)) if parts else None
        point = interior_point(region)
        concepts.append({
            "concept": c, "pixels": int(region.sum()), "part_id": best,
            "part": names.get(best, None if best is None else str(best)),
            "iou": ious[best] if best is not None else 0.0,
            "pointing": bool(best is not None and gt[point] == best), "point": point,
            "ious": {names.get(k, str(k)): v for k, v in ious.items()},
        })
    fg, obj = pm >= 0, gt > 0
    union = (fg | obj).sum()
    return {
        "concepts": concepts,
        "n_concepts": len(concepts),
        "mean_iou": float(np.mean([c["iou"] for c in concepts])) if concepts else None,
        "pointing_accuracy": float(np.mean([c["pointing"] for c in concepts])) if concepts else None,
        "object_iou": float((fg & obj).sum() / union) if union else None,
    }


def _contingency(part_map: np.ndarray, gt_mask: np.ndarray) -> tuple[np.ndarray, list[int], list[int]]:
    """(counts (parts + 1, concepts + 1), part ids, concept ids): pixel counts of every (ground-truth label, map
    label) pair; row 0 = background (mask 0), column 0 = no concept (-1). One ``bincount``: fast enough for the
    random-labels control's many draws."""
    pm, gt = _check_pair(part_map, gt_mask)
    pm = np.maximum(pm, -1) + 1
    g = np.maximum(gt, 0)
    width = int(pm.max()) + 1
    full = np.bincount((g * width + pm).ravel(), minlength=(int(g.max()) + 1) * width).reshape(-1, width)
    rows = [0] + [k for k in range(1, full.shape[0]) if full[k].any()]
    cols = [0] + [j for j in range(1, width) if full[:, j].any()]
    return full[np.ix_(rows, cols)], rows[1:], [j - 1 for j in cols[1:]]


def matched_part_iou(part_map: np.ndarray, gt_mask: np.ndarray) -> dict:
    """One-to-one (Hungarian, :func:`scipy.optimize.linear_sum_assignment` maximising the summed IoU) matching of the
    map's concepts to the ground-truth parts present; ``matched_iou`` = the matched IoUs summed over parts, divided
    by the number of parts present (a part left without a concept, when there are fewer concepts than parts, scores
    0; surplus concepts are unmatched and cost nothing but the pixels they take from the matched ones).
    ``{"matched_iou", "n_parts", "matches": {part id: (concept id, iou)}}``; ``matched_iou`` is None when no part is
    present and 0.0 when the map has no concept."""
    from scipy.optimize import linear_sum_assignment

    counts, parts, concepts = _contingency(part_map, gt_mask)
    if not parts:
        return {"matched_iou": None, "n_parts": 0, "matches": {}}
    if not concepts:
        return {"matched_iou": 0.0, "n_parts": len(parts), "matches": {}}
    inter = counts[1:, 1:].astype(np.float64)
    union = counts[1:, :].sum(1)[:, None] + counts[:, 1:].sum(0)[None, :] - inter
    ious = inter / union
    rows, cols = linear_sum_assignment(ious, maximize=True)
    matches = {parts[i]: (concepts[j], float(ious[i, j])) for i, j in zip(rows, cols)}
    return {"matched_iou": float(ious[rows, cols].sum() / len(parts)), "n_parts": len(parts), "matches": matches}


def _ari(table: np.ndarray) -> float:
    """Adjusted Rand index from a contingency table, the formula of :func:`sklearn.metrics.adjusted_rand_score`
    (pair confusion matrix; 1.0 when there are no discordant pairs), in exact integers."""
    c = [[int(v) for v in row] for row in table]
    n = sum(map(sum, c))
    n_true = [sum(row) for row in c]
    n_pred = [sum(col) for col in zip(*c)]
    squares = sum(v * v for row in c for v in row)
    tp = squares - n
    fp = sum(v * n_pred[j] for row in c for j, v in enumerate(row)) - squares
    fn = sum(v * n_true[i] for i, row in enumerate(c) for v in row) - squares
    tn = n * n - fp - fn - squares
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


def part_ari(part_map: np.ndarray, gt_mask: np.ndarray) -> float | None:
    """Adjusted Rand index (as :func:`sklearn.metrics.adjusted_rand_score`, computed from the contingency table) of
    the concept labels against the ground-truth part labels over the object's pixels (mask > 0); object pixels
    outside the map's concepts take one extra 'background' label. 0 in expectation for random labels and exactly 0
    for one concept over the whole object of several parts; None when the mask has no object pixel. (With a single
    part present it is 1.0 exactly when the labels are one cluster too, sklearn's convention.)"""
    counts, parts, _ = _contingency(part_map, gt_mask)
    if not parts:
        return None
    table = counts[1:]
    return _ari(table[:, table.sum(0) > 0])


def part_segmentation(part_map: np.ndarray, gt_mask: np.ndarray) -> dict:
    """``{"matched_iou", "ari"}`` of one part map: :func:`matched_part_iou` and :func:`part_ari`."""
    return {"matched_iou": matched_part_iou(part_map, gt_mask)["matched_iou"], "ari": part_ari(part_map, gt_mask)}


def summarise(results: Sequence[dict]) -> dict:
    """Pool :func:`part_localisation` results of many images: every concept counts once."""
    concepts = [c for r in results for c in r["concepts"]]
    objs = [r["object_iou"] for r in results if r.get("object_iou") is not None]
    return {
        "n_images": len(results), "n_concepts": len(concepts),
        "mean_iou": float(np.mean([c["iou"] for c in concepts])) if concepts else None,
        "pointing_accuracy": float(np.mean([c["pointing"] for c in concepts])) if concepts else None,
        "object_iou": float(np.mean(objs)) if objs else None,
    }


def patchify(images: np.ndarray, patch: int) -> np.ndarray:
    """(B, S, S, C) -> (B, S/p, S/p, p*p*C) raw pixel patches (floats in [0, 1] for uint8 input)."""
    x = np.asarray(images)
    b, h, w, ch = x.shape
    if h % patch or w % patch:
        raise ValueError(f"image size {h}x{w} is not a multiple of the patch size {patch}")
    x = x.astype(np.float64) / (255.0 if x.dtype == np.uint8 else 1.0)
    x = x.reshape(b, h // patch, patch, w // patch, patch, ch).transpose(0, 1, 3, 2, 4, 5)
    return x.reshape(b, h // patch, w // patch, patch * patch * ch)


def pixel_kmeans_baseline(images: np.ndarray, gt_masks: np.ndarray, k: int = 5, patch: int = 8,
                          foreground: np.ndarray | None = None, seed: int = 0,
                          part_names: Mapping[int, str] | None = None) -> dict:
    """K-means (``k`` clusters) on raw pixel patches, jointly over a batch like the method's parts (spec §2.2.4).

    ``images`` (S, S, 3) or (B, S, S, 3); ``gt_masks`` (S, S) or (B, S, S); ``foreground`` optional bool
    (h, w) / (B, h, w) patch mask to cluster (pass the method's foreground for a like-for-like comparison; default:
    every patch). Returns :func:`summarise` of the per-image :func:`part_localisation` plus ``per_image``,
    ``segmentation`` (per image :func:`part_segmentation`), the means over images ``matched_iou`` / ``ari``, and
    ``part_maps`` (B, S, S) (-1 outside the clustered patches).
    """
    from sklearn.cluster import KMeans

    imgs, gts = np.asarray(images), np.asarray(gt_masks)
    single = imgs.ndim == 3
    if single:
        imgs, gts = imgs[None], gts[None]
    if imgs.ndim != 4 or gts.shape != imgs.shape[:3]:
        raise ValueError(f"images {np.shape(images)} and masks {np.shape(gt_masks)} must be (B,S,S,3) and (B,S,S)")
    feats = patchify(imgs, patch)
    b, h, w, _ = feats.shape
    fg = np.ones((b, h, w), bool) if foreground is None else np.asarray(foreground, bool).reshape(b, h, w)
    labels = np.full((b, h, w), -1, np.int64)
    x = feats[fg]
    if len(x):
        n_clusters = min(k, len(np.unique(x, axis=0)))
        km = KMeans(n_clusters=n_clusters, n_init=10, random_state=seed).fit(x)
        labels[fg] = km.labels_
    maps = np.repeat(np.repeat(labels, patch, axis=1), patch, axis=2)
    per_image = [part_localisation(maps[i], gts[i], part_names) for i in range(b)]
    seg = [part_segmentation(maps[i], gts[i]) for i in range(b)]
    means = {key: (float(np.mean(v)) if (v := [s[key] for s in seg if s[key] is not None]) else None)
             for key in ("matched_iou", "ari")}
    return summarise(per_image) | means | {"per_image": per_image, "segmentation": seg, "part_maps": maps, "k": k,
                                           "patch": patch}


def grounding_precision(concepts: Sequence[tuple[str | None, Sequence[str]]],
                        descriptor_parts: Mapping[str, Sequence[str]], parts_present: Iterable[str]) -> dict:
    """Grounding precision of the vision-side descriptors (D_v, spec §2.3) of one image.

    ``concepts``: per visual concept, (its matched ground-truth part name or None, its descriptors);
    ``descriptor_parts``: descriptor -> the part names it describes (``parts.json`` "descriptors");
    ``parts_present``: part names in the image's mask.

    ``present``: share of the *distinct* descriptors of the image that describe a part present in the image.
    ``under_concept``: share of (concept, descriptor) pairs whose descriptor describes the concept's matched part.
    Descriptors absent from the mapping count as misses and are counted in ``unknown``. Shares are None when there
    is no descriptor.
    """
    present = set(parts_present)
    distinct: list[str] = []
    pairs = 0
    under = 0
    for part, descs in concepts:
        for d in descs:
            pairs += 1
            under += int(part is not None and part in descriptor_parts.get(d, ()))
            if d not in distinct:
                distinct.append(d)
    hits = sum(1 for d in distinct if present & set(descriptor_parts.get(d, ())))
    return {
        "n_descriptors": len(distinct), "n_pairs": pairs,
        "present": hits / len(distinct) if distinct else None,
        "under_concept": under / pairs if pairs else None,
        "unknown": sum(1 for d in distinct if d not in descriptor_parts),
    }
