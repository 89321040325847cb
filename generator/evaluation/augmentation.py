"""Descriptor augmentation with multimodal concepts: the paper's "zero-shot gains up to 3.75 %" (spec §2.8; paper §4,
Table 2, App. K). **Transductive**: it uses the evaluation images' explanations and, for the rule below, their
labels; its numbers are not zero-shot accuracies in the usual sense and are marked so everywhere.

* **Base classifier** (Menon & Vondrick, ICLR 2023): the score of class c for an image is the mean over c's
  descriptors d of cos(image, text("how can you identify a <c>. Distinctive and physical features describing it is
  <d>")) (:data:`PROMPT`, the spec's prompt). A class without descriptors in the pool is scored with the prompt's
  class part alone (``d`` = the empty string) [choice].
* **Neighbours**: the ``k = 2`` classes nearest to c in the CLIP language space (cosine of the template-ensemble
  class embeddings, c itself excluded, ties to the lower index).
* **Extra descriptors of c**: the multimodal concepts (D_v descriptors, both part methods pooled) of the evaluation
  images *labelled* with one of c's neighbours: per neighbour the ``per_neighbour`` (default 5) most frequent ones
  (ties by text), minus those c already has [choice: the paper adds "the textual components" of those images
  without saying how many; the most frequent bound the count].
* **"Overly discriminative" rule** (the paper's footnote, made explicit, :func:`decide`): class c keeps its extra
  descriptors only if adding them (every other class at its base descriptors) does not lower the top-1 over the
  evaluation images labelled c or one of its neighbours; otherwise c is "overly discriminative" and gets none. The
  decisions are taken per class independently, then all kept augmentations are applied together.
  ``augmented_all_top1`` (every class augmented, no rule) is stored too, so the effect of the rule is visible.
* **Intervals** (:func:`intervals`): 95 % percentile-bootstrap intervals of the base and augmented top-1 and of
  their paired difference (augmented - base over the same images), resampled by image and by class
  (:mod:`generator.evaluation.bootstrap`). They hold the evaluation images as a sample; the transductive choices
  above (neighbours, extras, the rule) are taken once on all images and not redone per resample.

Torch-free: embeddings in (L2-normalised numpy arrays), accuracies out.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from generator.evaluation import bootstrap

PROMPT = "how can you identify a {c}. Distinctive and physical features describing it is {d}"
RULE = ("a class keeps the extra descriptors only if they do not lower the top-1 over the evaluation images "
        "labelled with it or one of its 2 nearest classes (others at base); transductive")


def prompt(classname: str, descriptor: str) -> str:
    return PROMPT.format(c=classname, d=descriptor)


def nearest_classes(class_embeds: np.ndarray, k: int = 2) -> np.ndarray:
    """(C, k) indices of each class's k most similar other classes (cosine), most similar first."""
    e = np.asarray(class_embeds, dtype=np.float64)
    sim = e @ e.T
    np.fill_diagonal(sim, -np.inf)
    k = min(k, max(len(e) - 1, 0))
    return np.argsort(-sim, axis=1, kind="stable")[:, :k]


def neighbour_concepts(vision: Sequence[Sequence[str]], labels: Sequence[int], neighbours: np.ndarray,
                       own: Sequence[Sequence[str]], per_neighbour: int = 5) -> list[list[str]]:
    """Per class: the extra descriptors (see the module doc) from its neighbours' images' D_v."""
    counts: dict[int, Counter] = {}
    for v, y in zip(vision, labels):
        counts.setdefault(int(y), Counter()).update(set(v))
    out = []
    for c, nbrs in enumerate(neighbours):
        have, extra = set(own[c]), []
        for n in nbrs:
            ranked = sorted(counts.get(int(n), Counter()).items(), key=lambda kv: (-kv[1], kv[0]))
            for d, _ in ranked[:per_neighbour]:
                if d not in have:
                    have.add(d)
                    extra.append(d)
        out.append(extra)
    return out


