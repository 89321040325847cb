"""Statistics for the site: bootstrap confidence intervals over images, rank groups from those intervals, paired
differences (Student-t per class, class-resampling bootstrap overall), linear fits and quartiles (the AUC-top-1
correlation across models is :func:`generator.evaluation.family.family_correlation`'s, see
:func:`generator.report.datatables.correlations`).

Bootstrap (paper §3, dataset level): the reported MI is point 0 of the zero-padded mean curve, i.e. the mean of
the images' first points, and the AUC is the mean of that curve, i.e. the mean over images of
``sum(curve_i) / P`` with ``P`` the padded length. Top-1 is the mean of ``correct``. All three are therefore means
of one number per image, so one resampling of the images (percentile bootstrap, ``n_boot`` resamples, fixed
seed) gives all their intervals at once. Choice recorded: ``P`` is held at the full data set's padded length in
every resample (the length of ``summary.methods[m].curve``, or the longest curve when that is shorter).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@dataclass
class Interval:
    lo: float
    hi: float


def bootstrap_means(values: np.ndarray, n_boot: int = 1000, level: float = 0.95, seed: int = 0,
                    chunk_elems: int = 4_000_000) -> list[Interval]:
    """Percentile-bootstrap intervals of the column means of ``values`` (n_images x k), resampling rows."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    n, k = values.shape
    if n == 0:
        return [Interval(math.nan, math.nan) for _ in range(k)]
    if n == 1 or n_boot <= 0:
        return [Interval(float(v), float(v)) for v in values[0]] if n == 1 else \
            [Interval(math.nan, math.nan) for _ in range(k)]
    rng = np.random.default_rng(seed)
    means = np.empty((n_boot, k))
    step = max(1, chunk_elems // n)
    for start in range(0, n_boot, step):
        stop = min(n_boot, start + step)
        idx = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = values[idx].mean(axis=1)
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [alpha, 1.0 - alpha], axis=0)
    return [Interval(float(a), float(b)) for a, b in zip(lo, hi)]


def linear_fit(x, y) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line y = slope * x + intercept (NaNs when < 2 distinct x)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 2 or np.ptp(x) == 0:
        return math.nan, math.nan
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope), float(intercept)


def quartiles(values) -> dict:
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return {}
    q = np.quantile(v, [0.0, 0.25, 0.5, 0.75, 1.0])
    return dict(zip(("min", "q1", "median", "q3", "max"), map(float, q)))


def rank_groups(values, los, his, higher_better: bool = True) -> list[int]:
    """Rank of each model from its point estimate and stored interval: 1 + the number of models whose interval
    lies entirely on the better side of this model's interval (no overlap). Models whose intervals overlap can
    share a rank, so ranks the data cannot separate are shown as ties (the Chatbot Arena / HELM convention).
    A model without an interval (NaN) is ranked by its value against the others' intervals (its own interval is
    taken as the point)."""
    v = np.asarray(values, float)
    lo = np.where(np.isfinite(np.asarray(los, float)), np.asarray(los, float), v)
    hi = np.where(np.isfinite(np.asarray(his, float)), np.asarray(his, float), v)
    if not higher_better:
        lo, hi = -hi, -lo
    return [int(1 + np.sum(lo > hi[i])) for i in range(len(v))]


@lru_cache(maxsize=4096)
def _t_quantile(q: float, df: int) -> float:
    from scipy import stats as st

    return float(st.t.ppf(q, df))


def t_interval(d, level: float = 0.95) -> Interval:
    """Student-t interval of the mean of paired differences ``d`` (NaNs for fewer than 2 values)."""
    d = np.asarray(d, float)
    if len(d) < 2:
        return Interval(math.nan, math.nan)
    half = _t_quantile(0.5 + level / 2, len(d) - 1) * float(d.std(ddof=1)) / math.sqrt(len(d))
    return Interval(float(d.mean()) - half, float(d.mean()) + half)


def cluster_bootstrap_mean(d, groups, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> Interval:
    """Percentile-bootstrap interval of the mean of ``d`` resampling whole ``groups`` (classes) with replacement,
    so images of one class, which are not independent, move together."""
    d = np.asarray(d, float)
    if len(d) == 0:
        return Interval(math.nan, math.nan)
    _, inv = np.unique(np.asarray(groups), return_inverse=True)
    k = int(inv.max()) + 1
    sums, counts = np.bincount(inv, d, k), np.bincount(inv, minlength=k).astype(float)
    if k < 2 or n_boot <= 0:
        return Interval(math.nan, math.nan)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, k, size=(n_boot, k))
    means = sums[idx].sum(axis=1) / counts[idx].sum(axis=1)
    a = (1 - level) / 2
    lo, hi = np.quantile(means, [a, 1 - a])
    return Interval(float(lo), float(hi))
