"""Ground-truth part metrics on the site, for data sets with part masks (result schema 1.1; the metrics are
defined in :mod:`generator.evaluation.ground_truth` and aggregated by :mod:`generator.runner.ground_truth`).

Shown per model (data-set level: ``summary.methods[m].ground_truth`` and ``summary.ground_truth_baseline``) and per
class (``classes[i].methods[m].ground_truth`` and ``classes[i].ground_truth_baseline``), as rows of one shape: one row
per part method and one for the pixel K-means baseline of that model (its patch size is the model's patch-grid cell,
so the baseline differs between models). Metrics are shares in [0, 1] exactly as in the result files:

* part localisation: ``mean_iou`` (each visual concept against its best-IoU ground-truth part), ``pointing_accuracy``
  (the concept's most interior pixel lies in that part), ``object_iou`` (all concepts against the whole object), and
  ``iou_gain``: the method's mean IoU minus the baseline's (what the model adds over colour);
* grounding precision of the vision-side descriptors: ``grounding_present`` (describe a part present in the image)
  and ``grounding_under_concept`` (describe the part matched to their concept); None for the baseline (no descriptors).

Part names come from the data set's ``parts.json`` (user files): they reach pages only through autoescaped templates
and downloads only through :mod:`generator.report.tables` (LaTeX-escaped, formula-safe CSV).
"""
from __future__ import annotations

from typing import Optional

from generator.results.schema import GroundTruthAggregate

from .tables import Column, Table
from .views import method_label

BASELINE = "pixel-kmeans"
LOCALISATION = ("mean_iou", "pointing_accuracy", "object_iou")
GROUNDING = ("grounding_present", "grounding_under_concept")
LABELS = {"mean_iou": "Mean IoU", "pointing_accuracy": "Pointing acc.", "object_iou": "Object IoU",
          "iou_gain": "IoU gain over pixel K-means", "grounding_present": "Grounding: part present",
          "grounding_under_concept": "Grounding: part under concept"}
METRICS = LOCALISATION + ("iou_gain",) + GROUNDING


def baseline_label(base: GroundTruthAggregate) -> str:
    k, patch = base.k, base.patch
    detail = ", ".join(x for x in (f"k = {k}" if k is not None else "", f"{patch} px patches" if patch else "") if x)
    return f"Pixel K-means baseline ({detail})" if detail else "Pixel K-means baseline"


def _gain(gt: GroundTruthAggregate, base: Optional[GroundTruthAggregate]) -> Optional[float]:
    a, b = gt.mean_iou, (base.mean_iou if base is not None else None)
    return None if a is None or b is None else a - b


def _controls(c: Optional[dict]) -> dict:
    """The controls shown beside the ground-truth metrics (schema 1.3; None values without them)."""
    c = c or {}
    g = lambda *path: _dig(c, path)
    return {"ctl": {"grounding_present": (g("grounding_random", "present"), g("grounding_class_prior", "present")),
                    "grounding_under_concept": (g("grounding_random", "under_concept"),
                                                g("grounding_class_prior", "under_concept")),
                    "mean_iou": (g("random_labels", "mean_iou"), g("oracle_foreground", "mean_iou"))}}


def _dig(d, path):
    for k in path:
        d = d.get(k) if isinstance(d, dict) else None
    return d


def gt_rows(methods, per_method: dict, baseline: Optional[GroundTruthAggregate],
            controls: Optional[dict] = None) -> list[dict]:
    """Rows (one per method with ground truth, then the baseline) from the ground truths of one model at one level:
    ``per_method`` = {method: :class:`GroundTruthAggregate` or None}; ``controls`` = {method: controls dict or None}
    (each row's ``ctl`` then holds, per metric, the pair of controls shown beside it: (random descriptors, class
    prior) for grounding, (random labels on the same foreground, parts within the true object) for mean IoU)."""
    rows = []
    for m in methods:
        gt = per_method.get(m)
        if gt is None:
            continue
        rows.append({"parts": m, "label": f"{method_label(m)} parts", "baseline": False,
                     "k": None, "patch": None, "n_images": gt.n_images, "n_concepts": gt.n_concepts,
                     **{k: gt.metric(k) for k in LOCALISATION + GROUNDING}, "iou_gain": _gain(gt, baseline),
                     **_controls((controls or {}).get(m))})
    if baseline is not None:
        rows.append({"parts": BASELINE, "label": baseline_label(baseline), "baseline": True,
                     "k": baseline.k, "patch": baseline.patch, "n_images": baseline.n_images,
                     "n_concepts": baseline.n_concepts, **{k: baseline.metric(k) for k in LOCALISATION},
                     "iou_gain": None, **{k: None for k in GROUNDING}})
    return rows


