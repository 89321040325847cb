"""Print the demo family's table for the README from measured files only: the model cards (size, data, held-out
accuracy) and a demo build's results (top-1 on the demo dataset, AUC, ground-truth localisation and grounding
precision, the pixel K-means baseline), then the AUC-accuracy correlation across the family.

    .venv/bin/python scripts/family_table.py [--results results] [--dataset demo]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from generator.evaluation.family import family_correlation
from generator.results.io import read_summary

CARDS = Path(__file__).resolve().parents[1] / "data" / "demo" / "models"


def _gt(s, m, key):
    v = (s.methods[m].ground_truth or {}).get(key)
    return "-" if v is None else f"{v:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", default="results")
    ap.add_argument("--dataset", default="demo")
    args = ap.parse_args()
    summaries = [read_summary(p) for p in sorted(Path(args.results, args.dataset).glob("*/summary.json"))]
    if not summaries:
        raise SystemExit(f"no summaries under {args.results}/{args.dataset}: run `mkbench build` first")
    print("| model | params | training images | held-out top-1 (600) | demo top-1 | AUC PCA / K-means | "
          "part IoU PCA / K-means (pixel K-means) | pointing PCA / K-means (pixel K-means) | "
          "grounding: part present / under concept (K-means) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for s in sorted(summaries, key=lambda s: -s.top1):
        name = Path(s.pretrained).stem
        card = json.loads((CARDS / f"{name}.card.json").read_text())
        base = s.ground_truth_baseline or {}
        print(f"| {name} | {card['n_params'] / 1e6:.1f}M | {card['data']['n_images']:,} | "
              f"{100 * card['heldout']['top1']:.1f}% | {s.top1:.1f}% | "
              f"{s.methods['pca'].auc:.2f} / {s.methods['kmeans'].auc:.2f} | "
              f"{_gt(s, 'pca', 'mean_iou')} / {_gt(s, 'kmeans', 'mean_iou')} ({base.get('mean_iou', float('nan')):.2f}) | "
              f"{_gt(s, 'pca', 'pointing_accuracy')} / {_gt(s, 'kmeans', 'pointing_accuracy')} "
              f"({base.get('pointing_accuracy', float('nan')):.2f}) | "
              f"{_gt(s, 'kmeans', 'grounding_present')} / {_gt(s, 'kmeans', 'grounding_under_concept')} |")
    fam = family_correlation(summaries)
    print()
    for m, r in fam["methods"].items():
        p, sp = r["pearson"], r["spearman"]
        fmt = lambda c: "n/a" if c["r"] is None else f"{c['r']:+.2f} (95% CI {c['ci'][0]:+.2f} to {c['ci'][1]:+.2f})"
        print(f"- {m}: AUC vs top-1 over {r['n']} models: Pearson {fmt(p)}, Spearman {fmt(sp)}")


if __name__ == "__main__":
    main()
