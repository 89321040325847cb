"""How well raw pixel colour identifies parts in a demo world version: K-means on raw 8x8 pixel patches (k = 5,
jointly over each class's images, generator.evaluation.ground_truth.pixel_kmeans_baseline, the engine's baseline)
matched to the true part masks, on two foregrounds: the true object (patches at least half object: the oracle
patch mask) and every patch. No model, no training: it sizes a world before anything is trained on it (issue 8
item 1: "K-means on raw pixels should stop being a strong baseline").

    .venv/bin/python benchmarks/world_pixel_kmeans.py --world 2 --world 3 [--per-class 20] [--montage /tmp/w.png]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.demo.dataset import DATASET_STREAM  # noqa: E402
from generator.demo.render import PATCH_SIZE, render_indexed  # noqa: E402
from generator.demo.world import CLASS_NAMES, PART_NAMES  # noqa: E402
from generator.evaluation.ground_truth import pixel_kmeans_baseline  # noqa: E402


def measure(world: int, per_class: int, seed: int = 0, k: int = 5) -> dict:
    n = len(CLASS_NAMES)
    samples = [render_indexed(DATASET_STREAM, seed, i, CLASS_NAMES, world=world) for i in range(per_class * n)]
    out: dict = {"world": world, "per_class": per_class, "k": k, "classes": {}}
    for fg_name in ("true_object", "every_patch"):
        ious, points = [], []
        for c, cls in enumerate(CLASS_NAMES):
            ss = samples[c::n]
            imgs = np.stack([s.image for s in ss])
            gts = np.stack([s.mask for s in ss])
            b, sz = gts.shape[0], gts.shape[1]
            obj = (gts > 0).reshape(b, sz // PATCH_SIZE, PATCH_SIZE, sz // PATCH_SIZE, PATCH_SIZE).mean((2, 4)) >= 0.5
            r = pixel_kmeans_baseline(imgs, gts, k=k, patch=PATCH_SIZE, foreground=obj if fg_name == "true_object"
                                      else None, seed=0, part_names=PART_NAMES)
            concepts = [cc for im in r["per_image"] for cc in im["concepts"]]
            ious += [cc["iou"] for cc in concepts]
            points += [cc["pointing"] for cc in concepts]
            out["classes"].setdefault(cls, {})[fg_name] = round(r["mean_iou"], 3)
        out[fg_name] = {"mean_iou": round(float(np.mean(ious)), 4), "pointing": round(float(np.mean(points)), 4)}
    return out


def montage(world: int, path: str, per_class: int = 6, seed: int = 0) -> None:
    from PIL import Image

    n = len(CLASS_NAMES)
    rows = []
    for c in range(n):
        rows.append(np.concatenate([render_indexed(DATASET_STREAM, seed, c + j * n, CLASS_NAMES, world=world).image
                                    for j in range(per_class)], 1))
    Image.fromarray(np.concatenate(rows, 0)).resize((64 * per_class * 2, 64 * n * 2), Image.NEAREST).save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--world", type=int, action="append", required=True)
    ap.add_argument("--per-class", type=int, default=20)
    ap.add_argument("--montage", help="also write a montage per world: PATH with {world} replaced")
    args = ap.parse_args()
    for w in args.world:
        r = measure(w, args.per_class)
        print(json.dumps(r))
        if args.montage:
            montage(w, args.montage.format(world=w))


if __name__ == "__main__":
    main()