def model_rows(ds, mv) -> list[dict]:
    """Data-set-level ground-truth rows of one model."""
    s = mv.run.summary
    return gt_rows(ds.methods, {m: ms.ground_truth for m, ms in s.methods.items()}, s.ground_truth_baseline,
                   {m: ms.controls for m, ms in s.methods.items()})


def class_rows(ds, cls: str) -> list[dict]:
    """Per model that has ``cls``: that class's ground-truth rows, each with its model view under ``mv``."""
    out = []
    for mv in ds.models:
        rec = ds.records.get(cls, {}).get(mv.id)
        if rec is None:
            continue
        for row in gt_rows(ds.methods, {m: r.ground_truth for m, r in rec.methods.items()},
                           rec.ground_truth_baseline, {m: r.controls for m, r in rec.methods.items()}):
            out.append({"mv": mv, **row})
    return out


def _metric_columns() -> list[Column]:
    return [Column(k, LABELS[k], "num", 3) for k in METRICS]


def ground_truth_table(ds) -> Table:
    """The leaderboard's ground-truth table: per model, a row per part method and the model's baseline row."""
    cols = [Column("model", "Model"), Column("model_id", "Model id"), Column("parts", "Parts"),
            Column("label", "Parts (label)"), Column("k", "k", "int"), Column("patch", "Patch (px)", "int"),
            Column("n_images", "Images", "int"), Column("n_concepts", "Concepts", "int")] + _metric_columns()
    rows = [{"model": mv.label, "model_id": mv.id, **row} for mv in ds.models for row in model_rows(ds, mv)]
    return Table("ground-truth", f"Ground-truth part metrics: {ds.label}", cols, rows,
                 "Means over images of shares in [0, 1]; the baseline is K-means on raw pixel patches of the "
                 "model's patch size (no model), with the same k and foreground.")


def part_sources(ds, mv) -> list[tuple[str, str, dict]]:
    """(key, label, {part: PartScore}) of each method with ground truth and of the baseline."""
    s = mv.run.summary
    out = [(m, f"{method_label(m)} parts", s.methods[m].ground_truth.parts or {})
           for m in ds.methods if m in s.methods and s.methods[m].ground_truth is not None]
    if s.ground_truth_baseline is not None:
        out.append((BASELINE, "Pixel K-means", s.ground_truth_baseline.parts or {}))
    return out


def parts_table(ds, mv) -> Table:
    """Per ground-truth part: how many visual concepts matched it and their mean IoU, per method and baseline."""
    sources = part_sources(ds, mv)
    names = sorted({p for _, _, parts in sources for p in parts})
    cols = [Column("part", "Ground-truth part")]
    for key, label, _ in sources:
        cols += [Column(f"{key}.matched", f"{label}: concepts matched", "int"),
                 Column(f"{key}.mean_iou", f"{label}: mean IoU", "num", 3)]
    rows = []
    for p in names:
        row = {"part": p}
        for key, _, parts in sources:
            v = parts.get(p)
            row[f"{key}.matched"] = (v.matched if v is not None else None) or 0
            row[f"{key}.mean_iou"] = v.mean_iou if v is not None else None
        rows.append(row)
    return Table(f"parts-{mv.slug}", f"Part localisation per ground-truth part: {mv.label} on {ds.label}", cols,
                 rows, "Visual concepts matched to each ground-truth part (best IoU) over all images, and their "
                 "mean IoU.")
