"""The paper's main claim in miniature: across a family of models on one dataset, does the MI-dynamics AUC follow
zero-shot accuracy? (spec §2.6 / paper §4; coefficients and bootstrap CIs by :func:`~.correlation.correlation`.)

:func:`family_correlation` takes the ``summary.json`` records (:class:`generator.results.schema.Summary`, or their
dicts) of several models on ONE dataset and returns, per part method, the Pearson and Spearman correlation between
the dataset AUC (``Summary.methods[m].auc``) and top-1 (``Summary.top1``), with percentile-bootstrap CIs over models.
It is reported whatever it turns out to be: no sign is assumed, and with fewer than 2 models (or a constant side) the
coefficients are None and ``reason`` says why. Pure: no torch, no files, so the website can call it.

The control-corrected correlation (issue 8): the same coefficients for AUC minus its random-D_v control
(``Summary.methods[m].controls["random_dv"]["auc"]``, the exact expected AUC of random descriptors at each image's
|D_v|, :mod:`generator.evaluation.controls`), under ``methods[m]["corrected"]``; a correlation that survives only raw
is a size effect (bigger D_v, bigger AUC), not shared knowledge. None when some summary has no controls (results
older than schema 1.3).
"""
from __future__ import annotations

from typing import Iterable, Optional, Sequence

from generator.evaluation.correlation import METHODS, correlation
from generator.results.schema import Summary


def _as_summary(s) -> Summary:
    return s if isinstance(s, Summary) else Summary.model_validate(s)


def _empty(n: int, reason: str, n_boot: int, ci: float, seed: int) -> dict:
    none = {"r": None, "p": None, "ci": None, "ci_method": "fisher-z", "bootstrap_ci": None, "n_boot_valid": 0}
    return {"n": n, "n_boot": int(n_boot), "ci_level": ci, "seed": seed, "reason": reason,
            **{name: dict(none) for name in METHODS}}


def family_correlation(summaries: Iterable, methods: Optional[Sequence[str]] = None, n_boot: int = 1000,
                       seed: int = 0, ci: float = 0.95) -> dict:
    """``{"dataset", "models": [model_id], "top1": [..], "methods": {method: {"auc": [..], "n", "pearson": {"r",
    "p", "ci", "n_boot_valid"}, "spearman": {...}, "n_boot", "ci_level", "seed"[, "reason"]}}}``.

    Models are sorted by ``model_id`` (the result does not depend on the input order). ``methods``: default the part
    methods every summary has, in the first summary's order. ValueError for summaries of different datasets, a model
    given twice, or a requested method some summary lacks.
    """
    items = sorted((_as_summary(s) for s in summaries), key=lambda s: s.model_id)
    datasets = sorted({s.dataset for s in items})
    if len(datasets) > 1:
        raise ValueError(f"family correlation: summaries of one dataset expected, got {datasets}; "
                         "call it once per dataset")
    ids = [s.model_id for s in items]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"family correlation: model(s) {dup} given more than once; pass one summary per model")
    if methods is None:
        first = next(iter(items), None)
        methods = [m for m in (first.methods if first else {}) if all(m in s.methods for s in items)]
    else:
        missing = [(s.model_id, m) for s in items for m in methods if m not in s.methods]
        if missing:
            raise ValueError(f"family correlation: {missing[0][0]} has no results for method {missing[0][1]!r}")
    top1 = [float(s.top1) for s in items]
    out = {"dataset": datasets[0] if datasets else None, "models": ids, "top1": top1, "methods": {}}
    for m in methods:
        aucs = [float(s.methods[m].auc) for s in items]
        out["methods"][m] = {"auc": aucs, **_correlate(aucs, top1, n_boot, seed, ci)}
        controls = [random_dv_auc(s, m) for s in items]
        if items and all(c is not None for c in controls):
            diff = [a - c for a, c in zip(aucs, controls)]
            out["methods"][m]["random_dv_auc"] = controls
            out["methods"][m]["corrected"] = {"auc_minus_random": diff, **_correlate(diff, top1, n_boot, seed, ci)}
        else:
            out["methods"][m]["random_dv_auc"] = None
            out["methods"][m]["corrected"] = None
    return out


def random_dv_auc(summary: Summary, method: str) -> Optional[float]:
    """The data-set random-D_v control AUC of ``method`` in ``summary`` (None without controls)."""
    ms = summary.methods.get(method)
    rdv = ((ms.controls or {}).get("random_dv") if ms is not None else None) or {}
    return None if rdv.get("auc") is None else float(rdv["auc"])


def _correlate(values: list[float], top1: list[float], n_boot: int, seed: int, ci: float) -> dict:
    if len(values) < 2:
        return _empty(len(values), "fewer than 2 models", n_boot, ci, seed)
    res = correlation(values, top1, n_boot=n_boot, seed=seed, ci=ci)
    if res["pearson"]["r"] is None:
        res["reason"] = "AUC or top-1 is the same for every model"
    return res
