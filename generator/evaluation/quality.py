"""Explanation quality: deletion, insertion, AccDrop and AccInc of the concept regions (spec §2.7; paper §4,
Table 1; RISE's deletion/insertion, Chefer et al.'s positive-perturbation test).

The paper leaves the protocol open [GAP]; this module declares one (:class:`QualityProtocol`, recorded in every
result with :meth:`QualityProtocol.describe`):

* **region** = the pixels of one part in the method's pixel part map (the S x S map after nearest-neighbour
  upsampling and, when used, the CRF mask; background = -1 is never a region). One region per part present in the
  image, at most ``n_parts``;
* **order** = most important first, importance of part p = cos(image, mean prompt embedding of p) x
  cos(image, best raw-descriptor of p) (the paper's "visual similarity of the image and the prompted concept x
  similarity of the image and the concept's descriptor"); ties go to the lower part id;
* **blur** = ``cv2.GaussianBlur`` with sigma = ``blur_sigma_fraction`` x S pixels (14 px at 224) and a kernel of
  2 ceil(3 sigma) + 1 pixels, border ``BORDER_REFLECT_101``; the same fully blurred image serves deletion and
  insertion;
* **deletion** point k (k = 0..L) = the image with its k most important regions replaced by the blurred image;
  **insertion** point k = the fully blurred image with its k most important regions restored (the background stays
  blurred, so the last insertion point is not the original image);
* **tracked score** = 2.5 x cos(perturbed image, class embedding of ŷ), ŷ = the zero-shot prediction on the
  original image (CLIPScore's 2.5); **accuracy** = 1 when the zero-shot argmax of the perturbed image is the
  ground-truth label, else 0 (AccDrop is deletion tracking accuracy, AccInc insertion tracking accuracy);
* **steps** = ``n_parts`` for every image: a curve with L < n_parts regions is extended by holding its last point
  (nothing is left to remove or restore), so every curve has n_parts + 1 points and AUCs compare across images;
* **AUC** = the trapezoid rule with unit step over the n_parts + 1 points,
  ``sum(y) - (y[0] + y[-1]) / 2`` (:func:`auc_trapezoid`). This equals Quantus' ``np.trapz(y)`` (dx = 1) and is
  n_parts times RISE's normalised trapezoid ``(sum(y) - y[0]/2 - y[-1]/2) / (len(y) - 1)`` (x in [0, 1]), which is
  also stored (:func:`auc_normalised`). The magnitudes of the paper's Table 1 (2.4-3.4 for a score near 0.5-0.8)
  fit the unit-step rule over 5 steps, not the normalised one;
* aggregates (class, model) are means over the images that have at least one region; images with none are counted
  in ``n_without_regions`` and left out.

Cost: one encode pass of the fully blurred image per image, plus 2 L passes per image and part method (the deletion
states k = 1..L and the insertion states k = 1..L; deletion point 0 is the original image's embedding, already
computed). All states of a class batch are encoded together in chunks (:func:`batch_quality`), never image by
image. The random-parts baseline (:mod:`generator.evaluation.baselines`) costs the same 2 L again.

This module knows no model: ``encode`` maps uint8 images (N, S, S, 3) to L2-normalised embeddings (N, D).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Callable, Sequence

import cv2
import numpy as np

Encoder = Callable[[np.ndarray], np.ndarray]
METRICS = ("deletion", "insertion", "acc_drop", "acc_inc")
# which way is better, for the site and the sanity verdicts
LOWER_IS_BETTER = {"deletion": True, "insertion": False, "acc_drop": True, "acc_inc": False}
CURVES = {"deletion": ("deletion", "score"), "insertion": ("insertion", "score"),
          "acc_drop": ("deletion", "correct"), "acc_inc": ("insertion", "correct")}


@dataclass(frozen=True)
class QualityProtocol:
    """The declared deletion / insertion protocol (see the module doc); hashed into the run configuration."""

    blur_sigma_fraction: float = 1.0 / 16.0
    score_scale: float = 2.5
    auc_rule: str = "trapezoid-unit-step"
    order: str = "cos(image, part prompt) x cos(image, best part descriptor)"
    region: str = "pixels of the part in the method's pixel part map (after CRF when used), background excluded"
    insertion_background: str = "blurred"
    accuracy: str = "zero-shot argmax of the perturbed image == ground-truth label"

    def sigma(self, size: int) -> float:
        return float(self.blur_sigma_fraction * size)

    def kernel(self, size: int) -> int:
        return int(2 * math.ceil(3.0 * self.sigma(size)) + 1)

    def describe(self, size: int | None = None, n_parts: int | None = None) -> dict:
        """The protocol as plain data; with ``size`` / ``n_parts`` also the pixel values and the number of steps."""
        d = asdict(self)
        d["blur"] = "cv2.GaussianBlur, BORDER_REFLECT_101, the same fully blurred image for deletion and insertion"
        if size is not None:
            d.update(image_size=int(size), blur_sigma_px=self.sigma(size), blur_kernel_px=self.kernel(size))
        if n_parts is not None:
            d.update(steps=int(n_parts), points=int(n_parts) + 1)
        return d


def blur(image: np.ndarray, protocol: QualityProtocol = QualityProtocol()) -> np.ndarray:
    """The fully blurred uint8 (S, S, 3) image."""
    size = int(image.shape[0])
    k = protocol.kernel(size)
    return cv2.GaussianBlur(np.ascontiguousarray(image), (k, k), protocol.sigma(size),
                            borderType=cv2.BORDER_REFLECT_101)


def auc_trapezoid(curve: Sequence[float]) -> float:
    """Unit-step trapezoid: ``sum(y) - (y[0] + y[-1]) / 2`` (= ``np.trapz(y)``); 0 for fewer than 2 points."""
    y = np.asarray(curve, dtype=np.float64)
    if len(y) < 2:
        return 0.0
    return float(y.sum() - (y[0] + y[-1]) / 2.0)


def auc_normalised(curve: Sequence[float]) -> float:
    """RISE's normalised trapezoid (x in [0, 1]): :func:`auc_trapezoid` / (len(y) - 1)."""
    return auc_trapezoid(curve) / (len(curve) - 1) if len(curve) >= 2 else 0.0


