"""Correlation between a model family's MI-dynamics AUC and its zero-shot accuracy (spec §2.6 / paper §4: "AUC
correlates with zero-shot accuracy across models"), with percentile-bootstrap confidence intervals.

The paper reports the trend per family without a coefficient; here Pearson and Spearman coefficients, their p-values
(scipy) and bootstrap CIs over models (resampled with replacement; resamples where either side is constant have no
coefficient and are skipped, their number is reported).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import stats

METHODS = {"pearson": stats.pearsonr, "spearman": stats.spearmanr}


def _coef(fn, x: np.ndarray, y: np.ndarray) -> float | None:
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(fn(x, y)[0])


def correlation(auc: Sequence[float], acc: Sequence[float], n_boot: int = 1000, seed: int = 0,
                ci: float = 0.95) -> dict:
    """``{"n", "pearson": {"r", "p", "ci": [lo, hi], "n_boot_valid"}, "spearman": {...}, "n_boot", "ci_level",
    "seed"}``. ``r``/``p`` are None when a side is constant; ``p`` is None for fewer than 3 models; ``ci`` is None when
    no bootstrap resample has a coefficient."""
    x, y = np.asarray(auc, float), np.asarray(acc, float)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"correlation: need two equal-length lists, got {x.shape} AUCs and {y.shape} accuracies")
    if len(x) < 2:
        raise ValueError(f"correlation: need at least 2 models, got {len(x)}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("correlation: AUCs and accuracies must be finite numbers")
    if not 0 < ci < 1:
        raise ValueError(f"correlation: ci must be in (0, 1), got {ci}")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), size=(int(n_boot), len(x)))
    out: dict = {"n": int(len(x)), "n_boot": int(n_boot), "ci_level": ci, "seed": seed}
    for name, fn in METHODS.items():
        r = _coef(fn, x, y)
        p = float(fn(x, y)[1]) if r is not None and len(x) >= 3 else None
        boots = [b for b in (_coef(fn, x[i], y[i]) for i in idx) if b is not None and np.isfinite(b)]
        lo = (1 - ci) / 2
        interval = [float(np.quantile(boots, lo)), float(np.quantile(boots, 1 - lo))] if boots else None
        out[name] = {"r": r, "p": p, "ci": interval, "n_boot_valid": len(boots)}
    return out
