"""From loaded runs and the paper's tables to the plain data the page templates show (no I/O here).

* :func:`model_view` - a leaderboard row: model card fields (the typed ``summary.model_info``,
  :class:`generator.results.schema.ModelInfo`, else the paper's model table, else missing), each metric with its bootstrap interval and, where the paper reports the model on
  this data set, the paper's value and our difference.
* :func:`dataset_view` - models, classes (union over runs), per-class records per model, class slugs, whether
  any run has ground-truth part metrics.
* :func:`compare_rows` - per-class differences between two models (AUC, top-1, mutual concepts).
* :func:`headline_metric`, :data:`METRIC_HELP` - what the leaderboard ranks by and what each metric measures.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

from generator.results.metrics import metric_keys, split_key

from .escape import unique_slugs
from .load import Run, ordered_methods
from .paper import PaperData
from .stats import rank_groups

METHOD_LABELS = {"pca": "PCA", "kmeans": "K-means"}


def method_label(m: str) -> str:
    return METHOD_LABELS.get(m, m)


# what each metric measures and which way is better (header tooltips, findings, download units)
METRIC_HELP = {
    "top1": ("Zero-shot top-1 accuracy: share of images whose predicted class is the true class", "%",
             "higher is better"),
    "mi": ("Mutual information between the vision and the language concepts of an image with all concepts kept "
           "(log of the product of both set sizes and their matches), mean over images", "nats", "higher is better"),
    "auc": ("Area under the MI-dynamics curve: how slowly the shared information falls as the most important vision "
            "concepts are removed one by one; mean over images", "nats", "higher is better (stronger shared "
            "knowledge)"),
}


def metric_help(key: str) -> str:
    """Tooltip text of metric ``key`` (``top1``, ``mi.pca``, ``auc.kmeans``)."""
    metric, _, method = key.partition(".")
    what, unit, better = METRIC_HELP[metric]
    parts = f", with {method_label(method)} parts" if method else ""
    return f"{what}{parts}. Unit: {unit}; {better}."


def metric_unit(key: str) -> str:
    return METRIC_HELP[key.partition(".")[0]][1]


def headline_metric(methods) -> str:
    """The metric a data set's leaderboard ranks by: the AUC of its first part method (the paper's measure of
    shared knowledge), else top-1."""
    return f"auc.{methods[0]}" if methods else "top1"


CHECKPOINT_SUFFIXES = (".pt", ".pth", ".bin", ".safetensors", ".ckpt")


def weights_tag(pretrained: str, untrained: bool = False) -> str:
    """How a model's weights are named on the site: the open_clip tag, ``untrained``, or a checkpoint's file
    stem (never a local path)."""
    if untrained:
        return "untrained"
    if "/" in pretrained or "\\" in pretrained or pretrained.lower().endswith(CHECKPOINT_SUFFIXES):
        name = pretrained.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
        for suffix in CHECKPOINT_SUFFIXES:
            if name.lower().endswith(suffix):
                return name[: -len(suffix)]
        return name
    return pretrained


def _resolution(v):
    if isinstance(v, (list, tuple)) and v:
        return int(v[0]) if len(set(v)) == 1 else "x".join(str(int(x)) for x in v)
    try:
        return int(v)
    except (TypeError, ValueError):
        return v


@dataclass
class Metric:
    value: float
    lo: float = math.nan
    hi: float = math.nan
    paper: Optional[float] = None
    paper_note: str = ""

    @property
    def diff(self) -> Optional[float]:
        return None if self.paper is None else self.value - self.paper


@dataclass
class ModelView:
    id: str
    slug: str
    name: str
    pretrained: str
    label: str
    paper_key: Optional[str]     # key of the matching model in the paper's models.json
    paper_name: Optional[str]
    family: Optional[str]
    architecture: Optional[str]
    pretraining_data: Optional[str]
    resolution: object
    params_m: Optional[float]
    untrained: bool
    n_images: int
    n_classes: int
    metrics: dict[str, Metric]
    curves: dict[str, list[float]]
    run: Run = field(repr=False)
    rank: Optional[int] = None        # by the data set's headline metric (:func:`generator.report.stats.rank_groups`)
    rank_shared: int = 1              # how many models hold this rank


def model_view(run: Run, slug: str, paper: PaperData, tables: Optional[list] = None) -> ModelView:
    """``tables``: the paper's tables of the run's data set (default: matched by the run's folder name)."""
    s = run.summary
    info = s.model_info   # results.schema.ModelInfo: typed fields, each possibly None
    pm = paper.model_of(s)
    if tables is None:
        tables = paper.tables_for(run.dataset)
    table = next((t for t in tables if pm and t.row_for(pm.key)), None)
    row = table.row_for(pm.key) if table else None

    def metric(key: str, value: float, paper_metric: str, method: Optional[str]) -> Metric:
        ci = run.ci.get(key)
        m = Metric(value, ci.lo if ci else math.nan, ci.hi if ci else math.nan)
        if row is not None:
            m.paper = table.value(row, paper_metric, method)
            if m.paper is not None and paper_metric != "top1" and not table.methods:
                m.paper_note = f"{table.table}: part method not stated"
            elif m.paper is not None:
                m.paper_note = table.table
        return m

    metrics = {}
    for key in metric_keys(ordered_methods(s.methods)):
        name, meth = split_key(key)
        metrics[key] = metric(key, s.top1 if meth is None else getattr(s.methods[meth], name), name, meth)
    label = f"{s.model} ({weights_tag(s.pretrained, s.untrained)})" if s.pretrained or s.untrained else s.model
    return ModelView(
        id=run.model_id, slug=slug, name=s.model, pretrained=weights_tag(s.pretrained), label=label,
        paper_key=pm.key if pm else None, paper_name=pm.paper_name if pm else None,
        family=info.family or (pm.family if pm else None),
        architecture=(pm.architecture if pm else None) or s.model,
        pretraining_data=info.data or (pm.pretraining_data if pm else None),
        resolution=_resolution(info.image_size or (pm.resolution if pm else None)),
        params_m=info.params_m, untrained=s.untrained,
        n_images=s.n_images, n_classes=s.n_classes, metrics=metrics,
        curves={m: list(v.curve) for m, v in s.methods.items()}, run=run)


def has_ground_truth(summary) -> bool:
    """Whether a run has ground-truth part metrics (schema 1.1, data sets with part masks)."""
    return summary.ground_truth_baseline is not None or any(ms.ground_truth for ms in summary.methods.values())


@dataclass
class DatasetView:
    name: str                 # folder name (URL)
    label: str                # display name
    slug: str
    models: list[ModelView]
    methods: list[str]
    classes: list[str]
    class_slugs: dict[str, str]
    records: dict[str, dict[str, object]]   # class -> model id -> ClassRecord
    paper_tables: list
    ground_truth: bool = False              # some run has ground-truth part metrics (data set with part masks)
    headline: str = "top1"                  # metric the leaderboard ranks by (:func:`headline_metric`)
    ranked: list = field(default_factory=list)   # models by rank, then headline value (descending), then id


def dataset_view(name: str, slug: str, runs: list[Run], paper: PaperData) -> DatasetView:
    labels = {r.summary.dataset for r in runs if r.summary.dataset}
    label = labels.pop() if len(labels) == 1 else name
    tables = paper.tables_for(name) or paper.tables_for(label)
    model_slugs = unique_slugs([r.model_id for r in runs])
    models = [model_view(r, model_slugs[r.model_id], paper, tables) for r in runs]
    methods = ordered_methods({m for r in runs for m in r.methods})
    classes: list[str] = []
    records: dict[str, dict[str, object]] = {}
    for r in runs:
        for c in r.classes:
            if c.name not in records:
                classes.append(c.name)
                records[c.name] = {}
            records[c.name][r.model_id] = c
    ground_truth = any(has_ground_truth(r.summary) for r in runs)
    headline = headline_metric(methods)
    with_metric = [mv for mv in models if headline in mv.metrics]
    ranks = rank_groups([mv.metrics[headline].value for mv in with_metric],
                        [mv.metrics[headline].lo for mv in with_metric], [mv.metrics[headline].hi for mv in with_metric])
    for mv, r in zip(with_metric, ranks):
        mv.rank, mv.rank_shared = r, ranks.count(r)
    ranked = sorted(models, key=lambda mv: (mv.rank is None, mv.rank or 0,
                                            -(mv.metrics[headline].value if headline in mv.metrics else 0), mv.id))
    return DatasetView(name, label, slug, models, methods, classes, unique_slugs(classes), records, tables,
                       ground_truth, headline, ranked)


def _mutual(rec, method: str) -> list[str]:
    res = rec.methods.get(method) if rec is not None else None
    return [c.descriptor for c in res.mutual_concepts] if res else []


def _auc(rec, method):
    res = rec.methods.get(method) if rec is not None else None
    return res.auc if res else None


def compare_rows(ds: DatasetView, a: ModelView, b: ModelView, concept_method: str) -> list[dict]:
    """One row per class both models have: top-1 and AUC (every method) of each and their difference, and the
    mutual concepts (of ``concept_method``) one model shares and the other does not."""
    rows = []
    for c in ds.classes:
        ra, rb = ds.records[c].get(a.id), ds.records[c].get(b.id)
        if ra is None or rb is None:
            continue
        row = {"class": c, "top1_a": ra.top1, "top1_b": rb.top1, "top1_diff": ra.top1 - rb.top1}
        for m in ds.methods:
            va, vb = _auc(ra, m), _auc(rb, m)
            row[f"auc_a.{m}"], row[f"auc_b.{m}"] = va, vb
            row[f"auc_diff.{m}"] = None if va is None or vb is None else va - vb
        ma, mb = _mutual(ra, concept_method), _mutual(rb, concept_method)
        sa, sb = set(ma), set(mb)
        row["only_a"] = [d for d in ma if d not in sb]
        row["only_b"] = [d for d in mb if d not in sa]
        rows.append(row)
    return rows


def top_concepts(classes, method: str, key: str = "mutual_concepts", k: int = 20) -> list[tuple[str, int]]:
    """The ``k`` concepts with the highest summed count over ``classes`` (ClassRecords) for ``method``."""
    total: dict[str, int] = {}
    for c in classes:
        res = c.methods.get(method)
        for cc in getattr(res, key, []) if res else []:
            total[cc.descriptor] = total.get(cc.descriptor, 0) + cc.count
    return sorted(total.items(), key=lambda x: (-x[1], x[0]))[:k]