AUC_RULES: dict[str, Callable[[Sequence[float]], float]] = {
    "trapezoid-unit-step": auc_trapezoid, "trapezoid-normalised": auc_normalised}


def hold_last(curve: Sequence[float], n_points: int) -> list[float]:
    """Extend ``curve`` to ``n_points`` by repeating its last point (a curve already that long is cut)."""
    c = [float(v) for v in curve][:n_points]
    return c + [c[-1]] * (n_points - len(c)) if c else []


def region_order(part_ids: Sequence[int], visual_sim: dict, descriptor_sim: dict) -> list[int]:
    """Part ids, most important first: visual_sim[p] x descriptor_sim[p], ties to the lower id."""
    ids = sorted(int(p) for p in part_ids)
    return sorted(ids, key=lambda p: -float(visual_sim.get(p, 0.0)) * float(descriptor_sim.get(p, 0.0)))


def perturbed(raw: np.ndarray, blurred: np.ndarray, part_map: np.ndarray, order: Sequence[int]
              ) -> tuple[np.ndarray, np.ndarray]:
    """(deletion states k = 1..L, insertion states k = 1..L), each uint8 (L, S, S, 3); point 0 of deletion is
    ``raw`` and of insertion ``blurred``."""
    n = len(order)
    dele = np.empty((n, *raw.shape), dtype=np.uint8)
    ins = np.empty((n, *raw.shape), dtype=np.uint8)
    removed = np.zeros(part_map.shape, dtype=bool)
    for k, p in enumerate(order):
        removed |= part_map == p
        dele[k] = np.where(removed[..., None], blurred, raw)
        ins[k] = np.where(removed[..., None], raw, blurred)
    return dele, ins


@dataclass
class ImageQuality:
    order: list[int]                 # region (part) ids, most important first
    n_regions: int
    deletion_score: list[float]      # n_parts + 1 points
    insertion_score: list[float]
    deletion_correct: list[float]
    insertion_correct: list[float]
    metrics: dict                    # deletion, insertion, acc_drop, acc_inc (declared AUC) + *_normalised

    def to_dict(self) -> dict:
        return {"order": self.order, "n_regions": self.n_regions,
                "curves": {"deletion_score": self.deletion_score, "insertion_score": self.insertion_score,
                           "deletion_correct": self.deletion_correct, "insertion_correct": self.insertion_correct},
                **self.metrics}


def _metrics(curves: dict, rule: Callable) -> dict:
    out = {}
    for name, (kind, what) in CURVES.items():
        c = curves[f"{kind}_{what}"]
        out[name] = rule(c)
        out[f"{name}_normalised"] = auc_normalised(c)
    return out


