"""Controls: what each published number would be without the knowledge it is meant to measure (issue 8).

Pure numpy functions with known answers (tests/evaluation/test_controls.py); the engine feeds them
(:mod:`generator.runner.ground_truth`, :mod:`generator.runner.records`) and stores their output beside every number.

* :func:`random_dv_curve` - the **random-D_v control** of MI and AUC (spec §2.5-2.6): the *exact* expected MI-dynamics
  curve when an image's D_v is replaced by |D_v| = Lv distinct descriptor ids drawn uniformly from the N-descriptor
  pool, with the same language side D_y (|D_y| = LT). After k removals the Lv - k remaining ids are a uniform random
  subset of the pool, so their matches with D_y are hypergeometric, m ~ H(N, LT, Lv - k), and point k of the curve is
  E[MI] = sum_{m >= 1} P(m) MI(Lv, LT, m) with the paper's MI(Lv, LT, m) = log(Lv * LT * m)
  (:func:`generator.method.mutual_information.mutual_information`, |X| stays Lv under dummy replacement). Curves
  average linearly, so the class / data-set control is the zero-padded mean of these expected curves and its AUC
  (:func:`mean_control_curve`) - an exact expectation, no sampling.
* :func:`random_grounding` - the **random-descriptor** grounding precision, analytic: a random distinct descriptor is
  marginally uniform over the pool, so the expected share of D_v naming a part present in the image is the share of
  pool descriptors that name one, and the expected share of (concept, descriptor) pairs naming the concept's part is
  the pair-weighted mean of the pool share naming each concept's part. The **class-prior** reference is the same
  expectation over the descriptors the pool lists under the predicted class (an explainer that knows only the class).
* :func:`random_label_localisation` - **random part labels over the same foreground**: the method's patch labels
  permuted among its own foreground patches (same part sizes, same foreground), seeded Monte-Carlo, mean over draws.
* :func:`auroc` / :func:`region_auroc` - the **oracle-region** grounding test: prompts drawn around each *true* part
  region score every pool descriptor; AUROC of that part's descriptors against the descriptors of the image's other
  parts (``within``: grounding independent of segmentation and of class identity) and against the rest of the pool
  (``pool``). Chance is 0.5.
* :func:`mask_iou`, :func:`oracle_patch_mask` - foreground IoU with the object, and the best patch-grid mask.
"""
from __future__ import annotations

from functools import lru_cache
from math import lgamma
from typing import Iterable, Mapping, Optional, Sequence

import numpy as np

from generator.evaluation.ground_truth import part_segmentation
from generator.method.mutual_information import mutual_information
from generator.results.metrics import auc, mean_curve


def _log_comb(n: int, k: int) -> float:
    return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)


def hypergeom_pmf(pool: int, marked: int, draws: int) -> np.ndarray:
    """P(m) for m = 0..draws: m marked items among ``draws`` drawn without replacement from ``pool`` items of which
    ``marked`` are marked."""
    if not (0 <= marked <= pool and 0 <= draws <= pool):
        raise ValueError(f"hypergeometric: need 0 <= marked ({marked}) <= pool ({pool}) and 0 <= draws ({draws}) "
                         f"<= pool")
    out = np.zeros(draws + 1)
    total = _log_comb(pool, draws)
    for m in range(max(0, draws - (pool - marked)), min(marked, draws) + 1):
        out[m] = np.exp(_log_comb(marked, m) + _log_comb(pool - marked, draws - m) - total)
    return out


@lru_cache(maxsize=4096)
def _mi_of_matches(lv: int, lt: int, m: int) -> float:
    """The paper's MI of Lv vision ids and LT language ids sharing m of them (the engine's own function)."""
    x = list(range(lv))
    y = list(range(m)) + list(range(lv, lv + lt - m))
    return mutual_information(x, y)


@lru_cache(maxsize=4096)
def _random_dv_curve(lv: int, lt: int, pool: int) -> tuple:
    curve = []
    for k in range(lv + 1):
        p = hypergeom_pmf(pool, lt, lv - k)
        curve.append(float(sum(p[m] * _mi_of_matches(lv, lt, m) for m in range(1, len(p)))))
    return tuple(curve)


def random_dv_curve(lv: int, lt: int, pool: int) -> list[float]:
    """Exact expected MI-dynamics curve (length Lv + 1) of Lv random distinct pool ids against LT language ids."""
    if lv < 0 or lt < 0 or lv > pool or lt > pool:
        raise ValueError(f"random D_v: |D_v| = {lv} and |D_y| = {lt} must lie in [0, pool size {pool}]")
    if lv == 0 or lt == 0:
        return [0.0] * (lv + 1)
    return list(_random_dv_curve(int(lv), int(lt), int(pool)))


