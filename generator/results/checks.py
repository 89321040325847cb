"""The invariants the engine guarantees for one run folder (``<dataset>/<model-id>/``), checked by ``mkbench
validate`` and before ``mkbench site`` publishes a run (spec §2.6 for the aggregates):

* the three files exist, parse, and hold the schema's types (``summary.json`` an object; no NaN/inf metrics);
* counts: ``summary.n_images`` = image records, ``n_classes`` = class records, class ``n_images`` = their records,
  ``n_skipped_images`` = the skipped images listed;
* every record holds the summary's methods; labels and predictions are classes of ``classes.json``;
* top-1 (summary and per class) recomputed from the records, in [0, 100]; ``correct`` = (prediction == label);
* image curves have length Lv + 1 (Lv = number of vision descriptors) and start at the image's MI;
* class and summary curves = the zero-padded mean of their image curves (the engine pads every curve to
  topk_per_part x n_parts + 1); MI = curve[0]; AUC = mean of the curve;
* overlay paths are relative, inside the results folder (no ``..``, no absolute path, no symlink out) and present.
"""
from __future__ import annotations

import math
import os
from collections import Counter
from pathlib import Path
from typing import Optional

from generator.results import metrics

FILES = ("summary.json", "classes.json", "images.jsonl")
TOL = 1e-6


def confined(rel: Optional[str], folder: Path, root: Path) -> tuple[Optional[Path], Optional[str]]:
    """(absolute path, None) of an overlay path from a result file when it is a relative path that stays inside
    ``root`` (resolving symlinks) and names a file; else (None, why). Looked up in the run folder, then the dataset
    folder, then ``root``."""
    if not rel:
        return None, None
    if "\x00" in rel or os.path.isabs(rel) or rel.startswith(("/", "\\")) or ".." in Path(rel).parts \
            or "\\" in rel or len(rel) > 4096:
        return None, "outside the results folder"
    real_root = os.path.realpath(root)
    for base in (folder, folder.parent, root):
        p = os.path.join(base, rel)
        if os.path.lexists(p):
            real = os.path.realpath(p)
            if os.path.commonpath([real, real_root]) != real_root:
                return None, "outside the results folder"
            if os.path.isfile(real):
                return Path(os.path.abspath(p)), None
    return None, "missing"


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=TOL, abs_tol=TOL)


def _finite(*values) -> bool:
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def _mean_curve(curves: list[list[float]], length: int) -> list[float]:
    return metrics.mean_curve(curves, length) if curves else [0.0] * length


def read_run(folder: Path):
    """(summary, classes, images, problems): the parsed files, or Nones and the reason."""
    from generator.results.io import read_classes, read_images, read_summary

    missing = [f for f in FILES if not (folder / f).is_file()]
    if missing:
        return None, None, None, [f"{folder}: missing {', '.join(missing)}"]
    try:
        summary = read_summary(folder / "summary.json")
        classes = read_classes(folder / "classes.json").classes
        images = read_images(folder / "images.jsonl")
    except (ValueError, OSError, RecursionError) as e:  # pydantic.ValidationError is a ValueError
        msg = str(e) or type(e).__name__
        return None, None, None, [msg.splitlines()[0] + (" ..." if "\n" in msg else "")]
    return summary, classes, images, []


def check_run(folder, root=None) -> list[str]:
    """Problems of one run folder (empty when valid); ``root``: the results folder overlays must stay in."""
    folder = Path(folder)
    root = Path(root) if root is not None else folder.parent.parent
    summary, classes, images, problems = read_run(folder)
    if problems:
        return problems
    return check_data(folder, root, summary, classes, images)


