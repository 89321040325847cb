"""Sanity baselines that need no training (issue 9 item 2; in the spirit of Adebayo et al.'s sanity checks and the
SURF line of work: random concepts must score worse than the explanation).

Each baseline replaces one ingredient of the explanation by chance and is scored exactly like the method:

* ``random_parts`` (the region side, scored with :mod:`generator.evaluation.quality`): every part of an image is
  replaced by a compact random region of the **same pixel area** (a blob grown around a random centre over the
  pixels not yet taken), keeping the part's rank in the deletion / insertion order. A faithful part map must give a
  lower deletion AUC and a higher insertion AUC than these.
* ``random_descriptors`` (the text side, WaffleCLIP-style): D_v is replaced by as many descriptors drawn uniformly
  without replacement from the pool, in random order; MI and the MI-dynamics AUC are computed against the same
  D_y. Grounded descriptors must share more with the language side than chance.
* ``shuffled_class`` (the text side): D_v is kept and D_y is taken from another class, π(ŷ), with π a fixed
  random derangement of the classes (seeded); the mutual knowledge with the predicted class must exceed that with
  an unrelated class.
* ``random_weights`` (the model-randomisation test of Adebayo et al., NeurIPS 2018, within the run): the same
  architecture re-initialised with random weights (seeded by the run's seed) explains the **same images** with the
  same method settings; its explanation (its part map, its region order, its D_v) is then scored exactly as the
  method's: the regions by deletion / insertion / AccDrop / AccInc **with the trained model** (its prediction ŷ and
  class embeddings), and its D_v by MI / AUC against the trained model's D_y of ŷ. An explanation that reflects
  what the trained model learned must beat the one of a network that learned nothing (:func:`random_weights_text`;
  the runner, :mod:`generator.runner.evaluations`, builds the random model and its text side once per run).
  A separate ``--pretrained none`` run remains possible; the reproduction report compares it unpaired.

The verdict of a baseline (:func:`verdict`) is the paired difference method - baseline over the same images with a
bootstrap interval resampled by class (:mod:`generator.evaluation.bootstrap`); the method *passes* when the whole
interval lies on the better side of 0.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from generator.evaluation import bootstrap
from generator.method.mutual_information import mi_curve, mutual_information

TEXT_BASELINES = ("random_descriptors", "shuffled_class")
REGION_BASELINES = ("random_parts",)
WEIGHT_BASELINES = ("random_weights",)     # both: regions scored for quality, D_v for MI / AUC
# baseline -> the metrics it is compared on (name in the method's results, lower is better?)
COMPARED_ON = {"random_parts": {"deletion": True, "insertion": False, "acc_drop": True, "acc_inc": False},
               "random_descriptors": {"auc": False, "mi": False},
               "shuffled_class": {"auc": False, "mi": False},
               "random_weights": {"deletion": True, "insertion": False, "acc_drop": True, "acc_inc": False,
                                  "auc": False, "mi": False}}


def random_part_map(part_map: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A map with the same part ids and the same pixel count per part, each part a compact random blob."""
    out = np.full(part_map.shape, -1, dtype=part_map.dtype)
    ids, counts = np.unique(part_map[part_map >= 0], return_counts=True)
    h, w = part_map.shape
    yy, xx = np.mgrid[0:h, 0:w]
    free = np.ones(part_map.shape, dtype=bool)
    for p, n in zip(ids, counts):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        dist = np.where(free, (yy - cy) ** 2 + (xx - cx) ** 2, np.inf).ravel()
        take = np.argsort(dist, kind="stable")[:int(n)]
        flat = out.ravel()
        flat[take] = p
        free.ravel()[take] = False
    return out


def derangement(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random permutation of range(n) with no fixed point (identity for n < 2)."""
    if n < 2:
        return np.arange(n)
    while True:
        perm = rng.permutation(n)
        if not np.any(perm == np.arange(n)):
            return perm


def text_baselines(vision: Sequence[int], language_of: Sequence[Sequence[int]], prediction: int, n_descriptors: int,
                   perm: np.ndarray, rng: np.random.Generator) -> dict:
    """MI, MI curve and AUC-ready curve of the two text baselines for one image and one part method."""
    vision = list(vision)
    k = min(len(vision), n_descriptors)
    rand = [int(d) for d in rng.choice(n_descriptors, size=k, replace=False)] if k else []
    other = [int(d) for d in language_of[int(perm[prediction])]]
    lang = [int(d) for d in language_of[prediction]]
    out = {}
    for name, x, y in (("random_descriptors", rand, lang), ("shuffled_class", vision, other)):
        curve = mi_curve(x, y)
        out[name] = {"mi": mutual_information(x, y), "curve": curve}
    return out


def random_weights_text(random_vision: Sequence[int], random_language: Sequence[int], language: Sequence[int],
                        random_prediction: int, prediction: int) -> dict:
    """The text side of the random-weights baseline for one image and part method: MI and MI curve of the random
    model's D_v against the trained model's D_y of its prediction (scored like the method), the random model's own
    MI (its D_v against its own D_y, for information) and whether both predicted the same class."""
    x = [int(d) for d in random_vision]
    return {"mi": mutual_information(x, list(language)), "curve": mi_curve(x, list(language)),
            "own_mi": mutual_information(x, [int(d) for d in random_language]),
            "same_prediction": bool(int(random_prediction) == int(prediction))}


def verdict(method: np.ndarray, baseline: np.ndarray, groups: np.ndarray | None, lower_is_better: bool,
            n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> dict:
    """Paired difference method - baseline with a bootstrap interval (by class when ``groups`` is given);
    ``passes`` when the interval lies wholly on the better side of 0."""
    d = bootstrap.paired_difference(method, baseline, groups=groups, n_boot=n_boot, level=level, seed=seed)
    better = (d["hi"] < 0) if lower_is_better else (d["lo"] > 0)
    return {**d, "lower_is_better": lower_is_better, "passes": bool(better)}


__all__ = ["random_part_map", "derangement", "text_baselines", "random_weights_text", "verdict", "COMPARED_ON",
           "TEXT_BASELINES", "REGION_BASELINES", "WEIGHT_BASELINES"]
