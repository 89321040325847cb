"""Find and read result files (only through :mod:`generator.results.io`) and reduce each (dataset, model) run to
what the site shows: summary, per-class records, bootstrap intervals over images and a few example images.

Layout read: ``RESULTS/<dataset>/<model-id>/{summary.json, classes.json, images.jsonl}``; overlay PNG paths in
image records are resolved against the run folder, then the dataset folder, then ``RESULTS``, and must stay inside
``RESULTS`` (:func:`generator.results.checks.confined`). A run that fails the engine's invariants
(:mod:`generator.results.checks`, as ``mkbench validate``) is refused with its folder and first problem.
Runs are independent, so they are read in parallel worker processes (``jobs``).
"""
from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from generator.errors import UserError
from generator.results import metrics
from generator.results.checks import check_data, confined
from generator.results.io import read_classes, read_images, read_summary
from generator.results.schema import ClassRecord, Summary

from .stats import Interval, bootstrap_means

METHOD_ORDER = ("pca", "kmeans")


def ordered_methods(names) -> list[str]:
    names = set(names)
    return [m for m in METHOD_ORDER if m in names] + sorted(names - set(METHOD_ORDER))


@dataclass
class ExamplePart:
    color: str
    descriptors: list[str]
    area: float
    part: int = 0


@dataclass
class ExampleView:
    overlay: Optional[Path]  # absolute path of the overlay PNG, None when absent
    parts: list[ExamplePart]
    mutual: list[str]
    mi: float
    layers: dict[int, Path] = field(default_factory=dict)   # part -> hover layer PNG (runner/overlays.py)
    on_part: dict[int, tuple] = field(default_factory=dict)  # part -> (ground-truth part or None, IoU), with masks


@dataclass
class Example:
    image: str
    prediction: str
    correct: bool
    methods: dict[str, ExampleView]
    original: Optional[Path] = None       # overlays/original/<name>.png
    mask: Optional[Path] = None           # overlays/mask/<name>.png (data sets with part masks)
    mask_legend: list = field(default_factory=list)   # [{"name", "color"}]


def _sibling_files(overlay: Path, method: str) -> tuple[Optional[Path], Optional[Path], list]:
    """(original, mask, mask legend) written beside ``overlays/<method>/<name>.png`` (generator.runner.overlays)."""
    parts = overlay.parts
    try:
        i = len(parts) - 1 - parts[::-1].index(method)
    except ValueError:
        return None, None, []
    base, name = Path(*parts[:i]), Path(*parts[i + 1:])
    original, mask = base / "original" / name, base / "mask" / name
    legend = []
    if mask.is_file() and mask.with_suffix(".json").is_file():
        try:
            legend = [{"name": str(x.get("name")), "color": str(x.get("color"))}
                      for x in json.loads(mask.with_suffix(".json").read_text(encoding="utf-8")).get("parts", [])]
        except (ValueError, AttributeError):
            legend = []
    return (original if original.is_file() else None), (mask if mask.is_file() else None), legend


def _layers(overlay: Path, parts) -> dict[int, Path]:
    out = {}
    for p in parts:
        f = overlay.with_name(f"{overlay.stem}.part{int(p.part)}{overlay.suffix}")
        if f.is_file():
            out[int(p.part)] = f
    return out


def _on_part(res) -> dict[int, tuple]:
    concepts = (res.ground_truth.concepts if res.ground_truth is not None else None) or []
    return {int(c.concept): (c.part, c.iou) for c in concepts if c.concept is not None}


@dataclass
class Run:
    dataset: str
    model_id: str
    folder: Path
    summary: Summary
    classes: list[ClassRecord]
    methods: list[str]
    n_records: int
    ci: dict[str, Interval]          # "top1", "mi.<method>", "auc.<method>"
    sample_means: dict[str, float]   # the same statistics recomputed from images.jsonl
    examples: dict[str, list[Example]]
    warnings: list[str] = field(default_factory=list)
    # per image, in images.jsonl order: "image" and "label" (lists), and each interval's statistic (arrays);
    # compare pages pair two models' images by path
    per_image: dict = field(default_factory=dict)


def discover(results) -> dict[str, list[Path]]:
    """{dataset: [run folders]} for every ``RESULTS/<dataset>/<model-id>/summary.json``."""
    root = Path(results)
    if not root.is_dir():
        raise UserError(f"{root}: results folder not found; pass --results DIR (the --out of `mkbench compute`)")
    found: dict[str, list[Path]] = {}
    for summary in sorted(root.glob("*/*/summary.json")):
        found.setdefault(summary.parent.parent.name, []).append(summary.parent)
    if not found:
        hint = ""
        if any(root.glob("*/summary.json")):
            hint = f" ({root} looks like one dataset's folder: pass its parent, {root.parent})"
        raise UserError(f"{root}: no results found: expected {root}/<dataset>/<model-id>/summary.json{hint}; "
                        "run `mkbench compute` first")
    return found


