"""The reproduction report (issue 9 item 5): every number of ours that the paper also reports (Tables 1, 2, 3, 6 and
7), set beside the paper's with the difference, our bootstrap interval (resampled by class, the stored
``intervals``) and whether the paper's value lies inside it; a scatter of ours vs the paper's with y = x; and a plain
list of what could not be computed here and why. Reads result files only (no torch, no model).

Matching: a run belongs to a paper table when its data set matches the table's aliases and its model matches a paper
model (:class:`generator.report.paper.PaperData`). Tables 6 and 7 do not name the part method, so ours are listed for
every method. Table 1 is the paper's ViT-B/16 on ImageNet val; Table 2 compares the descriptor classifier's top-1
(``Summary.augmentation``, transductive) with its stored intervals (schema 1.4: base and augmented top-1 resampled
by class, and their paired difference).

One computation feeds ``mkbench reproduce-report`` (:func:`reproduce`) and the site's Replication page
(:func:`reproduce_summaries` on the runs the site loaded; :func:`chart_rows` for its Altair scatter).
"""
from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

from generator.errors import UserError
from generator.report.paper import PaperData, load_paper_data, norm

QUALITY_METRICS = ("deletion", "insertion", "acc_drop", "acc_inc")
UNIT = "class"      # the interval shown: resampled by class (the stored "image" one is narrower)


@dataclass
class Row:
    table: str
    dataset: str
    model_id: str
    paper_model: str
    metric: str
    method: Optional[str]
    ours: Optional[float]
    paper: Optional[float]
    lo: Optional[float] = None
    hi: Optional[float] = None
    unit: Optional[str] = None
    run: Optional[str] = None       # "<dataset folder>/<model id>" of the result it comes from

    @property
    def diff(self) -> Optional[float]:
        return None if self.ours is None or self.paper is None else self.ours - self.paper

    @property
    def inside(self) -> Optional[bool]:
        if self.paper is None or self.lo is None or self.hi is None or not all(map(math.isfinite, (self.lo, self.hi))):
            return None
        return bool(self.lo <= self.paper <= self.hi)

    def to_dict(self) -> dict:
        return {**asdict(self), "diff": self.diff, "inside": self.inside}


@dataclass
class Missing:
    table: str
    item: str
    reason: str


@dataclass
class Sanity:
    """One sanity check of one run and part method: a stored baseline verdict (paired, by class) or the random-weights
    comparison (unpaired: the trained and the random-weights runs' by-class intervals must not overlap)."""

    run: str
    method: str
    check: str
    passes: bool
    detail: str


@dataclass
class Reproduction:
    rows: list[Row] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    sanity: list[Sanity] = field(default_factory=list)
    tables: list[dict] = field(default_factory=list)    # {"table", "title", "source"} of the paper, in order

    def rows_of(self, table: str) -> list[Row]:
        return [r for r in self.rows if r.table == table]

    def missing_of(self, table: str) -> list[Missing]:
        return [m for m in self.missing if m.table == table]

    def to_dict(self) -> dict:
        inside = [r.inside for r in self.rows if r.inside is not None]
        return {"rows": [r.to_dict() for r in self.rows], "missing": [asdict(m) for m in self.missing],
                "sanity": [asdict(c) for c in self.sanity], "tables": self.tables,
                "runs": self.runs, "n_compared": len(self.rows), "n_with_interval": len(inside),
                "n_inside": int(sum(inside)), "interval_unit": UNIT}


def _interval(ivs: Optional[dict], metric: str) -> tuple:
    iv = ((ivs or {}).get(metric) or {}).get(UNIT) or ((ivs or {}).get(metric) or {}).get("image")
    if not iv:
        return None, None, None
    return iv.get("lo"), iv.get("hi"), iv.get("unit")


