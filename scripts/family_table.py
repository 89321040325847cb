"""Print the demo family's table for the README from measured files only: the model cards (size, data, held-out
accuracy) and a demo build's results, each metric beside its control (result schema 1.3,
generator.evaluation.controls), then the AUC-accuracy correlation across the family, raw and for AUC minus its
random-D_v control.

    .venv/bin/python scripts/family_table.py [--results results] [--dataset demo]

Cells read "value (control)": AUC (random D_v at the same |D_v|); grounding under the concept and part present
(random descriptors / class prior); part IoU (random labels on the same foreground / pixel K-means on the same
foreground / parts clustered within the true object); matched part IoU and part ARI (schema 1.5: Hungarian
one-to-one matching averaged over the parts present; adjusted Rand index over the object's pixels), PCA / K-means
(pixel K-means on the same foreground / the foreground as one cluster / random labels of the K-means parts);
foreground IoU with the object (every patch / best patch-grid
mask) and empty foregrounds; true-part prompt AUROC within the image (chance 0.50).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from generator.evaluation.bootstrap import paired_difference
from generator.evaluation.family import family_correlation
from generator.results.io import read_images, read_summary
from generator.results.schema import GroundTruthAggregate

CARDS = Path(__file__).resolve().parents[1] / "data" / "demo" / "models"


def _g(d, *path):
    for k in path:
        d = d.get(k) if isinstance(d, dict) else None
    return d


def _f(v, digits=2) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def _card(name: str) -> dict:
    path = CARDS / f"{name}.card.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def row(s) -> str:
    name = Path(s.pretrained).stem
    card = _card(name)
    c = {m: s.methods[m].controls or {} for m in s.methods}
    gt = {m: s.methods[m].ground_truth or GroundTruthAggregate() for m in s.methods}
    base = s.ground_truth_baseline or GroundTruthAggregate()
    ic = s.controls or {}
    params = card.get("n_params")
    heldout = _g(card, "heldout", "top1")
    cells = [name, "-" if params is None else f"{params / 1e6:.1f}M",
             f"{_g(card, 'data', 'n_images'):,}" if _g(card, "data", "n_images") else "-",
             "-" if heldout is None else f"{100 * heldout:.1f}%", f"{s.top1:.1f}%"]
    for m in ("pca", "kmeans"):
        cells.append(f"{_f(s.methods[m].auc)} ({_f(_g(c[m], 'random_dv', 'auc'))})" if m in s.methods else "-")
    k = "kmeans" if "kmeans" in s.methods else next(iter(s.methods))
    cells.append(f"{_f(gt[k].grounding_under_concept)} ({_f(_g(c[k], 'grounding_random', 'under_concept'), 3)}"
                 f" / {_f(_g(c[k], 'grounding_class_prior', 'under_concept'))})")
    cells.append(f"{_f(gt[k].grounding_present)} ({_f(_g(c[k], 'grounding_random', 'present'), 3)}"
                 f" / {_f(_g(c[k], 'grounding_class_prior', 'present'))})")
    for m in ("pca", "kmeans"):
        if m in s.methods:
            cells.append(f"{_f(gt[m].mean_iou)} ({_f(_g(c[m], 'random_labels', 'mean_iou'))} / "
                         f"{_f(base.mean_iou)} / {_f(_g(c[m], 'oracle_foreground', 'mean_iou'))})")
        else:
            cells.append("-")
    for key in ("matched_iou", "ari"):
        vals = " / ".join(_f(gt[m].metric(key)) if m in s.methods else "-" for m in ("pca", "kmeans"))
        cells.append(f"{vals} ({_f(base.metric(key))} / {_f(_g(c[k], 'one_cluster', key))} / "
                     f"{_f(_g(c[k], 'random_labels', key))})")
    fg = ic.get("foreground") or {}
    cells.append(f"{_f(fg.get('iou'))} ({_f(fg.get('every_patch_iou'))} / {_f(fg.get('oracle_patch_iou'))}); "
                 f"{fg.get('n_empty', '-')} empty")
    cells.append(_f(_g(ic, "oracle_region", "mean", "within")))
    return "| " + " | ".join(cells) + " |"


def _pairs(records, method: str, value, control) -> tuple[list, list, list]:
    """(values, controls, class labels) over the images where both are known."""
    a, b, g = [], [], []
    for r in records:
        m = r.methods.get(method)
        if m is None:
            continue
        x, y = value(r, m), control(r, m)
        if x is not None and y is not None:
            a.append(x)
            b.append(y)
            g.append(r.label)
    return a, b, g


def _margin(records, method: str, value, control) -> str:
    """" (paired difference +d, 95% CI by image [lo, hi], by class [lo, hi])": how far a threshold is cleared, with the
    same bootstrap the site uses (generator.evaluation.bootstrap.paired_difference); empty without records."""
    a, b, g = _pairs(records, method, value, control)
    if len(a) < 2:
        return ""
    im, cl = paired_difference(a, b), paired_difference(a, b, g)
    return (f" (paired difference {im['diff']:+.3f}, 95% CI by image [{im['lo']:+.3f}, {im['hi']:+.3f}], by class "
            f"[{cl['lo']:+.3f}, {cl['hi']:+.3f}], {len(a)} images)")


def _method_metric(key: str):
    """value(record, method result) of ground-truth metric ``key`` of the method's explanation (None when absent)."""
    return lambda r, m: m.ground_truth.metric(key) if m.ground_truth else None


def _pixel_metric(key: str):
    """value(record, method result) of metric ``key`` of the image's pixel K-means baseline."""
    return lambda r, m: r.ground_truth_baseline.metric(key) if r.ground_truth_baseline else None


def _prior(r, m):
    return ((m.controls or {}).get("grounding_class_prior") or {}).get("under_concept")


