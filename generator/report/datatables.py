"""Tables of the site built from the views: the leaderboard, per-class tables, AUC-vs-top-1 correlations, the
paper-reference cells and the per-pair comparison context (each table also becomes CSV/JSON/LaTeX downloads)."""
from __future__ import annotations

from .stats import linear_fit, pearson, spearman
from .tables import Column, Table
from .views import compare_rows, method_label


def leaderboard_table(ds) -> Table:
    cols = [Column("model", "Model"), Column("model_id", "Model id"), Column("pretrained", "Pretrained"),
            Column("paper_name", "Paper name"), Column("family", "Family"), Column("architecture", "Architecture"),
            Column("pretraining_data", "Pretraining data"), Column("resolution", "Resolution"),
            Column("params_m", "Params (M)", "num", 1), Column("n_images", "Images", "int")]
    keys = ["top1"] + [f"{k}.{m}" for k in ("mi", "auc") for m in ds.methods]
    for key in keys:
        label = "Top-1 (%)" if key == "top1" else f"{key.split('.')[0].upper()} {method_label(key.split('.')[1])}"
        cols += [Column(key, label, "num"), Column(f"{key}.lo", f"{label} CI low", "num"),
                 Column(f"{key}.hi", f"{label} CI high", "num"), Column(f"{key}.paper", f"{label} paper", "num"),
                 Column(f"{key}.diff", f"{label} diff. to paper", "num")]
    rows = []
    for mv in ds.models:
        row = {"model": mv.name, "model_id": mv.id, "pretrained": mv.pretrained, "paper_name": mv.paper_name,
               "family": mv.family, "architecture": mv.architecture, "pretraining_data": mv.pretraining_data,
               "resolution": mv.resolution, "params_m": mv.params_m, "n_images": mv.n_images}
        for key in keys:
            m = mv.metrics.get(key)
            if m:
                row.update({key: m.value, f"{key}.lo": m.lo, f"{key}.hi": m.hi, f"{key}.paper": m.paper,
                            f"{key}.diff": m.diff})
        rows.append(row)
    return Table("leaderboard", f"Leaderboard: {ds.label}", cols, rows,
                 "Point estimates from summary.json; 95% percentile-bootstrap intervals over images.")


def class_table(ds, mv) -> Table:
    cols = [Column("class", "Class"), Column("n_images", "Images", "int"), Column("top1", "Top-1 (%)", "num")]
    for m in ds.methods:
        cols += [Column(f"mi.{m}", f"MI {method_label(m)}", "num"), Column(f"auc.{m}", f"AUC {method_label(m)}", "num")]
    rows = []
    for c in mv.run.classes:
        row = {"class": c.name, "n_images": c.n_images, "top1": c.top1}
        for m, res in c.methods.items():
            row[f"mi.{m}"], row[f"auc.{m}"] = res.mi, res.auc
        rows.append(row)
    return Table(f"classes-{mv.slug}", f"Per-class results: {mv.label} on {ds.label}", cols, rows)


def correlations(ds) -> list[dict]:
    out = []
    for m in ds.methods:
        groups: dict[str, list] = {}
        for mv in ds.models:
            if f"auc.{m}" in mv.metrics:
                groups.setdefault(mv.family or "unknown", []).append(mv)
        if len(groups) > 1:
            groups["all models"] = [mv for g in list(groups.values()) for mv in g]
        for fam, mvs in groups.items():
            x = [mv.metrics[f"auc.{m}"].value for mv in mvs]
            y = [mv.metrics["top1"].value for mv in mvs]
            slope, intercept = linear_fit(x, y)
            out.append({"method": m, "family": fam, "n": len(mvs), "pearson": pearson(x, y),
                        "spearman": spearman(x, y), "slope": slope, "intercept": intercept})
    return out


TEXT_COLUMNS = {"family": "Family", "model": "Model", "data": "Data", "group": "Group"}


def paper_label(key: str) -> str:
    if key in TEXT_COLUMNS:
        return TEXT_COLUMNS[key]
    metric, _, method = key.partition(".")
    label = "Top-1 (%)" if metric == "top1" else metric.upper()
    return f"{label} {method_label(method)}" if method else label


def paper_cell(table, row: dict, key: str, mv) -> dict:
    """A cell of the paper page: the paper's value and, when we have the model on that data set, ours."""
    if key in TEXT_COLUMNS:
        return {"text": row.get("paper_name", row["model"]) if key == "model" else row.get(key), "mv": mv}
    metric, _, method = key.partition(".")
    paper_value = table.value(row, metric, method or None)
    ours = []
    if mv is not None:
        keys = [key] if method or metric == "top1" else [k for k in mv.metrics if k.startswith(metric + ".")]
        for k in keys:
            if k in mv.metrics:
                v = mv.metrics[k].value
                ours.append({"label": method_label(k.partition(".")[2]) if not method and metric != "top1" else "",
                             "value": v, "diff": None if paper_value is None else v - paper_value})
    return {"paper": paper_value, "ours": ours}


def compare_context(ds, a, b) -> dict:
    cm = ds.methods[0] if ds.methods else ""
    rows = compare_rows(ds, a, b, cm)
    stats = {}
    for m in ds.methods:
        d = [r[f"auc_diff.{m}"] for r in rows if r[f"auc_diff.{m}"] is not None]
        if d:
            stats[m] = {"a": sum(x > 0 for x in d), "b": sum(x < 0 for x in d), "mean": sum(d) / len(d)}
    top1_mean = sum(r["top1_diff"] for r in rows) / len(rows) if rows else None
    return dict(ds=ds, a=a, b=b, rows=rows, concept_method=cm, stats=stats, top1_mean=top1_mean)