def _summaries(results: Path) -> list[tuple[str, object]]:
    from generator.results.io import read_summary

    out = []
    for path in sorted(Path(results).glob("*/*/summary.json")):
        if any(part.startswith(".") for part in path.relative_to(results).parts):
            continue
        try:
            out.append((str(path.parent.relative_to(results)), read_summary(path)))
        except (OSError, ValueError) as e:
            raise UserError(f"{path}: unreadable result file ({str(e).splitlines()[0]}); run `mkbench validate`") from None
    return out


def _extra_table(folder: Path, name: str) -> Optional[dict]:
    path = Path(folder) / name
    if not path.is_file():
        return None
    try:
        t = json.loads(path.read_text(encoding="utf-8"))
        t["_aliases"] = {norm(a) for a in t["dataset"]["aliases"]} | {norm(t["dataset"]["name"])}
        return t
    except (OSError, KeyError, ValueError) as e:
        raise UserError(f"{path}: malformed paper table ({e!r}); restore it from the repository") from None


def _table_3_6_7(rep: Reproduction, paper: PaperData, runs) -> None:
    for t in paper.tables:
        matched = set()
        for where, s in runs:
            if norm(s.dataset) not in t.aliases:
                continue
            pm = paper.model_of(s)
            row = t.row_for(pm.key if pm else None)
            if row is None:
                continue
            matched.add(row["model"])
            rep.rows.append(Row(t.table, s.dataset, s.model_id, pm.paper_name, "top1", None, s.top1,
                                t.value(row, "top1", None), *_interval(s.intervals, "top1"), run=where))
            for method, m in s.methods.items():
                if t.methods is not None and method not in t.methods:
                    continue
                for metric in ("mi", "auc"):
                    rep.rows.append(Row(t.table, s.dataset, s.model_id, pm.paper_name, metric, method,
                                        getattr(m, metric), t.value(row, metric, method),
                                        *_interval(m.intervals, metric), run=where))
        ds_here = any(norm(s.dataset) in t.aliases for _, s in runs)
        for row in t.rows:
            if row["model"] not in matched:
                rep.missing.append(Missing(t.table, f"{paper.models[row['model']].paper_name} on {t.dataset_name}",
                                           _why(paper, row["model"], t.dataset_name, ds_here)))


def _why(paper: PaperData, key: str, dataset: str, dataset_here: bool) -> str:
    tags = ", ".join(f"{a}/{b}" for a, b in paper.models[key].open_clip)
    if not dataset_here:
        return (f"no results on {dataset} here: neither the data set nor the model's pretrained weights ({tags}) "
                f"are distributed with mkbench (download both and run `mkbench run paper13`)")
    return (f"no run of this model on {dataset} here: its pretrained weights ({tags}) are not available offline on "
            f"this machine (open_clip downloads them on first use)")


def _table1(rep: Reproduction, paper: PaperData, t: Optional[dict], runs) -> None:
    if t is None:
        return
    key = t["model"]
    hits = [(w, s) for w, s in runs if norm(s.dataset) in t["_aliases"]
            and (pm := paper.model_of(s)) is not None and pm.key == key]
    for row in t["rows"]:
        if row["ours"] is None:
            rep.missing.append(Missing(t["table"], row["method"], "a trained baseline (App. D, ImageNet train); "
                                       "mkbench implements only the training-free method and its sanity baselines"))
            continue
        if not hits:
            rep.missing.append(Missing(t["table"], row["method"], _why(paper, key, t["dataset"]["name"], any(
                norm(s.dataset) in t["_aliases"] for _, s in runs))))
            continue
        for where, s in hits:
            m = s.methods.get(row["ours"])
            if m is None or not m.quality:
                rep.missing.append(Missing(t["table"], f"{row['method']} ({s.model_id})",
                                           "the run has no quality metrics (computed with evaluations off)"))
                continue
            for metric in QUALITY_METRICS:
                rep.rows.append(Row(t["table"], s.dataset, s.model_id, paper.models[key].paper_name, metric,
                                    row["ours"], m.quality.get(metric), row[metric], *_interval(m.intervals, metric),
                                    run=where))