def class_sums(image_embeds: np.ndarray, desc_embeds: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(n, C) sums of cosines over each class's descriptor embeddings, and (C,) their counts."""
    x = np.asarray(image_embeds, dtype=np.float64)
    sums = np.zeros((len(x), len(desc_embeds)))
    counts = np.zeros(len(desc_embeds))
    for c, e in enumerate(desc_embeds):
        if len(e):
            sums[:, c] = (x @ np.asarray(e, dtype=np.float64).T).sum(axis=1)
            counts[c] = len(e)
    return sums, counts


def _top1(scores: np.ndarray, labels: np.ndarray) -> float:
    return float(100.0 * (scores.argmax(axis=1) == labels).mean()) if len(labels) else 0.0


@dataclass
class Augmentation:
    base_top1: float
    augmented_top1: float
    augmented_all_top1: float
    augmented: list[bool]            # per class: kept its extra descriptors
    n_extra: list[int]               # per class: number of extra descriptors found
    base_correct: np.ndarray | None = None        # per image: 100 / 0 (the means are the top-1 values)
    augmented_correct: np.ndarray | None = None

    def to_dict(self, classnames: Sequence[str] | None = None, per_neighbour: int = 5) -> dict:
        skipped = [i for i, (a, n) in enumerate(zip(self.augmented, self.n_extra)) if n and not a]
        return {"transductive": True, "prompt": PROMPT, "neighbours": 2, "per_neighbour": per_neighbour,
                "rule": RULE, "base_top1": self.base_top1, "augmented_top1": self.augmented_top1,
                "delta": self.augmented_top1 - self.base_top1, "augmented_all_top1": self.augmented_all_top1,
                "n_classes_augmented": int(sum(self.augmented)),
                "n_classes_with_extra": int(sum(1 for n in self.n_extra if n)),
                "overly_discriminative": [classnames[i] if classnames else i for i in skipped]}


def _correct(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return np.where(scores.argmax(axis=1) == labels, 100.0, 0.0) if len(labels) else np.zeros(0)


def intervals(result: "Augmentation", labels: Sequence[int], n_boot: int = bootstrap.N_BOOT,
              level: float = bootstrap.LEVEL, seed: int = 0) -> dict:
    """{"base_top1" | "augmented_top1": {"image": interval, "class": interval}, "delta": {"image": paired
    difference, "class": paired difference}} of a :func:`run` result (per-image 100 / 0 correctness; the class of
    an image is its label)."""
    groups = np.asarray(labels)
    out = {name: bootstrap.both_units(v, groups, n_boot, level, seed)
           for name, v in (("base_top1", result.base_correct), ("augmented_top1", result.augmented_correct))}
    out["delta"] = {unit: bootstrap.paired_difference(result.augmented_correct, result.base_correct,
                                                      None if unit == "image" else groups, n_boot, level, seed)
                    for unit in bootstrap.UNITS}
    return out


def decide(base_sums: np.ndarray, base_counts: np.ndarray, extra_sums: np.ndarray, extra_counts: np.ndarray,
           labels: np.ndarray, neighbours: np.ndarray) -> list[bool]:
    """Per class: keep its extra descriptors (the rule of the module doc)?"""
    base = base_sums / np.maximum(base_counts, 1)
    keep = []
    for c in range(base_sums.shape[1]):
        if extra_counts[c] == 0:
            keep.append(False)
            continue
        sel = np.isin(labels, [c, *neighbours[c].tolist()])
        before = base[sel]
        after = before.copy()
        after[:, c] = (base_sums[sel, c] + extra_sums[sel, c]) / (base_counts[c] + extra_counts[c])
        keep.append(_top1(after, labels[sel]) >= _top1(before, labels[sel]))
    return keep


def run(image_embeds: np.ndarray, labels: Sequence[int], base_desc: Sequence[np.ndarray],
        extra_desc: Sequence[np.ndarray], neighbours: np.ndarray) -> Augmentation:
    """Base, rule-augmented and all-augmented top-1 (in %) of the descriptor classifier."""
    y = np.asarray(labels)
    bs, bc = class_sums(image_embeds, base_desc)
    es, ec = class_sums(image_embeds, extra_desc)
    keep = decide(bs, bc, es, ec, y, neighbours)
    kept = np.asarray(keep, dtype=float)
    base = bs / np.maximum(bc, 1)
    augmented = (bs + es * kept) / np.maximum(bc + ec * kept, 1)
    everything = (bs + es) / np.maximum(bc + ec, 1)
    return Augmentation(_top1(base, y), _top1(augmented, y), _top1(everything, y), keep, [int(n) for n in ec],
                        _correct(base, y), _correct(augmented, y))


__all__ = ["PROMPT", "RULE", "prompt", "nearest_classes", "neighbour_concepts", "class_sums", "decide", "run",
           "intervals", "Augmentation"]
