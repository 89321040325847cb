"""Bootstrap confidence intervals resampled by image or by class, and paired differences (issue 9 item 4).

Torch-free (numpy only) so the report, ``validate`` and the runner share it.

* **Resampling unit ``image``**: the images are drawn with replacement (n of n); the statistic is their mean.
* **Resampling unit ``class``** (a cluster bootstrap): images are grouped by class, the classes are drawn with
  replacement (G of G) and the statistic is the mean over all images of the drawn classes (sum of the drawn
  classes' sums / sum of their counts). Images of one class share the class's difficulty, so this interval is the
  honest one for "another draw of classes"; the image interval answers "another draw of images of these classes".
* Percentile intervals at ``level`` (default 95 %) from ``n_boot`` resamples (default 1000) with a fixed ``seed``;
  with one unit the interval is the point; with none it is NaN.
* **Paired differences** (two models, or method vs baseline, on the same images): the per-image differences are
  resampled (by image or by class); ``p`` is the two-sided bootstrap p-value 2 min(P(d* <= 0), P(d* >= 0)).

Every result records its unit, ``n_units``, ``n_boot``, ``level`` and ``seed``.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

N_BOOT = 1000
LEVEL = 0.95
UNITS = ("image", "class")
_CHUNK = 4_000_000   # resample matrix elements per chunk (memory)


def _group_sums(values: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    _, inv = np.unique(groups, return_inverse=True)
    sums = np.bincount(inv, weights=values)
    counts = np.bincount(inv).astype(np.float64)
    return sums, counts


def resampled_means(values: Sequence[float], groups: Sequence | None = None, n_boot: int = N_BOOT,
                    seed: int = 0) -> np.ndarray:
    """``n_boot`` bootstrap means of ``values``: by image (``groups`` None) or by class (cluster bootstrap)."""
    v = np.asarray(values, dtype=np.float64)
    if groups is None:
        sums, counts = v, np.ones_like(v)
    else:
        g = np.asarray(groups)
        if len(g) != len(v):
            raise ValueError(f"bootstrap: {len(g)} group labels for {len(v)} values")
        sums, counts = _group_sums(v, g)
    n = len(sums)
    rng = np.random.default_rng(seed)
    out = np.empty(n_boot)
    step = max(1, _CHUNK // max(n, 1))
    for start in range(0, n_boot, step):
        stop = min(n_boot, start + step)
        idx = rng.integers(0, n, size=(stop - start, n))
        out[start:stop] = sums[idx].sum(axis=1) / counts[idx].sum(axis=1)
    return out


def interval(values: Sequence[float], groups: Sequence | None = None, n_boot: int = N_BOOT, level: float = LEVEL,
             seed: int = 0) -> dict:
    """{mean, lo, hi, unit, n_units, n_boot, level, seed}: the percentile interval of the mean."""
    v = np.asarray(values, dtype=np.float64)
    unit = "image" if groups is None else "class"
    n_units = len(v) if groups is None else len(set(np.asarray(groups).tolist()))
    base = {"unit": unit, "n_units": int(n_units), "n_boot": int(n_boot), "level": float(level), "seed": int(seed)}
    if len(v) == 0:
        return {"mean": math.nan, "lo": math.nan, "hi": math.nan, **base}
    mean = float(v.mean())
    if n_units < 2 or n_boot <= 0:
        return {"mean": mean, "lo": mean, "hi": mean, **base}
    means = resampled_means(v, groups, n_boot, seed)
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [alpha, 1.0 - alpha])
    return {"mean": mean, "lo": float(lo), "hi": float(hi), **base}


def paired_difference(a: Sequence[float], b: Sequence[float], groups: Sequence | None = None, n_boot: int = N_BOOT,
                      level: float = LEVEL, seed: int = 0) -> dict:
    """Mean of a - b over the same images with its bootstrap interval and two-sided bootstrap p-value."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired_difference: {a.shape} vs {b.shape} values; pair the same images")
    d = a - b
    out = interval(d, groups, n_boot, level, seed)
    out = {"diff": out.pop("mean"), **out}
    if len(d) and out["n_units"] >= 2 and n_boot > 0:
        means = resampled_means(d, groups, n_boot, seed)
        out["p"] = float(min(1.0, 2.0 * min((means <= 0).mean(), (means >= 0).mean())))
    else:
        out["p"] = math.nan
    return out


def both_units(values: Sequence[float], groups: Sequence, n_boot: int = N_BOOT, level: float = LEVEL,
               seed: int = 0) -> dict:
    """{"image": interval by image, "class": interval by class} of the same values."""
    return {"image": interval(values, None, n_boot, level, seed), "class": interval(values, groups, n_boot, level, seed)}


def contains(iv: dict, value: float) -> bool | None:
    """Whether ``value`` lies in the interval (None when either is missing)."""
    if value is None or iv is None or any(not math.isfinite(float(iv.get(k, math.nan))) for k in ("lo", "hi")):
        return None
    return bool(iv["lo"] <= value <= iv["hi"])


__all__ = ["interval", "paired_difference", "both_units", "resampled_means", "contains", "N_BOOT", "LEVEL", "UNITS"]