def _stored(summary: Summary, key: str) -> float:
    """The value ``summary`` stores for a metric key (``top1``, ``mi.pca``, ...)."""
    metric, method = metrics.split_key(key)
    return summary.top1 if method is None else getattr(summary.methods[method], metric)


def load_run(folder, root, n_boot: int = 1000, n_examples: int = 2, seed: int = 0) -> Run:
    """Read one run folder and reduce it (see the module docstring)."""
    folder, root = Path(folder), Path(root)
    try:
        summary = read_summary(folder / "summary.json")
        classes = read_classes(folder / "classes.json").classes
        records = read_images(folder / "images.jsonl")
    except (OSError, ValueError, RecursionError) as e:
        raise UserError(str(e).splitlines()[0] or type(e).__name__) from None
    problems = check_data(folder, root, summary, classes, records, names=False)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UserError(f"{folder}: invalid results, not published: {problems[0]}{more}; `mkbench validate "
                        f"{root}` lists every problem; recompute or re-merge this run, or move it out of {root}")
    warnings = []
    methods = ordered_methods(summary.methods)
    missing = [m for m in methods if any(m not in r.methods for r in records)]
    if missing:
        warnings.append(f"{folder}: some image records lack method(s) {missing}; no intervals for them")
        methods_ci = [m for m in methods if m not in missing]
    else:
        methods_ci = methods

    # one share per image of each stored metric (results.metrics: their means are the stored values)
    cols = {"top1": np.array([metrics.image_top1(r.correct) for r in records])}
    for m in methods_ci:
        pad = max([len(summary.methods[m].curve)] + [len(r.methods[m].curve) for r in records])
        cols[f"mi.{m}"] = np.array([metrics.image_mi(r.methods[m].curve, r.methods[m].mi) for r in records])
        cols[f"auc.{m}"] = np.array([metrics.image_auc(r.methods[m].curve, pad) for r in records])
    keys = list(cols)
    matrix = np.stack([cols[k] for k in keys], axis=1) if records else np.zeros((0, len(keys)))
    intervals = bootstrap_means(matrix, n_boot=n_boot, seed=seed)
    ci = dict(zip(keys, intervals))
    sample_means = {k: float(matrix[:, i].mean()) if len(matrix) else float("nan") for i, k in enumerate(keys)}
    stated = {k: _stored(summary, k) for k in metrics.metric_keys(methods_ci)}
    off = [k for k, v in stated.items() if records and abs(v - sample_means[k]) > 1e-6 * max(1.0, abs(v))]
    if off:   # not reached for results check_data accepts; kept as a guard on the intervals
        warnings.append(f"{folder}: summary.json disagrees with images.jsonl on {off}; the intervals are computed "
                        "from images.jsonl; recompute or re-merge the results")

    by_label: dict[str, list] = {}
    for r in records:
        by_label.setdefault(r.label, []).append(r)
    examples: dict[str, list[Example]] = {}
    n_missing_overlays = 0
    for label, recs in by_label.items():
        recs.sort(key=lambda r: r.image)
        with_overlay = [r for r in recs if any(v.overlay for v in r.methods.values())]
        chosen = (with_overlay or recs)[:n_examples]
        out = []
        for r in chosen:
            views = {}
            original, mask, legend = None, None, []
            for m in ordered_methods(r.methods):
                v = r.methods[m]
                path, _ = confined(v.overlay, folder, root)
                n_missing_overlays += bool(v.overlay) and path is None
                parts = [ExamplePart(p.color, list(p.descriptors), p.area, p.part) for p in v.parts]
                views[m] = ExampleView(path, parts, list(v.mutual), v.mi,
                                       _layers(path, v.parts) if path else {}, _on_part(v))
                if path is not None and original is None:
                    original, mask, legend = _sibling_files(path, m)
            out.append(Example(r.image, r.prediction, r.correct, views, original, mask, legend))
        examples[label] = out
    if n_missing_overlays:
        warnings.append(f"{folder}: {n_missing_overlays} overlay file(s) named in images.jsonl were not found")
    # identity = folder names (unique on disk, used in URLs); display names come from the summary
    per_image = {"image": [r.image for r in records], "label": [r.label for r in records], **cols}
    return Run(folder.parent.name, folder.name, folder, summary, classes, methods, len(records), ci, sample_means,
               examples, warnings, per_image)


def _load_star(args):
    return load_run(*args)


def load_all(results, n_boot: int = 1000, n_examples: int = 2, jobs: Optional[int] = None,
             seed: int = 0) -> dict[str, list[Run]]:
    """Every run under ``results``, grouped by dataset folder name, each list sorted by model id."""
    found = discover(results)
    root = Path(results)
    tasks = [(folder, root, n_boot, n_examples, seed) for folders in found.values() for folder in folders]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    if jobs == 1:
        runs = [_load_star(t) for t in tasks]
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            runs = list(pool.map(_load_star, tasks))
    out: dict[str, list[Run]] = {}
    for (folder, *_), run in zip(tasks, runs):
        out.setdefault(folder.parent.name, []).append(run)
    for ds in out:
        out[ds].sort(key=lambda r: r.model_id)
    return out
