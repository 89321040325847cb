"""Controls on the site (result schema 1.3; computed by the engine, :mod:`generator.evaluation.controls`): each
metric beside what it would be without the knowledge it claims to measure, and plain sentences generated from those
numbers, whatever they show.

Per model and part method (``summary.methods[m].controls`` and ``summary.controls``):

* AUC and MI beside their **random-D_v** control (the exact expected value for random descriptors at each image's
  |D_v| with the same language side) and the ratio;
* grounding precision beside the **random-descriptor** share and the **class prior** (descriptors of the predicted
  class's own pool entries);
* part IoU beside **random labels over the same foreground**, the **pixel K-means** baseline on the same foreground,
  and the method's parts clustered within the **true object** (oracle foreground);
* foreground IoU with the object beside **every patch** and the **oracle patch mask**, with the empty foregrounds;
* the **oracle-region** AUROC: prompts around each true part ranking that part's descriptors (chance 0.5).

The effective pool-scaled hyper-parameters (``summary.config.method_effective``) are shown too. Nothing here
imports torch, the method or the runner.
"""
from __future__ import annotations

from typing import Optional

from generator.results.schema import GroundTruthAggregate

from .tables import Column, Table
from .views import method_label

SYNTHETIC_MARKS = ("demo world", "mkbench-demo-world")


def is_synthetic(ds) -> bool:
    """The data set is the demo world (its name) or its models were trained on it (their cards say so)."""
    if ds.name == "demo":
        return True
    return any(any(k in (mv.pretraining_data or "").lower() for k in SYNTHETIC_MARKS) for mv in ds.models)


def _get(d: Optional[dict], *path):
    for k in path:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def _ratio(a, b) -> Optional[float]:
    return None if a is None or b in (None, 0) else a / b


def effective(summary) -> dict:
    """The method settings that ran: foreground method, effective initial_topk / u / descriptors per part and whether
    they were scaled."""
    m, eff = summary.config.method or {}, summary.config.method_effective or {}
    return {"foreground_method": m.get("foreground_method", "batch_svd"),
            "initial_topk": eff.get("initial_topk", m.get("initial_topk")),
            "language_topk": eff.get("language_topk", m.get("language_topk")),
            "topk_per_part": eff.get("topk_per_part", m.get("topk_per_part")),
            "scaled": eff.get("scaled"), "pool_size": eff.get("pool_size")}


def model_rows(ds, mv) -> list[dict]:
    """One row per part method of one model: every metric beside its controls (None where not computed)."""
    s = mv.run.summary
    ic = s.controls or {}
    eff = effective(s)
    rows = []
    for m in ds.methods:
        ms = s.methods.get(m)
        if ms is None:
            continue
        c, gt = ms.controls or {}, ms.ground_truth or GroundTruthAggregate()
        rdv = c.get("random_dv") or {}
        base = s.ground_truth_baseline or GroundTruthAggregate()
        rows.append({
            "model": mv.label, "model_id": mv.id, "mv": mv, "parts": m, "label": f"{method_label(m)} parts",
            "top1": s.top1, **eff,
            "auc": ms.auc, "auc_random": rdv.get("auc"), "auc_ratio": _ratio(ms.auc, rdv.get("auc")),
            "mi": ms.mi, "mi_random": rdv.get("mi"),
            "present": gt.grounding_present, "present_random": _get(c, "grounding_random", "present"),
            "present_prior": _get(c, "grounding_class_prior", "present"),
            "under": gt.grounding_under_concept,
            "under_random": _get(c, "grounding_random", "under_concept"),
            "under_prior": _get(c, "grounding_class_prior", "under_concept"),
            "part_iou": gt.mean_iou, "part_iou_random": _get(c, "random_labels", "mean_iou"),
            "part_iou_pixel": base.mean_iou, "part_iou_oracle": _get(c, "oracle_foreground", "mean_iou"),
            "part_iou_one": _get(c, "one_cluster", "mean_iou"),
            "matched": gt.matched_iou, "matched_pixel": base.matched_iou,
            "matched_one": _get(c, "one_cluster", "matched_iou"),
            "matched_random": _get(c, "random_labels", "matched_iou"),
            "matched_oracle": _get(c, "oracle_foreground", "matched_iou"),
            "ari": gt.ari, "ari_pixel": base.ari, "ari_one": _get(c, "one_cluster", "ari"),
            "ari_random": _get(c, "random_labels", "ari"), "ari_oracle": _get(c, "oracle_foreground", "ari"),
            "fg_iou": _get(ic, "foreground", "iou"), "fg_every_patch": _get(ic, "foreground", "every_patch_iou"),
            "fg_oracle": _get(ic, "foreground", "oracle_patch_iou"), "fg_empty": _get(ic, "foreground", "n_empty"),
            "region_within": _get(ic, "oracle_region", "mean", "within"),
            "region_pool": _get(ic, "oracle_region", "mean", "pool"),
        })
    return rows


