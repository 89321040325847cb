"""``mkbench validate``: check result folders against the versioned schema (:mod:`generator.results.schema`) and for
internal consistency, before publishing them or after copying them from a cluster."""
from __future__ import annotations

import json
import math
from pathlib import Path

import click

EXAMPLES = """
\b
Examples:
  mkbench validate                    # every run under results/
  mkbench validate /scratch/results --json
Exit status 0 when every run is valid, 1 otherwise.
"""

FILES = ("summary.json", "classes.json", "images.jsonl")


def find_runs(root: Path) -> list[Path]:
    """Every ``<dataset>/<model-id>/`` folder under ``root`` holding a ``summary.json`` (dot-folders skipped)."""
    return sorted(p.parent for p in Path(root).glob("*/*/summary.json")
                  if not any(part.startswith(".") for part in p.relative_to(root).parts))


def check_run(folder: Path) -> list[str]:
    """Problems of one run folder (empty when valid)."""
    from generator.results.io import read_classes, read_images, read_summary
    from generator.results.metrics import top1 as top1_of

    missing = [f for f in FILES if not (folder / f).is_file()]
    if missing:
        return [f"missing {', '.join(missing)}"]
    try:
        summary = read_summary(folder / "summary.json")
        classes = read_classes(folder / "classes.json").classes
        images = read_images(folder / "images.jsonl")
    except (ValueError, OSError) as e:  # pydantic.ValidationError is a ValueError
        return [str(e).splitlines()[0] + (" ..." if "\n" in str(e) else "")]
    problems = []
    if summary.dataset != folder.parent.name or summary.model_id != folder.name:
        problems.append(f"summary names {summary.dataset}/{summary.model_id}, the folder is "
                        f"{folder.parent.name}/{folder.name}")
    if summary.n_images != len(images):
        problems.append(f"summary.n_images = {summary.n_images} but images.jsonl holds {len(images)} records")
    if summary.n_classes != len(classes):
        problems.append(f"summary.n_classes = {summary.n_classes} but classes.json holds {len(classes)} classes")
    if sum(c.n_images for c in classes) != len(images):
        problems.append("the classes' n_images do not add up to the number of image records")
    methods = set(summary.methods)
    for where, names in [("classes.json", [set(c.methods) for c in classes]),
                         ("images.jsonl", [set(r.methods) for r in images])]:
        bad = sum(1 for n in names if n != methods)
        if bad:
            problems.append(f"{bad} records in {where} do not hold the summary's methods {sorted(methods)}")
    top1 = top1_of(r.correct for r in images)
    if not math.isclose(top1, summary.top1, abs_tol=1e-6):
        problems.append(f"summary.top1 = {summary.top1} but the image records give {top1}")
    wrong = sum(1 for r in images if r.correct and r.prediction != r.label)  # names may repeat: only this way
    if wrong:
        problems.append(f"{wrong} image records are `correct` with a prediction other than their label")
    absent = [o for r in images for m in r.methods.values() for o in [m.overlay] if o and not (folder / o).is_file()]
    if absent:
        problems.append(f"{len(absent)} overlay files are missing, e.g. {absent[0]}")
    for name, m in summary.methods.items():
        if m.curve and (not math.isclose(m.mi, m.curve[0], abs_tol=1e-6)):
            problems.append(f"method {name}: MI {m.mi} is not the first point of its curve ({m.curve[0]})")
    problems += check_controls(summary, images)
    return problems + check_evaluations(summary, images)