def random_dv(lv: int, lt: int, pool: int) -> dict:
    """``{"mi", "auc", "curve"}`` of :func:`random_dv_curve` (one image)."""
    curve = random_dv_curve(lv, lt, pool)
    return {"mi": curve[0], "auc": auc(curve), "curve": curve}


def random_dv_monte_carlo(lv: int, language: Sequence[int], pool: int, draws: int, seed: int = 0) -> list[float]:
    """The same control by sampling (``draws`` random D_v, random order), for checking :func:`random_dv_curve`."""
    from generator.method.mutual_information import mi_curve

    rng = np.random.default_rng(seed)
    curves = [mi_curve(rng.choice(pool, size=lv, replace=False).tolist(), list(language)) for _ in range(draws)]
    return mean_curve(curves, length=lv + 1)


def mean_control_curve(curves: Sequence[Sequence[float]], length: int) -> dict:
    """Class / data-set control from per-image control curves: zero-padded mean, MI = point 0, AUC = mean."""
    curve = mean_curve(list(curves), length=max([length] + [len(c) for c in curves])) if curves else []
    return {"mi": curve[0] if curve else 0.0, "auc": auc(curve), "curve": curve}


# ---- grounding precision ----------------------------------------------------------------------------------------

def _share(ids: Sequence[str], descriptor_parts: Mapping[str, Sequence[str]], parts: set) -> Optional[float]:
    if not ids:
        return None
    return sum(1 for d in ids if parts & set(descriptor_parts.get(d, ()))) / len(ids)


def random_grounding(concepts: Sequence[tuple[Optional[str], int]], descriptor_parts: Mapping[str, Sequence[str]],
                     reference: Sequence[str], parts_present: Iterable[str]) -> dict:
    """Expected grounding precision (:func:`generator.evaluation.ground_truth.grounding_precision`) of descriptors
    drawn uniformly from ``reference`` (the pool: random control; the predicted class's pool entries: class prior).

    ``concepts``: per visual concept of the image, (its matched part or None, its number of descriptors). Returns
    ``{"present", "under_concept"}`` (None when the image has no descriptor or the reference is empty)."""
    ref = list(dict.fromkeys(reference))
    n_pairs = sum(n for _, n in concepts)
    if not ref or n_pairs == 0:
        return {"present": None, "under_concept": None}
    present = _share(ref, descriptor_parts, set(parts_present))
    under = sum(n * (_share(ref, descriptor_parts, {part}) if part is not None else 0.0) for part, n in concepts)
    return {"present": present, "under_concept": under / n_pairs}


# ---- part localisation -----------------------------------------------------------------------------------------

def cell_labels(part_map: np.ndarray, cell: int) -> np.ndarray:
    """Pixel part map (S,S) made of ``cell`` x ``cell`` blocks -> the block labels (S/cell, S/cell) (top-left pixel)."""
    pm = np.asarray(part_map)
    if pm.shape[0] % cell or pm.shape[1] % cell:
        raise ValueError(f"part map {pm.shape} is not a grid of {cell}-pixel cells")
    return pm[::cell, ::cell]


def best_part_ious(part_map: np.ndarray, gt_mask: np.ndarray) -> np.ndarray:
    """Each concept's IoU with its best-IoU ground-truth part (the ``iou`` of
    :func:`~generator.evaluation.ground_truth.part_localisation`, without the pointing test), by one confusion
    matrix; concepts in ascending id order, 0.0 for a concept when the mask has no part."""
    pm, gt = np.asarray(part_map).ravel(), np.asarray(gt_mask).ravel().astype(np.int64)
    concepts = np.unique(pm[pm >= 0])
    parts = np.unique(gt[gt > 0])
    if not len(concepts):
        return np.zeros(0)
    if not len(parts):
        return np.zeros(len(concepts))
    ci = np.searchsorted(concepts, pm)
    pi = np.searchsorted(parts, gt)
    valid_c, valid_p = pm >= 0, gt > 0
    both = valid_c & valid_p
    inter = np.zeros((len(concepts), len(parts)))
    np.add.at(inter, (ci[both], pi[both]), 1)
    c_size = np.bincount(ci[valid_c], minlength=len(concepts)).astype(float)
    p_size = np.bincount(pi[valid_p], minlength=len(parts)).astype(float)
    iou = inter / (c_size[:, None] + p_size[None, :] - inter)
    return iou.max(axis=1)