def rows(ds) -> list[dict]:
    return [r for mv in ds.models for r in model_rows(ds, mv)]


COLUMNS = [
    ("top1", "Top-1 (%)", 1), ("auc", "AUC", 3), ("auc_random", "AUC, random D_v", 3), ("auc_ratio", "AUC ÷ random", 2),
    ("mi", "MI", 3), ("mi_random", "MI, random D_v", 3),
    ("under", "Grounding: part under concept", 3), ("under_random", "… random descriptors", 3),
    ("under_prior", "… class prior", 3), ("present", "Grounding: part present", 3),
    ("present_random", "… random descriptors", 3), ("present_prior", "… class prior", 3),
    ("part_iou", "Part IoU", 3), ("part_iou_random", "… random labels, same foreground", 3),
    ("part_iou_pixel", "… pixel K-means, same foreground", 3), ("part_iou_oracle", "… parts in the true object", 3),
    ("part_iou_one", "… the foreground as one cluster", 3),
    ("matched", "Matched part IoU (Hungarian)", 3), ("matched_pixel", "… pixel K-means, same foreground", 3),
    ("matched_one", "… one cluster", 3), ("matched_random", "… random labels", 3),
    ("matched_oracle", "… parts in the true object", 3),
    ("ari", "Part ARI", 3), ("ari_pixel", "… pixel K-means, same foreground", 3), ("ari_one", "… one cluster", 3),
    ("ari_random", "… random labels", 3), ("ari_oracle", "… parts in the true object", 3),
    ("fg_iou", "Foreground IoU", 3), ("fg_every_patch", "… every patch", 3), ("fg_oracle", "… oracle patch mask", 3),
    ("fg_empty", "Empty foregrounds", 0), ("region_within", "True-part prompt AUROC (within image)", 3),
    ("region_pool", "… against the pool", 3),
]


def controls_table(ds) -> Table:
    cols = [Column("model", "Model"), Column("model_id", "Model id"), Column("parts", "Part method"),
            Column("label", "Parts"),
            Column("foreground_method", "Foreground method"), Column("initial_topk", "initial_topk", "int"),
            Column("language_topk", "u", "int"), Column("topk_per_part", "Descriptors per part", "int")]
    cols += [Column(k, label, "int" if digits == 0 else "num", digits) for k, label, digits in COLUMNS]
    present = [c for c in cols if c.kind == "text" or any(r.get(c.key) is not None for r in rows(ds))]
    return Table("controls", f"Metrics beside their controls: {ds.label}", present,
                 [{k: v for k, v in r.items() if k != "mv"} for r in rows(ds)],
                 "Random D_v: the exact expected value for random pool descriptors at each image's |D_v| with the "
                 "same language side. Random descriptors / class prior: the expected grounding precision of "
                 "descriptors drawn from the whole pool / from the predicted class's own pool entries. Random "
                 "labels: the method's part labels permuted over its own foreground. Oracle: the true object's "
                 "patches. One cluster: the method's whole foreground as one concept. Matched part IoU: one-to-one "
                 "(Hungarian) matching of concepts to the true parts, averaged over the parts present (unmatched "
                 "parts 0); part ARI: adjusted Rand index of the labels over the object's pixels. "
                 "True-part prompt AUROC: the method's prompts drawn around each true part rank that "
                 "part's descriptors (0.5 = chance).")


def _best(rs: list[dict]) -> Optional[dict]:
    rs = [r for r in rs if r.get("auc") is not None]
    return max(rs, key=lambda r: (r["top1"], r["auc"])) if rs else None


def _f(v, digits=2) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def _x(a, b) -> str:
    r = _ratio(a, b)
    return "" if r is None else f" ({r:.1f}×)"


