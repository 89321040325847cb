"""Correlation between a model family's MI-dynamics AUC and its zero-shot accuracy (paper §4: "AUC correlates with
zero-shot accuracy across models"), with intervals and p-values that cannot contradict each other.

The paper reports the trend per family without a coefficient. Here: Pearson and Spearman coefficients, each with a
Fisher-z interval and a p-value from the SAME normal approximation (z = atanh(r) with standard error
1/sqrt(n-3) for Pearson and sqrt(1.06/(n-3)) for Spearman, Fieller et al. 1957), so the interval excludes zero
exactly when p < 1 - level. Both need n >= 4 models; with fewer there is no interval and no p-value, and
``reason`` says so. A percentile bootstrap over models is kept as ``bootstrap_ci`` for reference (resamples where
either side is constant have no coefficient and are skipped; their number is ``n_boot_valid``); with a handful of
models it is too narrow, which is why it is not the headline interval.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy import stats

METHODS = {"pearson": stats.pearsonr, "spearman": stats.spearmanr}
# variance factor of atanh(r) times (n - 3): 1 for Pearson, 1.06 for Spearman (Fieller, Hartley & Pearson 1957)
FISHER_VARIANCE = {"pearson": 1.0, "spearman": 1.06}
MIN_MODELS_FOR_INTERVAL = 4


def _coef(fn, x: np.ndarray, y: np.ndarray) -> float | None:
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(fn(x, y)[0])


def fisher_interval(r: float, n: int, name: str = "pearson", level: float = 0.95) -> tuple[list[float], float]:
    """([lo, hi], two-sided p) of coefficient ``r`` over ``n`` pairs by the Fisher z transform (n >= 4)."""
    if n < MIN_MODELS_FOR_INTERVAL:
        raise ValueError(f"fisher_interval: need at least {MIN_MODELS_FOR_INTERVAL} pairs, got {n}")
    se = math.sqrt(FISHER_VARIANCE[name] / (n - 3))
    z = math.atanh(max(-1 + 1e-12, min(1 - 1e-12, r)))
    q = float(stats.norm.ppf(0.5 + level / 2))
    p = float(2 * stats.norm.sf(abs(z) / se))
    return [math.tanh(z - q * se), math.tanh(z + q * se)], p


def correlation(auc: Sequence[float], acc: Sequence[float], n_boot: int = 1000, seed: int = 0,
                ci: float = 0.95) -> dict:
    """``{"n", "pearson": {"r", "p", "ci": [lo, hi], "ci_method", "bootstrap_ci", "n_boot_valid"}, "spearman": {...},
    "n_boot", "ci_level", "seed"[, "reason"]}``. ``r`` is None when a side is constant; ``p`` and ``ci`` (Fisher z)
    are None for fewer than 4 models; ``bootstrap_ci`` is None when no resample has a coefficient."""
    x, y = np.asarray(auc, float), np.asarray(acc, float)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"correlation: need two equal-length lists, got {x.shape} AUCs and {y.shape} accuracies")
    if len(x) < 2:
        raise ValueError(f"correlation: need at least 2 models, got {len(x)}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("correlation: AUCs and accuracies must be finite numbers")
    if not 0 < ci < 1:
        raise ValueError(f"correlation: ci must be in (0, 1), got {ci}")
    n = len(x)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(int(n_boot), n))
    out: dict = {"n": int(n), "n_boot": int(n_boot), "ci_level": ci, "seed": seed}
    if n < MIN_MODELS_FOR_INTERVAL:
        out["reason"] = f"{n} models: an interval and a p-value need at least {MIN_MODELS_FOR_INTERVAL}"
    for name, fn in METHODS.items():
        r = _coef(fn, x, y)
        interval, p = None, None
        if r is not None and n >= MIN_MODELS_FOR_INTERVAL:
            interval, p = fisher_interval(r, n, name, ci)
        boots = [b for b in (_coef(fn, x[i], y[i]) for i in idx) if b is not None and np.isfinite(b)]
        lo = (1 - ci) / 2
        boot = [float(np.quantile(boots, lo)), float(np.quantile(boots, 1 - lo))] if boots else None
        out[name] = {"r": r, "p": p, "ci": interval, "ci_method": "fisher-z", "bootstrap_ci": boot,
                     "n_boot_valid": len(boots)}
    return out
