"""The formulas of every stored number and the names of the metrics (spec §2.0, §2.5-2.6), in one torch-free module
imported by the runner (which writes the numbers), the report (which shows them and their intervals) and
``mkbench validate`` (which checks them), so that nothing re-derives a stored number its own way.

* **Top-1** (%): ``100 * (number correct) / n``, 0.0 for no images (:func:`top1`).
* **Mean curve**: the element-wise mean of the images' MI-dynamics curves, each zero-padded to a common length
  (:func:`mean_curve`); a class or data set's curve is padded to at least ``max_curve_length`` of its run.
* **MI** of a class or data set: point 0 of its mean curve; **AUC**: the mean of its mean curve (rectangle rule on
  a normalised x axis, :func:`auc`); :func:`curve_stats` gives the three at once.
* Per-image shares (:func:`image_top1`, :func:`image_mi`, :func:`image_auc`): the dataset's top-1, MI and AUC are
  the plain means of these over its images (AUC: ``sum(curve_i) / P`` with ``P`` the padded length), which is what
  lets the report bootstrap all three by resampling images.

Metric keys: ``top1`` and ``<metric>.<method>`` for the curve metrics (``mi.pca``, ``auc.kmeans``);
:data:`METRICS` says how each is labelled and which way is better.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

import numpy as np


@dataclass(frozen=True)
class MetricInfo:
    key: str
    label: str
    higher_is_better: bool
    per_method: bool        # one value per part method (mi.pca, mi.kmeans) or one per run (top1)
    description: str


METRICS: dict[str, MetricInfo] = {m.key: m for m in (
    MetricInfo("top1", "Top-1 (%)", True, False,
               "zero-shot top-1 accuracy of the template-ensemble classifier, in % (spec §2.0)"),
    MetricInfo("mi", "MI", True, True,
               "mutual information of the vision and language concept sets: point 0 of the mean curve (spec §2.5)"),
    MetricInfo("auc", "AUC", True, True,
               "area under the MI-dynamics curve (mean of its points): higher = a later, more gradual drop, i.e. "
               "stronger shared knowledge (spec §2.6)"),
)}
CURVE_METRICS = tuple(k for k, m in METRICS.items() if m.per_method)   # ("mi", "auc")


def metric_keys(methods: Sequence[str]) -> list[str]:
    """Every metric key of a run with these part methods: ``top1``, then ``mi.<m>`` for each, then ``auc.<m>``."""
    return [k for k, m in METRICS.items() if not m.per_method] + [f"{k}.{m}" for k in CURVE_METRICS for m in methods]


def split_key(key: str) -> tuple[str, Optional[str]]:
    """``"auc.pca"`` -> ``("auc", "pca")``; ``"top1"`` -> ``("top1", None)``; KeyError for an unknown metric."""
    metric, _, method = key.partition(".")
    if metric not in METRICS:
        raise KeyError(f"unknown metric {key!r}; metrics: {', '.join(METRICS)}")
    return metric, method or None


def higher_is_better(key: str) -> bool:
    return METRICS[split_key(key)[0]].higher_is_better


def top1(correct: Iterable[bool]) -> float:
    """Top-1 accuracy in % of these per-image outcomes (0.0 for none)."""
    flags = list(correct)
    return 100.0 * sum(bool(c) for c in flags) / len(flags) if flags else 0.0


def mean_curve(curves: Sequence[Sequence[float]], length: Optional[int] = None) -> list[float]:
    """Zero-pad every curve to ``length`` (default: the longest; longer curves are cut) and average element-wise."""
    if not curves:
        return []
    n = max(len(c) for c in curves) if length is None else length
    padded = np.zeros((len(curves), n), dtype=np.float64)
    for i, c in enumerate(curves):
        c = list(c)[:n]
        padded[i, : len(c)] = c
    return padded.mean(axis=0).tolist()


def auc(curve: Sequence[float]) -> float:
    """AUC = mean of the curve's points (rectangle rule on a normalised x axis); 0.0 for an empty curve."""
    return float(np.mean(curve)) if len(curve) else 0.0


def curve_stats(curves: Sequence[Sequence[float]], length: int) -> tuple[float, float, list[float]]:
    """(MI, AUC, mean curve) of a class or data set from its images' curves, padded to at least ``length``."""
    curve = mean_curve(curves, length=max([length] + [len(c) for c in curves]))
    return (curve[0] if curve else 0.0), auc(curve), curve


def image_top1(correct: bool) -> float:
    """One image's share of top-1: 100 when correct, else 0 (their mean is :func:`top1`)."""
    return 100.0 * bool(correct)


def image_mi(curve: Sequence[float], mi: float) -> float:
    """One image's share of MI: its curve's point 0 (its own MI when it has no curve)."""
    return curve[0] if len(curve) else mi


def image_auc(curve: Sequence[float], length: int) -> float:
    """One image's share of the AUC of a mean curve padded to ``length``: ``sum(curve) / length``."""
    return float(sum(curve)) / length if length else 0.0


__all__ = ["METRICS", "CURVE_METRICS", "MetricInfo", "metric_keys", "split_key", "higher_is_better", "top1",
           "mean_curve", "auc", "curve_stats", "image_top1", "image_mi", "image_auc"]
