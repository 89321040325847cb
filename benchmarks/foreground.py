"""Measure every registered foreground method (generator.method.foreground.FOREGROUND_METHODS) on a dataset with
part masks: IoU of the upsampled patch foreground with the object (all parts of the mask), and the number of images
with an empty foreground, per model and facet. Prints a Markdown table; also the oracle patch mask (a patch is object
when at least half its pixels are), the ceiling at the model's grid.

    nice -n 10 .venv/bin/python benchmarks/foreground.py [--models demo-l-20k,...] [--facets tokens,keys]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from generator.method import features, foreground
from generator.registry import datasets as ds_registry
from generator.registry import models as model_registry

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"


def iou(a: np.ndarray, b: np.ndarray) -> float:
    u = (a | b).sum()
    return float((a & b).sum() / u) if u else 1.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default=str(DEMO / "dataset"))
    ap.add_argument("--models", default=None, help="comma-separated demo model names (default: every card)")
    ap.add_argument("--facets", default="tokens,keys")
    ap.add_argument("--methods", default=",".join(foreground.FOREGROUND_METHODS))
    ap.add_argument("--models-dir", default=str(DEMO / "models"), help="folder of the cards and weights")
    ap.add_argument("--json", default=None, help="also write the numbers to this file")
    args = ap.parse_args()
    torch.set_num_threads(1)
    ds = ds_registry.scan_image_folder(args.dataset)
    masks = ds.part_masks
    names = args.models.split(",") if args.models else sorted(p.name[:-len(".card.json")]
                                                              for p in Path(args.models_dir).glob("*.card.json"))
    out = {}
    print("| model | facet | " + " | ".join(args.methods.split(",")) + " | oracle patch mask |")
    print("|---|---|" + "---|" * (len(args.methods.split(",")) + 1))
    for name in names:
        card = json.loads((Path(args.models_dir) / f"{name}.card.json").read_text())
        arch = card.get("architecture") or card.get("model")
        spec = model_registry.resolve_model(arch, str(Path(args.models_dir) / f"{name}.safetensors"),
                                            str(DEMO / "configs" / f"{arch}.json"))
        loaded = model_registry.load_model(spec)
        pre = ds_registry.Preprocess(loaded.image_size, loaded.mean, loaded.std)
        for facet in args.facets.split(","):
            res = {m: [] for m in args.methods.split(",")}
            empty = {m: 0 for m in res}
            oracle = []
            for c in ds.classes:
                rel = [ds.relative(p) for p in c.files]
                images, raw = pre.load_batch(c.files)
                gt = masks.masks(rel, loaded.image_size) > 0
                with torch.no_grad():
                    enc = features.encode_images(loaded.model, images, facet=facet)
                h = enc.patches.shape[1]
                cell = loaded.image_size // h
                frac = gt.reshape(len(gt), h, cell, h, cell).mean(axis=(2, 4))
                ora = foreground.upsample_masks(frac >= 0.5, loaded.image_size)
                oracle += [iou(ora[i], gt[i]) for i in range(len(gt))]
                for m in res:
                    fg = foreground.foreground_masks(enc.patches, method=m)
                    up = foreground.upsample_masks(fg, loaded.image_size)
                    empty[m] += int((~fg.reshape(len(fg), -1).any(1)).sum())
                    res[m] += [iou(up[i], gt[i]) for i in range(len(gt))]
            row = {m: {"iou": float(np.mean(v)), "empty": empty[m]} for m, v in res.items()}
            row["oracle"] = float(np.mean(oracle))
            out[f"{name}/{facet}"] = row
            cells = " | ".join(f"{row[m]['iou']:.3f} ({row[m]['empty']})" for m in res)
            print(f"| {name} | {facet} | {cells} | {row['oracle']:.3f} |", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