def checks(s, records=()) -> None:
    """Issue 8's "done means" thresholds for the most accurate model, each with its numbers; with the model's image
    ``records``, the paired by-image difference behind the class-prior and pixel K-means comparisons and its
    intervals."""
    ic = s.controls or {}
    base = s.ground_truth_baseline or GroundTruthAggregate()
    print()
    print(f"Thresholds for the most accurate model, {Path(s.pretrained).stem} (top-1 {s.top1:.1f}%):")
    for m, ms in s.methods.items():
        c, gt = ms.controls or {}, ms.ground_truth or GroundTruthAggregate()
        auc, rnd = ms.auc, _g(c, "random_dv", "auc")
        under, ur, up = gt.grounding_under_concept, _g(c, "grounding_random", "under_concept"), \
            _g(c, "grounding_class_prior", "under_concept")
        iou, pix = gt.mean_iou, base.mean_iou
        ok = lambda b: "met" if b else "NOT met"
        print(f"- {m}: AUC {_f(auc, 3)} >= 2 x random-D_v {_f(rnd, 3)}: {ok(rnd is not None and auc >= 2 * rnd)}"
              f" ({auc / rnd:.2f}x)" if rnd else f"- {m}: no random-D_v control")
        if under is not None and ur:
            print(f"- {m}: under-concept precision {_f(under, 3)} >= 5 x random {_f(ur, 3)} "
                  f"({under / ur:.1f}x): {ok(under >= 5 * ur)}; above class prior {_f(up, 3)}: "
                  f"{ok(up is not None and under > up)}{_margin(records, m, _method_metric('grounding_under_concept'), _prior)}")
        if iou is not None and pix is not None:
            one = _g(c, "one_cluster", "mean_iou")
            print(f"- {m}: part IoU {_f(iou, 3)} above pixel K-means on the same foreground {_f(pix, 3)}: "
                  f"{ok(iou > pix)}{_margin(records, m, _method_metric('mean_iou'), _pixel_metric('mean_iou'))} (the foreground as one cluster scores "
                  f"{_f(one, 3)} on this metric)")
        for key, label in (("matched_iou", "matched part IoU"), ("ari", "part ARI")):
            v, pix = gt.metric(key), base.metric(key)
            if v is not None and pix is not None:
                one, rnd = _g(c, "one_cluster", key), _g(c, "random_labels", key)
                margin = _margin(records, m, _method_metric(key), _pixel_metric(key))
                print(f"- {m}: {label} {_f(v, 3)} vs pixel K-means on the same foreground {_f(pix, 3)}: "
                      f"{'above' if v > pix else 'NOT above'}{margin}; one cluster {_f(one, 3)}, random labels "
                      f"{_f(rnd, 3)}, parts within the true object {_f(_g(c, 'oracle_foreground', key), 3)}")
    fg = ic.get("foreground") or {}
    if fg.get("iou") is not None:
        print(f"- foreground IoU {_f(fg['iou'], 3)} above every patch {_f(fg.get('every_patch_iou'), 3)}: "
              f"{'met' if fg['iou'] > (fg.get('every_patch_iou') or 1) else 'NOT met'} ({fg.get('n_empty')} empty)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", default="results")
    ap.add_argument("--dataset", default="demo")
    args = ap.parse_args()
    paths = sorted(Path(args.results, args.dataset).glob("*/summary.json"))
    summaries = [read_summary(p) for p in paths]
    if not summaries:
        raise SystemExit(f"no summaries under {args.results}/{args.dataset}: run `mkbench build` first")
    cfg = summaries[0].config
    eff = (cfg.method_effective if cfg is not None else None) or {}
    fgm = ((cfg.method if cfg is not None else None) or {}).get("foreground_method", "batch_svd")
    print(f"Foreground `{fgm}`; initial_topk {eff.get('initial_topk', '-')}, u {eff.get('language_topk', '-')}, "
          f"descriptors per part {eff.get('topk_per_part', 3)} "
          f"(pool of {eff.get('pool_size', '-')} descriptors, pool_scaling {eff.get('pool_scaling', '-')}).")
    print()
    print("| model | params | training images | held-out top-1 | demo top-1 | AUC PCA (random D_v) | "
          "AUC K-means (random D_v) | grounding under concept, K-means (random / class prior) | "
          "grounding part present, K-means (random / class prior) | part IoU PCA (random labels / pixel K-means / "
          "true object) | part IoU K-means (same) | matched part IoU PCA / K-means (pixel K-means / one cluster / "
          "random labels) | part ARI PCA / K-means (same) | foreground IoU (every patch / best grid mask) | "
          "true-part prompt AUROC (0.50 = chance) |")
    print("|" + "---|" * 15)
    for s in sorted(summaries, key=lambda s: -s.top1):
        print(row(s))
    best = max(range(len(summaries)), key=lambda i: (summaries[i].top1,
                                                     summaries[i].methods[next(iter(summaries[i].methods))].auc))
    images = paths[best].parent / "images.jsonl"
    checks(summaries[best], read_images(images) if images.is_file() else ())
    fam = family_correlation(summaries)
    print()
    fmt = lambda c: "n/a" if c["r"] is None else f"{c['r']:+.2f} (95% CI {c['ci'][0]:+.2f} to {c['ci'][1]:+.2f})"
    for m, r in fam["methods"].items():
        line = f"- {m}: AUC vs top-1 over {r['n']} models: Pearson {fmt(r['pearson'])}, Spearman {fmt(r['spearman'])}"
        if r.get("corrected"):
            cr = r["corrected"]
            line += (f"; AUC minus its random-D_v control vs top-1: Pearson {fmt(cr['pearson'])}, "
                     f"Spearman {fmt(cr['spearman'])}")
        print(line)


if __name__ == "__main__":
    main()