def random_label_localisation(part_map: np.ndarray, gt_mask: np.ndarray, cell: int, draws: int = 20,
                              seed: int = 0) -> dict:
    """Mean ``mean_iou`` (each concept against its best-IoU part, as
    :func:`~generator.evaluation.ground_truth.part_localisation`) over ``draws`` random permutations of the map's cell
    labels among its foreground cells (sizes and foreground kept; pixels outside the original map's foreground stay
    background). ``{"mean_iou", "matched_iou", "ari", "draws"}`` (the last two: the same draws scored by
    :func:`~generator.evaluation.ground_truth.part_segmentation`); None values when the map has no concept."""
    pm = np.asarray(part_map)
    blocks = cell_labels(pm, cell)
    fg = blocks >= 0
    if not fg.any():
        return {"mean_iou": None, "matched_iou": None, "ari": None, "draws": draws}
    rng = np.random.default_rng(seed)
    labels = blocks[fg]
    ious, segs = [], []
    for _ in range(draws):
        perm = blocks.copy()
        perm[fg] = rng.permutation(labels)
        pixels = np.repeat(np.repeat(perm, cell, axis=0), cell, axis=1)
        pixels[pm < 0] = -1
        ious.append(float(best_part_ious(pixels, gt_mask).mean()))
        segs.append(part_segmentation(pixels, gt_mask))
    seg = {k: (float(np.mean(v)) if (v := [s[k] for s in segs if s[k] is not None]) else None)
           for k in ("matched_iou", "ari")}
    return {"mean_iou": float(np.mean(ious)), "draws": draws} | seg


def mask_iou(a: np.ndarray, b: np.ndarray) -> Optional[float]:
    """IoU of two bool masks (None when both are empty)."""
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else None


def oracle_patch_mask(object_mask: np.ndarray, grid: int) -> np.ndarray:
    """bool (S,S) object -> bool (grid, grid): a patch is object when at least half its pixels are."""
    obj = np.asarray(object_mask, bool)
    s = obj.shape[0]
    if obj.shape != (s, s) or s % grid:
        raise ValueError(f"object mask {obj.shape} is not square or not a multiple of the grid {grid}")
    c = s // grid
    return obj.reshape(grid, c, grid, c).mean(axis=(1, 3)) >= 0.5


# ---- oracle-region prompts --------------------------------------------------------------------------------------

def auroc(positive: Sequence[float], negative: Sequence[float]) -> Optional[float]:
    """P(score of a positive > score of a negative) + 0.5 P(tie) (Mann-Whitney); None when a side is empty."""
    pos, neg = np.asarray(positive, np.float64), np.asarray(negative, np.float64)
    if not len(pos) or not len(neg):
        return None
    allv = np.concatenate([pos, neg])
    order = np.argsort(allv, kind="mergesort")
    ranks = np.empty(len(allv))
    sorted_v = allv[order]
    i = 0
    while i < len(allv):                        # average ranks over ties
        j = i
        while j + 1 < len(allv) and sorted_v[j + 1] == sorted_v[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    u = ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2.0
    return float(u / (len(pos) * len(neg)))


def region_auroc(scores: Mapping[str, np.ndarray], descriptor_parts: Sequence[Iterable[str]]) -> dict:
    """One image: ``scores`` maps each present part to the (N,) scores of every pool descriptor under the prompts drawn
    around that part's TRUE region; ``descriptor_parts[i]`` the parts descriptor i names. Per part, positives =
    descriptors naming it; ``within`` negatives = descriptors naming another present part (and not it), ``pool``
    negatives = every other descriptor. Returns ``{"within", "pool", "n_parts"}`` (means over parts with a value)."""
    names = [set(p) for p in descriptor_parts]
    present = set(scores)
    within, pool = [], []
    for part, s in scores.items():
        s = np.asarray(s)
        pos = np.array([part in n for n in names])
        other = np.array([bool(n & (present - {part})) and part not in n for n in names])
        a = auroc(s[pos], s[other])
        b = auroc(s[pos], s[~pos])
        if a is not None:
            within.append(a)
        if b is not None:
            pool.append(b)
    return {"within": float(np.mean(within)) if within else None, "pool": float(np.mean(pool)) if pool else None,
            "n_parts": len(within)}


def mean_of(records: Sequence[Optional[dict]], keys: Sequence[str]) -> dict:
    """Mean over records of each key (None values and None records left out; None when nothing has a value)."""
    out = {}
    for k in keys:
        vals = [r[k] for r in records if r is not None and r.get(k) is not None]
        out[k] = float(np.mean(vals)) if vals else None
    return out
