"""``mkbench site``: results -> staging folder (Markdown pages, tables, charts, assets, ``mkdocs.yml``) ->
``mkdocs build --strict`` -> ``site/``; ``mkbench serve``: the same staging folder -> ``mkdocs serve``
(:func:`serve_site`).

Pages (per data set ``<ds>``): ``<ds>/index`` leaderboard, ``<ds>/charts``, ``<ds>/models/<model>``,
``<ds>/classes/index`` and ``<ds>/classes/<class>``, ``<ds>/compare/index`` and ``<ds>/compare/<a>--<b>``;
site-wide: home, paper reference, citation. The navigation lists only the home, one leaderboard per data set,
the paper and the citation pages: every other page is reached from those, which keeps the build linear in the
number of pages (spec of the site: 13 models x 1,000 classes in minutes, not hours). Data sets with part masks
also get ground-truth tables (:mod:`generator.report.ground_truth`) on their leaderboard, model and class pages; every
leaderboard reports the AUC-top-1 correlation across its models (:func:`generator.report.datatables.correlations`).

With ``versioned=True`` the site goes to ``OUT/v<version>/`` and ``OUT/index.html`` redirects to the newest
version, so cited URLs of older versions stay valid when the folders are kept (see the Pages workflow).
"""
from __future__ import annotations

import functools
import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional

from generator.errors import UserError
from generator.results.metrics import CURVE_METRICS
from generator.resources import checkout_root, paper_dir, templates_dir
from generator.outputs import check_claimable, check_separate, claim, clear_owned, fresh_beside, owned, publish

from .assets import write_vendor_assets
from . import reproduction
from .datatables import (class_table, compare_context, correlation_table, correlations, latex_paper_table,
                         leaderboard_table, paper_cell, paper_label, paper_table)
from .findings import leaderboard_findings, model_findings
from .escape import unique_slugs
from .controls import controls_table, corrected_correlations, findings as control_findings, is_synthetic
from .ground_truth import class_rows as gt_class_rows
from .ground_truth import ground_truth_table, model_rows as gt_model_rows, parts_table
from .load import load_all
from .pages import Writer, make_env
from .paper import load_paper_data
from .provenance import provenance, public_value, run_card
from .quality import QUALITY_METRICS, SANITY_CHECKS, quality_protocol, quality_rows
from .stats import quartiles
from .views import dataset_view, method_label, top_concepts

STATIC_CHOICES = ("summary", "all", "none")
RAW_MAX_BYTES = 16 * 2**20   # raw result files larger than this are listed with their sha256 but not copied


@dataclass
class SiteOptions:
    results: Path
    out: Path = Path("site")
    staging: Optional[Path] = None
    templates: Path = field(default_factory=templates_dir)   # shipped with the package (generator.resources)
    paper_data: Path = field(default_factory=paper_dir)
    versioned: bool = False
    site_url: Optional[str] = None
    n_boot: int = 1000
    examples: int = 2
    jobs: Optional[int] = None
    static_charts: str = "summary"   # "summary": data-set and model charts; "all": also class pages; "none"
    search: bool = True
    seed: int = 0
    force: bool = False   # build into a non-empty --out folder mkbench did not create (its other files are kept)


@dataclass
class BuildReport:
    site_dir: Path
    n_pages: int
    n_files: int
    timings: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)


# (writer, pending pages) inherited by forked page-rendering workers
_FORK_STATE: tuple = ()


def _render_chunk(indices: list[int]) -> tuple[int, int, list]:
    w, pending = _FORK_STATE
    w.n_pages, w.n_files, w.links = 0, 0, []
    for i in indices:
        rel, template, make_ctx = pending[i]
        w.page(rel, template, **make_ctx())
    return w.n_pages, w.n_files, w.links


SITE_STAGES = ("load", "pages", "assets", "mkdocs")   # what ``on_stage`` is called with, in order (build_site)


