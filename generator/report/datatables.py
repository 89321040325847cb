"""Tables of the site built from the views: the leaderboard, per-class tables, AUC-vs-top-1 correlations, the
paper-reference cells and the per-pair comparison context (each table also becomes CSV/JSON/LaTeX downloads).
The ground-truth tables are in :mod:`generator.report.ground_truth`."""
from __future__ import annotations

from generator.evaluation.family import family_correlation

from .ground_truth import GROUNDING, LABELS as GT_LABELS, LOCALISATION
from .stats import linear_fit
from .tables import Column, Table
from .views import compare_rows, method_label

ALL_MODELS = "all models"


def leaderboard_table(ds) -> Table:
    cols = [Column("model", "Model"), Column("model_id", "Model id"), Column("pretrained", "Pretrained"),
            Column("paper_name", "Paper name"), Column("family", "Family"), Column("architecture", "Architecture"),
            Column("pretraining_data", "Pretraining data"), Column("resolution", "Resolution"),
            Column("params_m", "Params (M)", "num", 1), Column("n_images", "Images", "int")]
    keys = ["top1"] + [f"{k}.{m}" for k in ("mi", "auc") for m in ds.methods]
    for key in keys:
        label = metric_label(key)
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
        cols += [Column(f"{k}.{m}", metric_label(f"{k}.{m}"), "num") for k in ("mi", "auc")]
    if ds.ground_truth:
        for m in ds.methods:
            cols += [Column(f"gt.{m}.{k}", f"{GT_LABELS[k]} {method_label(m)}", "num", 3)
                     for k in LOCALISATION + GROUNDING]
        cols += [Column(f"gt.baseline.{k}", f"{GT_LABELS[k]} pixel K-means", "num", 3) for k in LOCALISATION]
    rows = []
    for c in mv.run.classes:
        row = {"class": c.name, "n_images": c.n_images, "top1": c.top1}
        for m, res in c.methods.items():
            row[f"mi.{m}"], row[f"auc.{m}"] = res.mi, res.auc
            for k, v in (res.ground_truth or {}).items():
                row[f"gt.{m}.{k}"] = v
        for k, v in (c.ground_truth_baseline or {}).items():
            row[f"gt.baseline.{k}"] = v
        rows.append(row)
    return Table(f"classes-{mv.slug}", f"Per-class results: {mv.label} on {ds.label}", cols, rows)


def correlations(ds, n_boot: int = 1000, seed: int = 0) -> list[dict]:
    """AUC against top-1 across models, per part method: over the models of each family and, when there are
    several families, over all models of the data set (``"all": True`` marks the row covering every model).

    The coefficients, p-values and bootstrap intervals are
    :func:`generator.evaluation.family.family_correlation`'s (scipy Pearson/Spearman, percentile bootstrap over
    models), so the site and the evaluation report the same numbers; the least-squares line is drawn in the chart.
    """
    groups: dict[str, list] = {}
    for mv in ds.models:
        groups.setdefault(mv.family or "unknown", []).append(mv)
    several = len(groups) > 1
    if several:
        groups[ALL_MODELS] = list(ds.models)
    out = []
    for m in ds.methods:
        for fam, members in groups.items():
            mvs = [mv for mv in members if m in mv.run.summary.methods]
            if not mvs:
                continue
            # one data set and unique ids by construction (folder names), whatever the summaries say
            summaries = [mv.run.summary.model_copy(update={"dataset": ds.name, "model_id": mv.id}) for mv in mvs]
            fc = family_correlation(summaries, methods=[m], n_boot=n_boot, seed=seed)
            res = fc["methods"][m]
            slope, intercept = linear_fit(res["auc"], fc["top1"])
            row = {"method": m, "family": fam, "all": fam == ALL_MODELS or not several, "n": res["n"],
                   "n_boot": res["n_boot"], "ci_level": res["ci_level"], "reason": res.get("reason"),
                   "slope": slope, "intercept": intercept}
            for name in ("pearson", "spearman"):
                c = res[name]
                row.update({name: c["r"], f"{name}.p": c["p"], f"{name}.lo": (c["ci"] or (None, None))[0],
                            f"{name}.hi": (c["ci"] or (None, None))[1], f"{name}.n_boot_valid": c["n_boot_valid"]})
            row["sentence"] = correlation_sentence(row, ds.label)
            out.append(row)
    return out


