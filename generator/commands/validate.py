"""``mkbench validate``: check result folders against the versioned schema (:mod:`generator.results.schema`) and the
invariants the engine guarantees (:mod:`generator.results.checks`), before publishing them or after copying them
from a cluster. ``mkbench site`` runs the same checks and refuses a run that fails them."""
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


def find_runs(root: Path) -> list[Path]:
    """Every ``<dataset>/<model-id>/`` folder under ``root`` holding a ``summary.json`` (dot-folders skipped)."""
    return sorted(p.parent for p in Path(root).glob("*/*/summary.json")
                  if not any(part.startswith(".") for part in p.relative_to(root).parts))


def check_run(folder: Path, root: Path | None = None) -> list[str]:
    """Problems of one run folder (empty when valid): the engine's invariants
    (:func:`generator.results.checks.check_data`) and the controls' (:func:`check_controls`)."""
    from generator.results.checks import check_data, read_run

    summary, classes, images, problems = read_run(Path(folder))
    if problems:
        return problems
    root = Path(root) if root is not None else Path(folder).parent.parent
    return check_data(Path(folder), root, summary, classes, images) + check_controls(summary, images) + \
        check_evaluations(summary, images)


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
    return problems + check_random_weights(summary, images) + check_augmentation(summary.augmentation)


def check_random_weights(summary, images) -> list[str]:
    """The random-weights baseline (schema 1.4): only a trained model has one; each image's MI is the first point of
    its curve; a verdict needs the evaluation record to say the baseline ran."""
    problems = []
    rw = [(r.image, m.baselines["random_weights"]) for r in images for m in r.methods.values()
          if (getattr(m, "baselines", None) or {}).get("random_weights")]
    ran = bool((summary.evaluation or {}).get("random_weights"))
    if summary.untrained and (rw or ran):
        problems.append("a random-weights run (untrained) holds a random-weights baseline; it has no random twin")
    bad = [im for im, b in rw if not b.get("curve") or not math.isclose(b.get("mi", math.nan), b["curve"][0],
                                                                        abs_tol=1e-6)]
    if bad:
        problems.append(f"{len(bad)} random-weights baselines in images.jsonl: MI is not the first point of the "
                        f"curve, e.g. {bad[0]}")
    if any("random_weights" in (getattr(m, "sanity", None) or {}) for m in summary.methods.values()) and not ran:
        problems.append("a random-weights sanity verdict without summary.evaluation.random_weights")
    return problems


def check_augmentation(aug) -> list[str]:
    """Table 2's intervals (schema 1.4): by image and by class for base_top1, augmented_top1 (each holds its point,
    which is the stored top-1) and their paired difference ``delta`` (its point is the stored delta)."""
    ivs = (aug or {}).get("intervals")
    if not aug or ivs is None:
        return []
    problems = []
    for metric, key in (("base_top1", "mean"), ("augmented_top1", "mean"), ("delta", "diff")):
        for unit in ("image", "class"):
            iv = (ivs.get(metric) or {}).get(unit)
            if not isinstance(iv, dict):
                problems.append(f"augmentation: no {unit} interval for {metric}")
                continue
            lo, mid, hi = (float(iv.get(k, math.nan)) for k in ("lo", key, "hi"))
            if iv.get("unit") != unit:
                problems.append(f"augmentation: interval {metric}/{unit} names unit {iv.get('unit')!r}")
            if not math.isclose(mid, float(aug.get(metric, math.nan)), abs_tol=1e-6):
                problems.append(f"augmentation: interval {metric}/{unit} is about {mid}, not the stored {aug.get(metric)}")
            if all(map(math.isfinite, (lo, mid, hi))) and not (lo - 1e-9 <= mid <= hi + 1e-9):
                problems.append(f"augmentation: interval {metric}/{unit} [{lo}, {hi}] does not hold {mid}")
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
    report = {str(r.relative_to(root)): check_run(r, root) for r in runs}
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