def _table2(rep: Reproduction, paper: PaperData, t: Optional[dict], runs) -> None:
    if t is None:
        return
    matched = set()
    for where, s in runs:
        if norm(s.dataset) not in t["_aliases"]:
            continue
        pm = paper.model_of(s)
        row = next((r for r in t["rows"] if pm and r["model"] == pm.key), None)
        if row is None:
            continue
        matched.add(row["model"])
        if not s.augmentation:
            rep.missing.append(Missing(t["table"], f"{row['paper_name']} ({s.model_id})",
                                       "the run has no augmentation result (computed with evaluations off)"))
            continue
        ivs = s.augmentation.get("intervals") or {}
        for metric, key in (("base", "base_top1"), ("augmented", "augmented_top1"), ("delta", "delta")):
            rep.rows.append(Row(t["table"], s.dataset, s.model_id, row["paper_name"], metric, None,
                                s.augmentation[key], row[metric], *_interval(ivs, key), run=where))
    here = any(norm(s.dataset) in t["_aliases"] for _, s in runs)
    for row in t["rows"]:
        if row["model"] not in matched:
            rep.missing.append(Missing(t["table"], f"{row['paper_name']} on {t['dataset']['name']}",
                                       _why(paper, row["model"], t["dataset"]["name"], here)))
    rep.missing.append(Missing(t["table"], "CuPL baseline", "not implemented (needs CuPL's GPT-3 prompts)"))


def reproduce(results, paper_folder) -> Reproduction:
    """Compare every run under ``results`` with the paper's tables in ``paper_folder`` (``data/paper``)."""
    results = Path(results)
    if not results.is_dir():
        raise UserError(f"{results}: results folder not found; pass the folder `mkbench run` wrote")
    return reproduce_summaries(_summaries(results), paper_folder)


RANDOM_WEIGHTS_METRICS = {"auc": False, "deletion": True, "insertion": False}   # metric -> lower is better


def _sanity(rep: Reproduction, runs) -> None:
    """The stored baseline verdicts of every run, and trained vs random weights where both runs exist."""
    for where, s in runs:
        for method, m in s.methods.items():
            for base, v in (m.sanity or {}).items():
                detail = "; ".join(f"{k} {x['diff']:+.3f} [{x['lo']:+.3f}, {x['hi']:+.3f}]"
                                   for k, x in v.get("metrics", {}).items())
                rep.sanity.append(Sanity(where, method, base, bool(v.get("passes")), detail))
    untrained = {(s.dataset, s.model): (w, s) for w, s in runs if s.untrained}
    for where, s in runs:
        other = untrained.get((s.dataset, s.model))
        if s.untrained or other is None:
            continue
        for method, m in s.methods.items():
            r = other[1].methods.get(method)
            if r is None:
                continue
            ok, parts = True, []
            for metric, lower in RANDOM_WEIGHTS_METRICS.items():
                a = ((m.intervals or {}).get(metric) or {}).get("class")
                b = ((r.intervals or {}).get(metric) or {}).get("class")
                if not a or not b:
                    continue
                better = a["hi"] < b["lo"] if lower else a["lo"] > b["hi"]
                ok &= better
                parts.append(f"{metric} {a['mean']:.3f} [{a['lo']:.3f}, {a['hi']:.3f}] vs random weights "
                             f"{b['mean']:.3f} [{b['lo']:.3f}, {b['hi']:.3f}]")
            if parts:
                rep.sanity.append(Sanity(where, method, f"random_weights_run ({other[0]}, unpaired)", bool(ok),
                                         "; ".join(parts)))


def _public(source: str) -> str:
    """A table's source without the pointer into mkbench's internal method spec ("(spec §2.7)")."""
    return re.sub(r"\s*\(spec §[^)]*\)", "", source).strip()