def _interval(row: dict, name: str) -> str:
    lo, hi = row[f"{name}.lo"], row[f"{name}.hi"]
    if lo is None:
        return "no bootstrap interval"
    return f"{100 * row['ci_level']:.0f}% CI [{lo:.2f}, {hi:.2f}]"


def _zero(row: dict, name: str) -> str:
    lo, hi = row[f"{name}.lo"], row[f"{name}.hi"]
    return "" if lo is None else ("includes" if lo <= 0 <= hi else "excludes")


def correlation_sentence(row: dict, dataset: str) -> str:
    """A plain report of one correlation row, whatever its value (no direction is assumed or praised)."""
    models = f"{row['n']} model" + ("s" if row["n"] != 1 else "")
    scope = f"the {models} on {dataset}" if row["family"] == ALL_MODELS or row["all"] else \
        f"the {models} of family {row['family']} on {dataset}"
    parts = f"{method_label(row['method'])} parts"
    if row["pearson"] is None and row["spearman"] is None:
        return f"Across {scope}, AUC ({parts}) and top-1 have no correlation coefficient: {row['reason']}."
    coef = []
    for name, symbol in (("pearson", "Pearson r"), ("spearman", "Spearman ρ")):
        r = row[name]
        coef.append(f"{symbol} = {r:.2f} ({_interval(row, name)})" if r is not None else f"no {symbol}")
    text = f"Across {scope}, the correlation between AUC ({parts}) and zero-shot top-1 is {coef[0]}, {coef[1]}."
    if row["n"] == 2:
        return text + " With two models any correlation is ±1 by construction, so it carries no evidence."
    zero = [f"the {s} interval {_zero(row, n)} zero" for n, s in (("pearson", "Pearson"), ("spearman", "Spearman"))
            if _zero(row, n)]
    if zero:
        joined = "; ".join(zero)
        text += " " + joined[0].upper() + joined[1:] + "."
    return text


def correlation_table(ds, rows: list[dict]) -> Table:
    cols = [Column("method", "Parts"), Column("family", "Family"), Column("n", "Models", "int")]
    for name, label in (("pearson", "Pearson r"), ("spearman", "Spearman rho")):
        cols += [Column(name, label, "num", 3), Column(f"{name}.lo", f"{label} CI low", "num", 3),
                 Column(f"{name}.hi", f"{label} CI high", "num", 3), Column(f"{name}.p", f"{label} p", "num", 3)]
    cols += [Column("n_boot", "Bootstrap resamples", "int"), Column("slope", "Slope", "num", 2),
             Column("intercept", "Intercept", "num", 2), Column("reason", "No coefficient because")]
    return Table("correlations", f"AUC vs top-1 correlations: {ds.label}", cols, rows,
                 "Pearson and Spearman correlation between the data-set AUC and zero-shot top-1 across models, with "
                 "percentile-bootstrap intervals over models (generator.evaluation.family.family_correlation).")


TEXT_COLUMNS = {"family": "Family", "model": "Model", "data": "Data", "group": "Group"}


def metric_label(key: str) -> str:
    """Display label of a metric key: ``top1`` -> "Top-1 (%)", ``mi.pca`` -> "MI PCA", ``auc`` -> "AUC"."""
    metric, _, method = key.partition(".")
    label = "Top-1 (%)" if metric == "top1" else metric.upper()
    return f"{label} {method_label(method)}" if method else label


def paper_label(key: str) -> str:
    return TEXT_COLUMNS.get(key) or metric_label(key)


def paper_table(t) -> Table:
    """A paper table (:class:`generator.report.paper.PaperTable`) as a download: one column per key of
    ``t.columns`` (dots become underscores; nested values read along the dotted key), models by paper name."""
    def value(r: dict, key: str):
        if key == "model":
            return r.get("paper_name", r["model"])
        v = r
        for part in key.split("."):
            v = v.get(part) if isinstance(v, dict) else None
        return v

    cols = [Column(k.replace(".", "_"), k, "text" if k in TEXT_COLUMNS else "num") for k in t.columns]
    rows = [{k.replace(".", "_"): value(r, k) for k in t.columns} for r in t.rows]
    return Table(t.file[:-5], t.title, cols, rows)


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