def check_controls(summary, images) -> list[str]:
    """Consistency of the controls (schema 1.3): each random-D_v control's MI is its curve's first point and its AUC
    the curve's mean; image controls have the shapes the schema documents; a method has controls in every image
    record or in none."""
    problems = []
    for name, m in summary.methods.items():
        rdv = (m.controls or {}).get("random_dv")
        if m.controls is not None and not isinstance(rdv, dict):
            problems.append(f"method {name}: controls without a random_dv control")
            continue
        if rdv:
            curve = rdv.get("curve") or []
            if not curve or not math.isclose(rdv.get("mi", float("nan")), curve[0], abs_tol=1e-6):
                problems.append(f"method {name}: random-D_v control MI is not the first point of its curve")
            elif not math.isclose(rdv.get("auc", float("nan")), sum(curve) / len(curve), abs_tol=1e-6):
                problems.append(f"method {name}: random-D_v control AUC is not the mean of its curve")
        with_controls = sum(1 for r in images if name in r.methods and r.methods[name].controls)
        if with_controls not in (0, len(images)):
            problems.append(f"method {name}: {with_controls} of {len(images)} image records carry controls")
    bad = [r.image for r in images if r.controls is not None and not isinstance(r.controls.get("foreground", {}), dict)]
    if bad:
        problems.append(f"{len(bad)} image records have a malformed foreground control, e.g. {bad[0]}")
    return problems


def check_evaluations(summary, images) -> list[str]:
    """The issue-9 fields (schema 1.3): quality needs its declared protocol, stored values are finite, every stored
    interval holds its point (lo <= mean <= hi) and names its resampling unit."""
    problems = []
    has_quality = any(getattr(m, "quality", None) for r in images for m in r.methods.values())
    if has_quality and not (summary.evaluation or {}).get("protocol"):
        problems.append("image records hold quality metrics but summary.evaluation has no declared protocol")
    bad = sum(1 for r in images for m in r.methods.values() for q in [getattr(m, "quality", None)] if q
              for k in ("deletion", "insertion", "acc_drop", "acc_inc") if not math.isfinite(float(q.get(k, math.nan))))
    if bad:
        problems.append(f"{bad} quality values in images.jsonl are missing or not finite")
    blocks = [("summary", summary.intervals)] + [(f"method {n}", getattr(m, "intervals", None))
                                                 for n, m in summary.methods.items()]
    for where, ivs in blocks:
        for metric, units in (ivs or {}).items():
            for unit, iv in units.items():
                if iv.get("unit") != unit:
                    problems.append(f"{where}: interval {metric}/{unit} names unit {iv.get('unit')!r}")
                lo, mean, hi = (float(iv.get(k, math.nan)) for k in ("lo", "mean", "hi"))
                if all(map(math.isfinite, (lo, mean, hi))) and not (lo - 1e-9 <= mean <= hi + 1e-9):
                    problems.append(f"{where}: interval {metric}/{unit} [{lo}, {hi}] does not hold its mean {mean}")
    for name, m in summary.methods.items():
        for base, v in (getattr(m, "sanity", None) or {}).items():
            if v.get("passes") != all(x.get("passes") for x in v.get("metrics", {}).values()):
                problems.append(f"method {name}: sanity verdict {base} disagrees with its metrics")
    return problems


@click.command("validate", epilog=EXAMPLES, context_settings={"max_content_width": 100})
@click.argument("results", default="results", type=click.Path(file_okay=False), metavar="[RESULTS]")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def validate(ctx, results, as_json):
    """Check every run under RESULTS (default: results) against the result schema and for consistency."""
    from generator.errors import UserError

    root = Path(results)
    if not root.is_dir():
        raise UserError(f"{root}: results folder not found; pass the folder `mkbench run`/`compute` wrote")
    runs = find_runs(root)
    if not runs:
        raise UserError(f"{root}: no results (no <dataset>/<model-id>/summary.json); run `mkbench run` first")
    report = {str(r.relative_to(root)): check_run(r) for r in runs}
    if as_json:
        click.echo(json.dumps({"ok": not any(report.values()), "runs": report}, indent=1))
    else:
        for run, problems in report.items():
            click.echo(f"{'ok     ' if not problems else 'INVALID'} {run}")
            for p in problems:
                click.echo(f"        - {p}")
        bad = sum(1 for p in report.values() if p)
        click.echo(f"{len(report) - bad} of {len(report)} runs valid", err=True)
    if any(report.values()):
        ctx.exit(1)