def reproduce_summaries(runs: list, paper_folder, paper: Optional[PaperData] = None) -> Reproduction:
    """As :func:`reproduce` for already read ``(where, Summary)`` pairs (the site has them loaded)."""
    paper = paper or load_paper_data(paper_folder)
    rep = Reproduction(runs=[w for w, _ in runs])
    t1, t2 = _extra_table(paper_folder, "quality_table1.json"), _extra_table(paper_folder, "augmentation_table2.json")
    rep.tables = [{"table": t["table"], "title": t.get("title", ""), "source": _public(t.get("source", ""))}
                  for t in (t1, t2) if t] + [{"table": t.table, "title": t.title, "source": _public(t.source)}
                                             for t in paper.tables]
    _table1(rep, paper, t1, runs)
    _table2(rep, paper, t2, runs)
    _table_3_6_7(rep, paper, runs)
    _sanity(rep, runs)
    return rep


def scatter_rows(rep: Reproduction) -> list[dict]:
    return [{"paper": r.paper, "ours": r.ours, "metric": r.metric, "table": r.table, "model": r.paper_model,
             "method": r.method or ""} for r in rep.rows if r.ours is not None and r.paper is not None]


def scatter_spec(rep: Reproduction, width: int = 360, height: int = 360) -> dict:
    """Vega-Lite (Altair) scatter of ours (y) vs the paper's (x), one colour per metric, with the y = x line."""
    import altair as alt

    rows = scatter_rows(rep)
    ends = [min([0.0] + [min(r["paper"], r["ours"]) for r in rows]), max([1.0] + [max(r["paper"], r["ours"]) for r in rows])]
    points = alt.Chart(alt.Data(values=rows)).mark_point(filled=True, size=50).encode(
        x=alt.X("paper:Q", title="paper's value"), y=alt.Y("ours:Q", title="our value"),
        color=alt.Color("metric:N"), shape=alt.Shape("table:N"),
        tooltip=["table:N", "model:N", "metric:N", "method:N", "paper:Q", "ours:Q"])
    line = alt.Chart(alt.Data(values=[{"v": v} for v in ends])).mark_line(color="gray", strokeDash=[4, 4]).encode(
        x="v:Q", y="v:Q")
    return alt.layer(line, points).properties(width=width, height=height,
                                              title="ours vs the paper's (dashed: y = x)").to_dict()


METRIC_LABELS = {"top1": "top-1 (%)", "mi": "MI", "auc": "AUC", "deletion": "deletion", "insertion": "insertion",
                 "acc_drop": "AccDrop", "acc_inc": "AccInc", "base": "base top-1 (%)",
                 "augmented": "augmented top-1 (%)", "delta": "augmented - base (points)"}


def chart_rows(rep: Reproduction) -> list[dict]:
    """Rows of the site's Altair scatter (``generator.report.charts`` kind ``replication``): one point per compared
    number with our interval (the point itself when none is stored), one panel per metric, and the two ends of the
    line y = x of each panel (rows of kind ``diag``)."""
    order = {k: i for i, k in enumerate(METRIC_LABELS)}
    pts = []
    for r in rep.rows:
        if r.ours is None or r.paper is None:
            continue
        has = r.lo is not None and r.hi is not None and math.isfinite(r.lo) and math.isfinite(r.hi)
        pts.append({"kind": "point", "metric": METRIC_LABELS.get(r.metric, r.metric), "order": order.get(r.metric, 99),
                    "table": r.table, "model": r.paper_model, "dataset": r.dataset, "method": r.method or "",
                    "paper": r.paper, "ours": r.ours, "lo": r.lo if has else r.ours, "hi": r.hi if has else r.ours,
                    "agreement": {True: "paper inside our interval", False: "paper outside our interval",
                                  None: "no interval"}[r.inside]})
    diag = []
    for metric in sorted({p["metric"] for p in pts}):
        vals = [v for p in pts if p["metric"] == metric for v in (p["paper"], p["lo"], p["hi"])]
        o = next(p["order"] for p in pts if p["metric"] == metric)
        diag += [{"kind": "diag", "metric": metric, "order": o, "paper": v, "ours": v} for v in (min(vals), max(vals))]
    return pts + diag


