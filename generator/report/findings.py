"""The findings box at the top of a leaderboard and of a model page: what the numbers show and how strongly, in
plain sentences generated from the results (sample sizes, intervals, rank ties, controls, the paper's values).
Every number goes through :func:`generator.report.tables.fmt_metric`, as in the tables and downloads."""
from __future__ import annotations

import math

from .tables import fmt_metric
from .views import method_label


def _label(key: str) -> str:
    from .datatables import metric_label

    return metric_label(key)


def _with_ci(m, key: str) -> str:
    v = fmt_metric(m.value, key)
    if m.lo is not None and not math.isnan(m.lo):
        return f"{v} [{fmt_metric(m.lo, key)}, {fmt_metric(m.hi, key)}]"
    return v


def _names(mvs) -> str:
    names = [mv.label for mv in mvs]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _outside(m) -> bool:
    return m.paper is not None and not math.isnan(m.lo) and not (m.lo <= m.paper <= m.hi)


def leaderboard_findings(ds, corr: list[dict], n_boot: int) -> list[str]:
    key = ds.headline
    ranked = [mv for mv in ds.ranked if key in mv.metrics]
    out = []
    n_img = sorted({mv.n_images for mv in ds.models})
    imgs = f"{n_img[0]:,}" if len(n_img) == 1 else f"{n_img[0]:,} to {n_img[-1]:,}"
    out.append(f"{len(ds.models)} model{'s' if len(ds.models) != 1 else ''} on {imgs} images of "
               f"{len(ds.classes):,} classes. Brackets are 95% percentile-bootstrap intervals over images "
               f"({n_boot} resamples); with few images per class they are wide.")
    if ranked:
        top = [mv for mv in ranked if mv.rank == 1]
        if len(top) == 1 and len(ranked) > 1:
            out.append(f"By {_label(key)}, {top[0].label} ranks first alone: {_with_ci(top[0].metrics[key], key)}, "
                       "an interval above every other model's.")
        elif len(ranked) > 1:
            out.append(f"By {_label(key)}, {_names(top)} share rank 1: their intervals overlap, so these results "
                       "do not separate them.")
        groups = len({mv.rank for mv in ranked})
        if len(ranked) > 2:
            out.append(f"The {len(ranked)} models fall into {groups} rank group{'s' if groups != 1 else ''} "
                       "(models share a rank when their intervals overlap).")
    t1 = sorted((mv for mv in ds.models if "top1" in mv.metrics), key=lambda mv: mv.metrics["top1"].value)
    if len(t1) > 1:
        out.append(f"Zero-shot top-1 ranges from {_with_ci(t1[0].metrics['top1'], 'top1')}% ({t1[0].label}) to "
                   f"{_with_ci(t1[-1].metrics['top1'], 'top1')}% ({t1[-1].label}).")
    first = ds.methods[0] if ds.methods else None
    for c in corr:
        if c["method"] == first and c["all"]:
            out.append(c["sentence"])
            break
    controls = [mv for mv in ds.models if mv.untrained]
    trained = [mv for mv in ds.models if not mv.untrained and key in mv.metrics]
    for mv in controls:
        if key not in mv.metrics:
            continue
        m = mv.metrics[key]
        if trained:
            best = max(trained, key=lambda x: x.metrics[key].value)
            b = best.metrics[key]
            where = "lies below" if m.hi < b.lo else ("lies above" if m.lo > b.hi else "overlaps")
            out.append(f"Control: {mv.label} has random (untrained) weights; its {_label(key)} "
                       f"{_with_ci(m, key)} {where} the interval of the best trained model ({best.label}, "
                       f"{_with_ci(b, key)}).")
        else:
            out.append(f"{mv.label} has random (untrained) weights: a control, not a CLIP model.")
    with_paper = [(mv, k, m) for mv in ds.models for k, m in mv.metrics.items() if m.paper is not None]
    if with_paper:
        outside = [x for x in with_paper if _outside(x[2])]
        models = {mv.id for mv, _, _ in with_paper}
        out.append(f"The paper reports {len(with_paper)} of these numbers ({len(models)} model"
                   f"{'s' if len(models) != 1 else ''}); for {len(outside)} the paper's value lies outside our "
                   "95% interval (see the replication page).")
    return out


def model_findings(ds, mv) -> list[str]:
    key = ds.headline
    out = [f"{mv.label} was evaluated on {mv.n_images:,} images of {mv.n_classes:,} classes of {ds.label}."]
    if mv.untrained:
        out.append("Its weights are random (untrained): it is a control for what the method finds without "
                   "learning, not a CLIP model.")
    if "top1" in mv.metrics:
        out.append(f"Zero-shot top-1: {_with_ci(mv.metrics['top1'], 'top1')}%.")
    for m in ds.methods:
        if f"auc.{m}" in mv.metrics:
            out.append(f"With {method_label(m)} parts: MI {_with_ci(mv.metrics[f'mi.{m}'], f'mi.{m}')}, "
                       f"AUC {_with_ci(mv.metrics[f'auc.{m}'], f'auc.{m}')} (95% bootstrap intervals over images).")
    if mv.rank is not None and len(ds.models) > 1:
        n = sum(1 for x in ds.models if key in x.metrics)
        tie = f", tied with {mv.rank_shared - 1} other model{'s' if mv.rank_shared > 2 else ''} whose intervals " \
              "overlap" if mv.rank_shared > 1 else ""
        out.append(f"Rank {mv.rank} of {n} by {_label(key)}{tie}.")
    for k, m in mv.metrics.items():
        if m.paper is None:
            continue
        where = "outside" if _outside(m) else "inside"
        out.append(f"The paper reports {_label(k)} {fmt_metric(m.paper, k)} ({m.paper_note}); ours is "
                   f"{fmt_metric(m.value, k)}, a difference of {fmt_metric(m.diff, k, signed=True)}, and the paper's "
                   f"value lies {where} our interval.")
    first = ds.methods[0] if ds.methods else None
    cls = [c for c in mv.run.classes if first in c.methods]
    if len(cls) > 1:
        lo = min(cls, key=lambda c: (c.methods[first].auc, c.name))
        hi = max(cls, key=lambda c: (c.methods[first].auc, c.name))
        out.append(f"Per class, AUC ({method_label(first)} parts) ranges from {fmt_metric(lo.methods[first].auc, 'auc')} "
                   f"({lo.name}, {lo.n_images} images) to {fmt_metric(hi.methods[first].auc, 'auc')} ({hi.name}, "
                   f"{hi.n_images} images).")
    return out