def check_data(folder: Path, root: Path, summary, classes, images, names: bool = True) -> list[str]:
    """Problems of parsed run files; ``names``: also require the folder to be named ``<dataset>/<model-id>`` as
    the summary says (``mkbench validate``; the site accepts runs copied into folders named otherwise)."""
    problems: list[str] = []
    add = problems.append
    if names and (summary.dataset != folder.parent.name or summary.model_id != folder.name):
        add(f"summary names {summary.dataset}/{summary.model_id}, the folder is {folder.parent.name}/{folder.name}")
    if summary.n_images != len(images):
        add(f"summary.n_images = {summary.n_images} but images.jsonl holds {len(images)} records")
    if summary.n_classes != len(classes):
        add(f"summary.n_classes = {summary.n_classes} but classes.json holds {len(classes)} classes")
    n_skipped = getattr(summary, "n_skipped_images", 0)   # schema 1.2: unreadable images, not in n_images
    listed = [len(getattr(c, "skipped", []) or []) for c in classes]
    if n_skipped != len(getattr(summary, "skipped_images", []) or []) or (any(listed) and n_skipped != sum(listed)):
        add(f"summary.n_skipped_images = {n_skipped} does not match the skipped images listed")
    names = Counter(c.name for c in classes)
    labels = Counter(r.label for r in images)
    off = sorted(n for n in set(names) | set(labels)
                 if sum(c.n_images for c in classes if c.name == n) != labels.get(n, 0))
    if off:
        add(f"the n_images of {len(off)} class(es) in classes.json do not match their image records, "
            f"e.g. {off[0]!r}")
    unknown = sorted({r.label for r in images if r.label not in names} |
                     {r.prediction for r in images if r.prediction not in names})
    if unknown:
        add(f"{len(unknown)} label(s)/prediction(s) in images.jsonl are not classes of classes.json, "
            f"e.g. {unknown[0]!r}")
    methods = set(summary.methods)
    for where, sets in [("classes.json", [set(c.methods) for c in classes]),
                        ("images.jsonl", [set(r.methods) for r in images])]:
        bad = sum(1 for n in sets if n != methods)
        if bad:
            add(f"{bad} records in {where} do not hold the summary's methods {sorted(methods)}")
    # numbers
    nonfinite = [f"summary.top1"] if not _finite(summary.top1) else []
    nonfinite += [f"summary {m}" for m, s in summary.methods.items() if not _finite(s.mi, s.auc, *s.curve)]
    nonfinite += [f"class {c.name!r}" for c in classes
                  if not _finite(c.top1, *(v for s in c.methods.values() for v in (s.mi, s.auc, *s.curve)))]
    nonfinite += [f"image {r.image!r}" for r in images
                  if not _finite(*(v for s in r.methods.values() for v in (s.mi, *s.curve)))]
    if nonfinite:
        add(f"{len(nonfinite)} record(s) hold NaN or infinite numbers, e.g. {nonfinite[0]}")
        return problems   # the checks below compare numbers
    top1 = metrics.top1(r.correct for r in images)
    if not _close(top1, summary.top1):
        add(f"summary.top1 = {summary.top1} but the image records give {top1}")
    bad_top1 = [c.name for c in classes if not 0.0 <= c.top1 <= 100.0]
    if bad_top1:
        add(f"{len(bad_top1)} class(es) have a top-1 outside [0, 100], e.g. {bad_top1[0]!r}")
    wrong = sum(1 for r in images if r.correct != (r.prediction == r.label))
    if wrong and all(n == 1 for n in names.values()):   # repeated display names: `correct` is by index
        add(f"{wrong} image records have `correct` that does not match prediction == label")
    elif any(r.correct and r.prediction != r.label for r in images):
        add("some image records are `correct` with a prediction other than their label")
    # curves
    lengths = {len(s.curve) for s in summary.methods.values()} | \
        {len(s.curve) for c in classes for s in c.methods.values()}
    length = max(lengths) if lengths else 0   # the engine pads all to one length; each is checked against its images
    bad_img = [(r.image, m) for r in images for m, s in r.methods.items()
               if len(s.curve) != len(s.vision) + 1 or len(s.curve) > length or not _close(s.mi, s.curve[0])]
    if bad_img:
        add(f"{len(bad_img)} image curve(s) are not of length Lv+1 (Lv: vision descriptors), longer than the class "
            f"curves, or do not start at the image's MI, e.g. {bad_img[0][0]!r} ({bad_img[0][1]})")
    for name, s in summary.methods.items():
        if s.curve and not _close(s.mi, s.curve[0]):
            add(f"method {name}: MI {s.mi} is not the first point of its curve ({s.curve[0]})")
        if s.curve and not _close(s.auc, metrics.auc(s.curve)):
            add(f"method {name}: AUC {s.auc} is not the mean of its curve")
        if not bad_img and s.curve:
            mean = _mean_curve([r.methods[name].curve for r in images if name in r.methods], len(s.curve))
            if not all(_close(a, b) for a, b in zip(mean, s.curve)):
                add(f"method {name}: the summary curve is not the mean of the image curves")
    by_label: dict[str, list] = {}
    for r in images:
        by_label.setdefault(r.label, []).append(r)
    bad_cls = []
    for c in classes:
        recs = by_label.get(c.name, [])
        if names[c.name] == 1 and recs and not _close(c.top1, metrics.top1(r.correct for r in recs)):
            bad_cls.append((c.name, "top-1"))
        for m, s in c.methods.items():
            if s.curve and not (_close(s.mi, s.curve[0]) and _close(s.auc, metrics.auc(s.curve))):
                bad_cls.append((c.name, f"{m} MI/AUC vs its curve"))
            elif names[c.name] == 1 and recs and not bad_img and s.curve:
                mean = _mean_curve([r.methods[m].curve for r in recs if m in r.methods], len(s.curve))
                if not all(_close(a, b) for a, b in zip(mean, s.curve)):
                    bad_cls.append((c.name, f"{m} curve vs its images"))
    if bad_cls:
        add(f"{len(bad_cls)} class aggregate(s) disagree with their image records, e.g. {bad_cls[0][0]!r} "
            f"({bad_cls[0][1]})")
    # overlays
    outside, absent = [], []
    for r in images:
        for s in r.methods.values():
            _, why = confined(s.overlay, folder, root)
            (outside if why == "outside the results folder" else absent if why else []).append(s.overlay)
    if outside:
        add(f"{len(outside)} overlay path(s) point outside the results folder (absolute, '..' or a symlink out), "
            f"e.g. {outside[0]!r}")
    if absent:
        add(f"{len(absent)} overlay files are missing, e.g. {absent[0]}")
    return problems