def rows_table(rep: Reproduction):
    """The comparison as a :class:`generator.report.tables.Table` (CSV / JSON / LaTeX downloads of the site)."""
    from generator.report.tables import Column, Table

    cols = [Column("table", "Table"), Column("dataset", "Data set"), Column("model_id", "Model"),
            Column("metric", "Metric"), Column("method", "Method"), Column("ours", "Ours", "num", 3),
            Column("lo", "Lower (by class)", "num", 3), Column("hi", "Upper (by class)", "num", 3),
            Column("paper", "Paper", "num", 3), Column("diff", "Ours - paper", "num", 3),
            Column("inside", "Paper inside")]
    rows = [{**r.to_dict(), "inside": "" if r.inside is None else ("yes" if r.inside else "no")} for r in rep.rows]
    return Table("reproduction", "Reproduction: ours beside the paper's", cols, rows)


def markdown(rep: Reproduction) -> str:
    d = rep.to_dict()
    out = ["# Reproduction report", "",
           f"{d['n_compared']} numbers compared; {d['n_with_interval']} have an interval (95 %, resampled by "
           f"{UNIT}); the paper's value lies inside {d['n_inside']} of them.", "",
           "| table | data set | model | metric | method | ours | 95 % interval | paper | ours − paper | inside |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    if not rep.rows:   # a table of headers only would read as a failure: say why instead
        out[-2:] = [f"None of the {len(rep.runs)} runs is one of the paper's models on the paper's data sets; "
                    "\"Not computed here\" below says, per table, what is missing and why."]
    for r in rep.rows:
        iv = f"[{r.lo:.3f}, {r.hi:.3f}]" if r.lo is not None and r.hi is not None else "–"
        out.append(f"| {r.table} | {r.dataset} | {r.model_id} | {r.metric} | {r.method or '–'} | "
                   f"{_n(r.ours)} | {iv} | {_n(r.paper)} | {_n(r.diff)} | "
                   f"{'–' if r.inside is None else ('yes' if r.inside else 'no')} |")
    out += ["", "## Sanity checks (the explanation must beat each baseline)", "",
            "| run | method | check | passes | method - baseline [95 % interval, by class] |", "|---|---|---|---|---|"]
    out += [f"| {c.run} | {c.method} | {c.check} | {'yes' if c.passes else 'NO'} | {c.detail} |" for c in rep.sanity]
    out += ["", "## Not computed here", ""]
    out += [f"- {m.table}: {m.item}: {m.reason}" for m in rep.missing]
    return "\n".join(out) + "\n"


def _n(v) -> str:
    return "–" if v is None else f"{v:.3f}"


def write(rep: Reproduction, out: Path, static: bool = True) -> list[Path]:
    """Write reproduction.json / .csv / .md and scatter.vl.json (+ scatter.svg with vl-convert) under ``out``."""
    from generator.results.io import atomic_write_bytes

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    d = rep.to_dict()
    buf = io.StringIO()
    cols = ["table", "dataset", "model_id", "paper_model", "metric", "method", "ours", "lo", "hi", "unit", "paper",
            "diff", "inside"]
    w = csv.DictWriter(buf, fieldnames=cols)
    w.writeheader()
    for r in d["rows"]:
        w.writerow({k: r[k] for k in cols})
    spec = scatter_spec(rep)
    files = {"reproduction.json": json.dumps(d, indent=1), "reproduction.csv": buf.getvalue(),
             "reproduction.md": markdown(rep), "scatter.vl.json": json.dumps(spec)}
    written = []
    for name, text in files.items():
        atomic_write_bytes(out / name, text.encode("utf-8"))
        written.append(out / name)
    if static:
        import vl_convert as vlc

        atomic_write_bytes(out / "scatter.svg", vlc.vegalite_to_svg(spec).encode("utf-8"))
        written.append(out / "scatter.svg")
    return written