def findings(ds, corr_rows: Optional[list] = None) -> list[str]:
    """Plain sentences from the numbers: for the most accurate model, and the ranges over all models."""
    out = []
    for m in ds.methods:
        rs = [r for r in rows(ds) if r["parts"] == m]
        best = _best(rs)
        if best is None:
            continue
        ml = method_label(m)
        ratios = [r["auc_ratio"] for r in rs if r["auc_ratio"] is not None]
        if best["auc_random"] is not None:
            s = (f"{ml} parts, most accurate model ({best['model']}, top-1 {best['top1']:.1f}%): AUC "
                 f"{_f(best['auc'])} against {_f(best['auc_random'])} for random descriptors of the same number"
                 f"{_x(best['auc'], best['auc_random'])}")
            if len(ratios) > 1:
                s += f"; over the {len(ratios)} models the ratio runs from {min(ratios):.1f}× to {max(ratios):.1f}×"
            out.append(s + ".")
        if best["under"] is not None and best["under_random"] is not None:
            prior = best["under_prior"]
            rel = "" if prior is None else (f", {'above' if best['under'] > prior else 'not above'} the class prior "
                                             f"{_f(prior, 3)} (descriptors of the predicted class's own parts)")
            out.append(f"{ml} parts, {best['model']}: {_f(best['under'], 3)} of the grounded descriptors name the part "
                       f"under their concept; random descriptors would give {_f(best['under_random'], 3)}"
                       f"{_x(best['under'], best['under_random'])}{rel}.")
        if best["part_iou"] is not None and best["part_iou_pixel"] is not None:
            cmp_ = "above" if best["part_iou"] > best["part_iou_pixel"] else "not above"
            extra = "" if best["part_iou_random"] is None else f", random labels on it {_f(best['part_iou_random'])}"
            oracle = "" if best["part_iou_oracle"] is None else \
                f"; clustered within the true object it reaches {_f(best['part_iou_oracle'])}"
            out.append(f"{ml} parts, {best['model']}: part IoU {_f(best['part_iou'])}, {cmp_} K-means on raw pixels "
                       f"of the same foreground ({_f(best['part_iou_pixel'])}){extra}{oracle}.")
    first = _best(rows(ds))
    if first and first["fg_iou"] is not None:
        cmp_ = "above" if first["fg_every_patch"] is None or first["fg_iou"] > first["fg_every_patch"] else "not above"
        out.append(f"Foreground ({first['foreground_method']}), {first['model']}: IoU {_f(first['fg_iou'])} with the "
                   f"object, {cmp_} taking every patch ({_f(first['fg_every_patch'])}); the best patch-grid mask "
                   f"gives {_f(first['fg_oracle'])}; {first['fg_empty'] if first['fg_empty'] is not None else '–'} "
                   f"images have an empty foreground.")
    if first and first["region_within"] is not None:
        out.append(f"Prompts drawn around the TRUE part ({first['model']}) rank that part's descriptors above those "
                   f"of the image's other parts with AUROC {_f(first['region_within'])} (0.50 = chance): grounding "
                   f"measured without the segmentation.")
    for c in corr_rows or []:
        if c.get("corrected_pearson") is not None and c.get("pearson") is not None:
            out.append(f"{method_label(c['method'])} parts, {c['n']} models: AUC against top-1 Pearson r = "
                       f"{c['pearson']:.2f}; AUC minus its random-D_v control against top-1 r = "
                       f"{c['corrected_pearson']:.2f}.")
    return out


def corrected_correlations(ds, n_boot: int = 1000, seed: int = 0) -> list[dict]:
    """Per part method: raw and control-corrected Pearson / Spearman of AUC against top-1 over the data set's models
    (:func:`generator.evaluation.family.family_correlation`); empty with fewer than 2 models or no controls."""
    from generator.evaluation.family import family_correlation

    summaries = [mv.run.summary for mv in ds.models]
    if len(summaries) < 2 or len({s.model_id for s in summaries}) != len(summaries):
        return []
    fam = family_correlation(summaries, methods=[m for m in ds.methods
                                                 if all(m in s.methods for s in summaries)], n_boot=n_boot, seed=seed)
    out = []
    for m, r in fam["methods"].items():
        corr = r.get("corrected") or {}
        out.append({"method": m, "n": r["n"], "pearson": r["pearson"]["r"], "spearman": r["spearman"]["r"],
                    "corrected_pearson": _get(corr, "pearson", "r"), "corrected_spearman": _get(corr, "spearman", "r"),
                    "corrected_pearson_ci": _get(corr, "pearson", "ci")})
    return out