class SiteBuilder:
    def __init__(self, opts: SiteOptions, log: Callable[[str], None],
                 on_stage: Optional[Callable[[str], None]] = None):
        self.opts, self.log, self.on_stage = opts, log, on_stage or (lambda name: None)
        self.timings: dict[str, float] = {}
        self.warnings: list[str] = []
        self.pending: list[tuple[str, str, Callable[[], dict]]] = []
        self.control_findings: dict[str, list[str]] = {}   # data set name -> sentences (report/controls.py)

    def _queue(self, rel: str, template: str, **ctx) -> None:
        """Render this page later, with the other bulk pages, possibly in parallel (:meth:`_flush`)."""
        self.pending.append((rel, template, lambda: ctx))

    def _flush(self, w: Writer) -> None:
        """Render the queued pages: in ``jobs`` forked workers when there are many and fork is available
        (the workers inherit the loaded results, nothing is pickled but counts and file lists), else here."""
        global _FORK_STATE
        jobs = min(self.opts.jobs or os.cpu_count() or 1, max(1, len(self.pending) // 50))
        if jobs > 1 and "fork" in multiprocessing.get_all_start_methods():
            _FORK_STATE = (w, self.pending)
            chunks = [list(range(i, len(self.pending), jobs)) for i in range(jobs)]
            try:
                with multiprocessing.get_context("fork").Pool(jobs) as pool:
                    results = pool.map(_render_chunk, chunks)
            finally:
                _FORK_STATE = ()
            for n_pages, n_files, links in results:
                w.n_pages += n_pages
                w.n_files += n_files
                w.links += links
        else:
            for rel, template, make_ctx in self.pending:
                w.page(rel, template, **make_ctx())
        self.pending = []

    def _tick(self, name: str, t0: float) -> float:
        t = time.perf_counter()
        self.timings[name] = round(t - t0, 2)
        self.on_stage(name)
        return t

    def stage(self, for_serve: bool = False) -> tuple[Path, Path, dict, Writer]:
        """Write the staging folder (``docs/``, ``fragments/``, ``overrides/``, ``mkdocs.yml``); returns
        (staging, site_dir, provenance, writer). ``for_serve``: result files such as overlay PNGs are placed into
        ``docs/`` (``mkdocs serve`` serves only what MkDocs builds) instead of next to the built site."""
        o = self.opts
        check_outputs(o, for_serve=for_serve)
        if o.static_charts not in STATIC_CHOICES:
            raise UserError(f"--static-charts {o.static_charts!r}: choose one of {', '.join(STATIC_CHOICES)}")
        if not o.templates.is_dir():
            raise UserError(f"{o.templates}: templates folder not found; pass --templates DIR")
        t = time.perf_counter()
        paper = load_paper_data(o.paper_data)
        runs = load_all(o.results, n_boot=o.n_boot, n_examples=o.examples, jobs=o.jobs, seed=o.seed)
        for rs in runs.values():
            for r in rs:
                self.warnings += r.warnings
        t = self._tick("load", t)
        ds_slugs = unique_slugs(sorted(runs))
        datasets = [dataset_view(name, ds_slugs[name], rs, paper) for name, rs in sorted(runs.items())]
        prov = provenance(asdict(o), checkout_root())
        prov["results"] = [{"dataset": ds.label, "model": mv.label,
                            **public_value(mv.run.summary.provenance.model_dump()), "untrained": mv.untrained}
                           for ds in datasets for mv in ds.models]
        if o.staging:   # a folder mkbench created before (marked) is emptied; any other non-empty one was refused
            staging = Path(o.staging)
            if staging.is_dir() and owned(staging):
                clear_owned(staging)
            claim(staging, "staging")
        else:
            staging = claim(tempfile.mkdtemp(prefix="mkbench-site-"), "staging")
        docs = staging / "docs"
        docs.mkdir(parents=True)
        env = make_env(o.templates)
        common = {"site": prov, "datasets": datasets, "paper": paper, "search": o.search}
        w = Writer(docs, env, common)
        self.prov = prov
        for ds in datasets:
            self._dataset(w, ds)
        self._flush(w)
        t = self._tick("pages", t)
        self._site_pages(w, datasets, paper)
        shutil.copytree(o.templates / "assets", docs / "assets" / "mkbench")
        write_vendor_assets(docs)
        if for_serve:
            _place_files(w.links, docs)
        self._tick("assets", t)
        site_dir = Path(o.out).resolve()
        if o.versioned:
            site_dir = site_dir / f"v{prov['version']}"
        (staging / "overrides").mkdir(exist_ok=True)
        shutil.copytree(o.templates / "overrides", staging / "overrides", dirs_exist_ok=True)
        synthetic = [ds.label for ds in datasets if is_synthetic(ds)]
        cfg = env.get_template("mkdocs.yml.j2").render(site=prov, datasets=datasets, search=o.search,
                                                     synthetic=synthetic,
                                                     site_url=o.site_url, site_dir=str(site_dir),
                                                     hooks=str(Path(__file__).with_name("mkdocs_hooks.py")))
        (staging / "mkdocs.yml").write_text(cfg, encoding="utf-8")
        return staging, site_dir, prov, w

    def build(self) -> BuildReport:
        """Stage, build with MkDocs into a fresh folder beside the target, then move it into place
        (:func:`generator.outputs.publish`): an interrupted build leaves the previous site as it was."""
        o = self.opts
        staging, site_dir, prov, w = self.stage()
        out = Path(o.out).resolve()
        if o.versioned:
            check_claimable(site_dir, f"--out {o.out} (version folder)", o.force)
        t = time.perf_counter()
        built = fresh_beside(site_dir, "site")
        try:
            self._mkdocs(staging, built)
            _place_files(w.links, built)
            publish(built, site_dir, force=o.force)
        finally:
            if built.exists():
                shutil.rmtree(built, ignore_errors=True)
        if o.versioned:
            self._version_index(out, prov["version"])
        self._tick("mkdocs", t)
        if not o.staging:
            shutil.rmtree(staging, ignore_errors=True)
        return BuildReport(site_dir, w.n_pages, w.n_files, self.timings, self.warnings)

    # -- one data set -------------------------------------------------------------------------------
    def _dataset(self, w: Writer, ds) -> None:
        o, base = self.opts, ds.slug   # site paths: the slug, never the user's folder name
        static = o.static_charts != "none"
        # data-set charts and the AUC-top-1 correlation (shown on the leaderboard and the charts page)
        order = {m: i for i, m in enumerate(ds.methods)}
        points = [{"model": mv.label, "family": mv.family or "unknown", "method": method_label(m), "order": order[m],
                   "auc": mv.metrics[f"auc.{m}"].value, "top1": mv.metrics["top1"].value}
                  for mv in ds.models for m in ds.methods if f"auc.{m}" in mv.metrics]
        curves = [curve_row(mv.label, method_label(m), order.get(m, 99), c) for mv in ds.models
                  for m, c in mv.curves.items()]
        dist = []
        for mv in ds.models:
            for m in ds.methods:
                for metric in CURVE_METRICS:
                    vals = [getattr(c.methods[m], metric) for c in mv.run.classes if m in c.methods]
                    q = quartiles(vals)
                    if q:
                        dist.append({"model": mv.label, "family": mv.family or "unknown",
                                     "panel": f"{metric.upper()} · {method_label(m)}",
                                     "order": (metric == "auc") * 10 + order[m], **q})
        charts = {
            "auc": w.chart(f"{base}/charts/auc-vs-top1", "auc_vs_top1", points,
                           "AUC against zero-shot top-1, by family, with least-squares lines per family", static),
            "curves": w.chart(f"{base}/charts/mean-curves", "curves", curves,
                              "Mean MI-dynamics curve per model (click a legend entry to highlight)", static),
            "dist": w.chart(f"{base}/charts/distributions", "distributions", dist,
                            "Per-class MI and AUC: range, quartiles and median per model", static,
                            width=220, height=max(120, 22 * len(ds.models))),
        }
        corr = correlations(ds, n_boot=o.n_boot, seed=o.seed)
        corr_stem = w.table(f"{base}/tables/correlations", correlation_table(ds, corr), table_meta(ds, self.prov))
        # leaderboard
        board = leaderboard_table(ds)
        meta = table_meta(ds, self.prov)
        w.table(f"{base}/tables/leaderboard", board, meta)
        paper_tex = w.text(f"{base}/tables/leaderboard-paper.tex", latex_paper_table(ds, self.prov))
        gt_stem = None
        if ds.ground_truth:
            gt_stem = w.table(f"{base}/tables/ground-truth", ground_truth_table(ds), meta)
        # controls beside every number (report/controls.py)
        ctl_table = controls_table(ds)
        ctl_stem = w.table(f"{base}/tables/controls", ctl_table, meta)
        ctl_findings = control_findings(ds, corrected_correlations(ds, n_boot=o.n_boot, seed=o.seed))
        self.control_findings[ds.name] = ctl_findings
        w.page(f"{base}/index.md", "dataset.md.j2", ds=ds, tables_stem=f"{base}/tables/leaderboard",
               families=sorted({m.family for m in ds.models if m.family}),
               data_values=sorted({m.pretraining_data for m in ds.models if m.pretraining_data}),
               corr=corr, corr_stem=corr_stem, auc_chart=charts["auc"], gt_stem=gt_stem, paper_tex=paper_tex,
               findings=leaderboard_findings(ds, corr, o.n_boot), **board_columns(ds),
               ctl_table=ctl_table, ctl_stem=ctl_stem, ctl_findings=ctl_findings, synthetic=is_synthetic(ds),
               quality=quality_rows(ds), quality_protocol=quality_protocol(ds), quality_metrics=QUALITY_METRICS,
               sanity_checks=SANITY_CHECKS,
               gt=[{"mv": mv, **r} for mv in ds.models for r in gt_model_rows(ds, mv)] if ds.ground_truth else [])
        w.page(f"{base}/charts.md", "charts.md.j2", ds=ds, charts=charts, corr=corr, tables_stem=corr_stem,
               fits=[(t.table, fam, f) for t in ds.paper_tables for fam, f in t.fits.items()])
        # model pages
        for mv in ds.models:
            ct = class_table(ds, mv)
            stem = w.table(f"{base}/tables/classes-{mv.slug}", ct, table_meta(ds, self.prov, [mv]))
            rows = [{"method": method_label(m), "step": i, "mi": v} for m, c in mv.curves.items()
                    for i, v in enumerate(c)]
            chart = w.chart(f"{base}/charts/models/{mv.slug}", "model_curve", rows,
                            f"Mean MI-dynamics curve of {mv.label}", static, width=420, height=240)
            first = ds.methods[0] if ds.methods else None
            ranked = sorted((c for c in mv.run.classes if first in c.methods),
                            key=lambda c: (-c.methods[first].auc, c.name)) if first else []
            gt, parts = None, None
            if ds.ground_truth:
                pt = parts_table(ds, mv)
                gt = gt_model_rows(ds, mv)
                parts = {"table": pt, "stem": w.table(f"{base}/tables/{pt.name}", pt)} if pt.rows else None
            w.page(f"{base}/models/{mv.slug}.md", "model.md.j2", ds=ds, mv=mv, chart=chart, tables_stem=stem,
                   findings=model_findings(ds, mv), card=run_card(mv.run.summary),
                   raw=self._raw_files(w, ds, mv),
                   strongest=ranked[:10], weakest=ranked[::-1][:10], rank_method=first,
                   shared={m: top_concepts(mv.run.classes, m) for m in ds.methods}, gt=gt, parts=parts)
        # class pages
        first = ds.methods[0] if ds.methods else None
        index_rows = []
        for c in ds.classes:
            recs = list(ds.records[c].values())
            aucs = [r.methods[first].auc for r in recs if first in r.methods]
            index_rows.append({"name": c, "n_models": len(recs), "top1": sum(r.top1 for r in recs) / len(recs),
                               "auc": sum(aucs) / len(aucs) if aucs else None})
        w.page(f"{base}/classes/index.md", "classes.md.j2", ds=ds, rows=index_rows)
        overlay_urls: dict[Path, str] = {}
        class_static = o.static_charts == "all"
        for c in ds.classes:
            slug = ds.class_slugs[c]
            rows = [curve_row(mv.label, method_label(m), order.get(m, 99), res.curve)
                    for mv in ds.models if mv.id in ds.records.get(c, {})
                    for m, res in ds.records[c][mv.id].methods.items()]
            chart = w.chart(f"{base}/charts/classes/{slug}", "curves", rows,
                            "MI-dynamics curve of this class per model", class_static, width=300, height=200)
            examples = []
            for mv in ds.models:
                for ex in mv.run.examples.get(c, []):
                    def site_file(src):
                        if src is None:
                            return None
                        if src not in overlay_urls:
                            overlay_urls[src] = w.copy(overlay_path(base, mv, src), src)
                        return overlay_urls[src]

                    views = {m: {"src": site_file(v.overlay), "view": v,
                                 "layers": {k: site_file(f) for k, f in v.layers.items()}}
                             for m, v in ex.methods.items()}
                    examples.append({"model": mv, "ex": ex, "views": views, "original": site_file(ex.original),
                                     "mask": site_file(ex.mask)})
            images = sorted({e["ex"].image for e in examples})
            self._queue(f"{base}/classes/{slug}.md", "class.md.j2", ds=ds, cls=c, recs=ds.records.get(c, {}),
                   chart=chart, examples=examples, images=images,
                   gt=gt_class_rows(ds, c) if ds.ground_truth else [])
        # comparisons
        pairs = [(a, b) for i, a in enumerate(ds.models) for b in ds.models[i + 1:]]
        w.page(f"{base}/compare/index.md", "compare_index.md.j2", ds=ds, pairs=pairs)
        for a, b in pairs:
            self.pending.append((f"{base}/compare/{a.slug}--{b.slug}.md", "compare.md.j2",
                                 functools.partial(compare_context, ds, a, b, n_boot=o.n_boot, seed=o.seed)))

    # -- site-wide pages ------------------------------------------------------------------------------
    def _site_pages(self, w: Writer, datasets, paper) -> None:
        by_key = {(ds.name, mv.paper_key): mv for ds in datasets for mv in ds.models if mv.paper_key}
        ours = []
        for t in paper.tables:
            ds = next((d for d in datasets if t in d.paper_tables), None)
            stem = w.table(f"paper/{t.file[:-5]}", paper_table(t), {"source": t.source, "notes": t.notes})
            ours.append({"table": t, "ds": ds, "stem": stem, "labels": [paper_label(k) for k in t.columns],
                         "rows": [[paper_cell(t, r, k, by_key.get((ds.name, r["model"])) if ds else None)
                                   for k in t.columns] for r in t.rows]})
        w.page("paper.md", "paper.md.j2", tables=ours)
        # the reproduction report's computation (mkbench reproduce-report), on the runs this site loaded
        runs = {f"{mv.run.dataset}/{mv.run.model_id}": (ds, mv) for ds in datasets for mv in ds.models}
        rep = reproduction.reproduce_summaries([(where, mv.run.summary) for where, (_, mv) in runs.items()],
                                               self.opts.paper_data, paper)
        rep_stem = w.table("tables/replication", reproduction.rows_table(rep),
                           {"provenance": _site_meta(self.prov), "interval_unit": reproduction.UNIT,
                            "not_computed": [{"table": m.table, "item": m.item, "reason": m.reason}
                                             for m in rep.missing]})
        points = reproduction.chart_rows(rep)
        rep_chart = w.chart("charts/replication", "replication", points,
                            "Ours against the paper's value, one panel per metric; dashed: y = x; vertical rules: "
                            "our 95% interval (resampled by class); orange: the paper's value lies outside it",
                            self.opts.static_charts != "none", width=220, height=220) if points else None
        w.page("replication.md", "replication.md.j2", rep=rep, links=runs, stem=rep_stem, chart=rep_chart,
               labels=reproduction.METRIC_LABELS)
        w.page("cite.md", "cite.md.j2", site_url=self.opts.site_url)
        # the home page's example: the first overlay in data-set, model, class, image, method order
        first = next(((ds, mv, c, ex, m, v) for ds in datasets for mv in ds.models for c in ds.classes
                      for ex in mv.run.examples.get(c, []) for m, v in ex.methods.items() if v.overlay is not None),
                     None)
        example = None
        if first:
            ds, mv, c, ex, m, v = first
            example = {"src": w.copy(overlay_path(ds.slug, mv, v.overlay), v.overlay),
                       "view": v, "ex": ex, "model": mv, "ds": ds, "cls": c, "method": m}
        synthetic = [ds for ds in datasets if is_synthetic(ds)]
        if synthetic:
            w.page("demo-world.md", "demo_world.md.j2", synthetic=synthetic)
        w.page("index.md", "index.md.j2", example=example, control_findings=self.control_findings,
               synthetic=synthetic)

    # -- MkDocs ----------------------------------------------------------------------------------------
    def _mkdocs(self, staging: Path, site_dir: Path) -> None:
        """``mkdocs build --strict`` into ``site_dir``, in this process (no child to outlive a killed build)."""
        self.log("running: mkdocs build --strict")
        run_mkdocs_build(staging / "mkdocs.yml", site_dir)

    def _version_index(self, out: Path, version: str) -> None:
        from generator.results.io import atomic_write_text

        versions = sorted((p.name for p in out.glob("v*") if (p / "index.html").exists()), reverse=True)
        atomic_write_text(out / "versions.json", json.dumps({"latest": f"v{version}", "versions": versions},
                                                            indent=1))
        atomic_write_text(out / "index.html", VERSION_INDEX_HEAD +
                          f'<meta http-equiv="refresh" content="0; url=v{version}/index.html">'
                          f'<p>Latest version: <a href="v{version}/index.html">v{version}</a></p>\n')


    def _raw_files(self, w: Writer, ds, mv) -> list[dict]:
        """The run's result files as downloads with their sha256: ``summary.json`` with local paths replaced by
        file names (:func:`generator.report.provenance.public_value`), ``classes.json`` and ``images.jsonl`` as
        they are."""
        out = []
        folder = mv.run.folder
        base = f"{ds.slug}/results/{mv.slug}"
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        text = json.dumps(public_value(summary), indent=1, ensure_ascii=False) + "\n"
        rel = w.text(f"{base}/summary.json", text)
        out.append({"name": "summary.json", "path": rel, "sha256": hashlib.sha256(text.encode()).hexdigest(),
                    "bytes": len(text.encode()), "note": "local paths replaced by file names"})
        for name in ("classes.json", "images.jsonl"):
            src = folder / name
            if not src.is_file():
                continue
            size = src.stat().st_size
            if size > RAW_MAX_BYTES:   # keep the site publishable (GitHub Pages: 1 GB): list it, checksum to verify
                out.append({"name": name, "path": None, "sha256": _sha256(src), "bytes": size,
                            "note": f"not published (over {RAW_MAX_BYTES // 2**20} MiB); the checksum verifies a copy"})
            else:
                out.append({"name": name, "path": w.copy(f"{base}/{name}", src), "sha256": _sha256(src),
                            "bytes": size, "note": "as written by mkbench compute"})
        return out


def board_columns(ds) -> dict:
    """The leaderboard's metric columns: the headline metric first, then top-1, then the rest; the compact default
    shows the headline, top-1 and the other methods' AUC (MI and the model card behind "Show all columns")."""
    keys = [ds.headline] + [k for k in ["top1"] + [f"{x}.{m}" for x in ("auc", "mi") for m in ds.methods]
                            if k != ds.headline]
    compact = [k for k in keys if k == ds.headline or k == "top1" or k.startswith("auc.")]
    return {"board_keys": keys, "compact_keys": compact}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _site_meta(prov: dict) -> dict:
    return {k: prov.get(k) for k in ("version", "date", "commit", "config_hash")} | {"tools": prov.get("tools")}


def table_meta(ds, prov: dict, models=None) -> dict:
    """``meta`` of a JSON download: the site build, every run behind the table (public provenance), the units and
    what the intervals are."""
    from .views import METRIC_HELP

    return {"dataset": ds.label, "site": _site_meta(prov),
            "runs": [{"model": mv.label, "model_id": mv.id,
                      **public_value(mv.run.summary.provenance.model_dump())} for mv in (models or ds.models)],
            "units": {k: v[1] for k, v in METRIC_HELP.items()},
            "intervals": "95% percentile bootstrap over images "
                         f"({prov.get('config', {}).get('n_boot')} resamples, seed {prov.get('config', {}).get('seed')})"}


VERSION_INDEX_HEAD = "<!doctype html><meta charset=utf-8><title>mkbench</title>"


def check_outputs(o: SiteOptions, for_serve: bool = False) -> None:
    """Refuse output folders that would overwrite or delete what mkbench did not create (before any work):
    --out/--staging overlapping --results, --templates, --paper-data or each other; a non-empty --staging or
    --out that mkbench did not create (--out: unless ``o.force``); with ``versioned``, an index.html in --out that
    is not mkbench's version redirect."""
    outs = {"--staging": o.staging} if for_serve else {"--out": o.out, "--staging": o.staging}
    check_separate(outs, {"--results": o.results, "--templates": o.templates, "--paper-data": o.paper_data})
    if o.staging:
        check_claimable(o.staging, "--staging")
    if for_serve:
        return
    out = Path(o.out)
    if not o.versioned:
        check_claimable(out, "--out", o.force)
        return
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: exists and is not a folder; choose a folder")
    index = out / "index.html"
    if index.is_file() and not (o.force or owned(out)) and \
            not index.read_text(encoding="utf-8", errors="replace").startswith(VERSION_INDEX_HEAD):
        raise UserError(f"--out {out}: {index} is not mkbench's version redirect and --versioned would overwrite "
                        "it; choose another folder or pass --force")


def run_mkdocs_build(config_file: Path, site_dir: Path) -> None:
    """``mkdocs build --strict`` of ``config_file`` into ``site_dir`` in-process; its warnings and errors become
    one :class:`UserError` naming the staging folder."""
    import logging

    from mkdocs import exceptions
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    logger = logging.getLogger("mkdocs")
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(f"{record.levelname}: {record.getMessage()}")

    handler = Keep(level=logging.WARNING)
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        build(load_config(str(config_file), site_dir=str(site_dir), strict=True))
    except (exceptions.MkDocsException, exceptions.Abort, SystemExit) as e:
        detail = "\n".join(records[-30:]) or str(e)
        raise UserError(f"mkdocs build --strict failed (staging folder {config_file.parent}):\n{detail[-4000:]}") \
            from None
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def overlay_path(ds_slug: str, mv, overlay: Path) -> str:
    """Site path of a result's overlay PNG: named by a hash of its source path (unique, no user text in URLs)."""
    return f"{ds_slug}/overlays/{mv.slug}/{hashlib.sha1(str(overlay).encode()).hexdigest()[:16]}{overlay.suffix}"


def curve_row(model: str, method: str, order: int, curve) -> dict:
    """A row of the ``curves`` chart: the whole curve as arrays (the chart flattens them)."""
    return {"model": model, "method": method, "order": order, "step": list(range(len(curve))),
            "mi": [round(float(v), 4) for v in curve]}


def _place_files(links, site_dir: Path) -> None:
    """Hard-link (else copy) result files such as overlay PNGs into the built site."""
    for rel, src in dict(links).items():
        dst = site_dir / rel
        if dst.exists():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst)
        except OSError:
            shutil.copyfile(src, dst)


def build_site(opts: SiteOptions, log: Callable[[str], None] = lambda s: None,
               on_stage: Optional[Callable[[str], None]] = None) -> BuildReport:
    """Build the website from the results in ``opts.results`` into ``opts.out`` (see the module docstring).
    ``on_stage(name)`` is called as each of :data:`SITE_STAGES` finishes (a progress bar's hook)."""
    return SiteBuilder(opts, log, on_stage).build()


def _stop(proc: subprocess.Popen, grace: float = 5.0) -> int:
    """Stop a child politely: SIGINT (like Ctrl-C), then SIGTERM, then SIGKILL; returns its exit status."""
    steps = [lambda: proc.send_signal(signal.SIGINT)] if os.name == "posix" else []
    for step in steps + [proc.terminate, proc.kill]:
        step()
        try:
            return proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
    return proc.wait()


def _serve_child() -> None:
    """In the ``mkdocs serve`` child before exec: SIGINT handled by default, and (Linux) SIGTERM when this
    process dies, so that a killed ``mkbench serve`` leaves no server behind."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def serve_site(opts: SiteOptions, dev_addr: str = "127.0.0.1:8000", livereload: bool = True,
               log: Callable[[str], None] = lambda s: None) -> int:
    """Render the staging folder from ``opts.results`` (as :func:`build_site` does) and run ``mkdocs serve`` on
    it until interrupted; returns MkDocs' exit status. The staging folder is removed afterwards unless
    ``opts.staging`` names it. MkDocs rebuilds when a staged file changes; new results need a new ``serve``."""
    builder = SiteBuilder(opts, log)
    staging, _, _, w = builder.stage(for_serve=True)
    for msg in builder.warnings:
        log(f"warning: {msg}")
    cmd = [sys.executable, "-m", "mkdocs", "serve", "-f", str(staging / "mkdocs.yml"), "--dev-addr", dev_addr]
    if not livereload:
        cmd.append("--no-livereload")
    log(f"{w.n_pages} pages staged in {staging}; running: mkdocs serve --dev-addr {dev_addr} (Ctrl-C stops)")
    # MkDocs must stop on SIGINT (and then remove its temporary build folder) even when we were started with SIGINT
    # ignored, as background jobs of a shell are
    posix = os.name == "posix"
    proc = subprocess.Popen(cmd, preexec_fn=_serve_child if posix else None)
    stop: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    try:
        while not stop:
            try:
                return proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
        return _stop(proc)
    except KeyboardInterrupt:  # Ctrl-C in a terminal reaches MkDocs too: give it a moment first
        try:
            return proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            return _stop(proc)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if not opts.staging:
            shutil.rmtree(staging, ignore_errors=True)