@dataclass
class QualityJob:
    """One image x one part method: its pixel part map and the region order."""

    image: int                       # index in the class batch
    part_map: np.ndarray             # int (S, S), -1 background
    order: list[int]


def batch_quality(raw: np.ndarray, jobs: Sequence[QualityJob], class_embeds: np.ndarray, predictions: Sequence[int],
                  labels: Sequence[int], original_logits: np.ndarray, encode: Encoder, n_parts: int,
                  protocol: QualityProtocol = QualityProtocol(), chunk: int = 256,
                  counter: dict | None = None) -> list[ImageQuality | None]:
    """Quality of every job of a class batch; all perturbed states are encoded in chunks of ``chunk`` images.

    ``raw`` uint8 (B, S, S, 3); ``class_embeds`` (C, D) normalised; ``original_logits`` (B, C) cosines of the
    unperturbed images with the classes (deletion point 0, no pass spent on it); ``predictions`` ŷ on the original images; ``labels`` ground truth.
    A job without regions gives None. ``counter["forward_images"]`` is increased by the number of images encoded.
    """
    if n_parts < 1:
        raise ValueError(f"batch_quality: n_parts must be >= 1, got {n_parts}")
    class_embeds = np.asarray(class_embeds, dtype=np.float32)
    live = [j for j in jobs if len(j.order)]
    used = sorted({j.image for j in live})
    blurred = {i: blur(raw[i], protocol) for i in used}
    stacks, spans = [blurred[i][None] for i in used], []
    offset = len(used)
    for j in live:
        d, s = perturbed(raw[j.image], blurred[j.image], j.part_map, j.order)
        stacks += [d, s]
        spans.append((offset, offset + len(d)))
        offset += 2 * len(d)
    emb = _encode_chunks(np.concatenate(stacks) if stacks else np.zeros((0, *raw.shape[1:]), np.uint8),
                         encode, chunk)
    if counter is not None:
        counter["forward_images"] = counter.get("forward_images", 0) + len(emb)
    blurred_emb = {i: emb[k] for k, i in enumerate(used)}
    rule = AUC_RULES[protocol.auc_rule]
    results: dict[int, ImageQuality] = {}
    for j, (start, mid) in zip(live, spans):
        n = mid - start
        pred, label = int(predictions[j.image]), int(labels[j.image])
        dele = np.concatenate([np.asarray(original_logits[j.image], dtype=np.float32)[None],
                               emb[start:mid] @ class_embeds.T])
        ins = np.concatenate([blurred_emb[j.image][None], emb[mid:mid + n]]) @ class_embeds.T
        curves = {}
        for kind, logits in (("deletion", dele), ("insertion", ins)):
            curves[f"{kind}_score"] = hold_last(protocol.score_scale * logits[:, pred], n_parts + 1)
            curves[f"{kind}_correct"] = hold_last((logits.argmax(axis=1) == label).astype(float), n_parts + 1)
        results[id(j)] = ImageQuality(order=list(j.order), n_regions=n, metrics=_metrics(curves, rule),
                                      **curves)
    return [results.get(id(j)) for j in jobs]


def _encode_chunks(images: np.ndarray, encode: Encoder, chunk: int) -> np.ndarray:
    if len(images) == 0:
        return np.zeros((0, 0), dtype=np.float32)
    return np.concatenate([np.asarray(encode(images[s:s + chunk]), dtype=np.float32)
                           for s in range(0, len(images), chunk)])


def aggregate(results: Sequence[dict | None]) -> dict | None:
    """Mean of each metric (and each curve point) over the images with regions; None when no image has one."""
    have = [r for r in results if r]
    if not have:
        return None
    out = {"n_images": len(have), "n_without_regions": len(results) - len(have)}
    for key in METRICS + tuple(f"{m}_normalised" for m in METRICS):
        out[key] = float(np.mean([r[key] for r in have]))
    curves = {}
    for name in have[0]["curves"]:
        rows = [r["curves"][name] for r in have]
        width = max(len(c) for c in rows)
        curves[name] = np.mean([hold_last(c, width) for c in rows], axis=0).tolist()
    out["curves"] = curves
    return out


__all__ = ["QualityProtocol", "QualityJob", "ImageQuality", "batch_quality", "auc_trapezoid", "auc_normalised",
           "AUC_RULES", "blur", "perturbed", "region_order", "hold_last", "aggregate", "METRICS",
           "LOWER_IS_BETTER"]
