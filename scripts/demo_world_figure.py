"""Draw docs/img/demo-world.png: the first two images of each demo class (shipped dataset) above their part masks,
so the within-class variation (world 2: part colours, optional parts; world 3: patterns, shared colours,
shading, clutter) shows.

    .venv/bin/python scripts/demo_world_figure.py [--dataset data/demo/dataset] [--out docs/img/demo-world.png]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from generator.registry.part_masks import load_mask, load_parts
from generator.runner.overlays import part_color

SCALE = 2
PER_CLASS = 2


def _mask_rgb(mask: np.ndarray) -> np.ndarray:
    out = np.zeros((*mask.shape, 3), dtype=np.uint8)
    for k in np.unique(mask):
        if k == 0:
            continue
        hexc = part_color(int(k) - 1).lstrip("#")
        out[mask == k] = [int(hexc[i:i + 2], 16) for i in (0, 2, 4)]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="data/demo/dataset")
    ap.add_argument("--out", default="docs/img/demo-world.png")
    args = ap.parse_args()
    root = Path(args.dataset)
    names = json.loads((root / "classnames.json").read_text())
    parts = load_parts(root)
    tiles = []
    for folder in sorted(names):
        for k, img_path in enumerate(sorted((root / folder).glob("*.png"))[:PER_CLASS]):
            image = np.asarray(Image.open(img_path).convert("RGB"))
            mask = load_mask(root, img_path)
            tiles.append((names[folder] if k == 0 else "", image, _mask_rgb(mask),
                          sorted({parts["parts"][int(k)] for k in np.unique(mask) if k})))
    s = tiles[0][1].shape[0] * SCALE
    cols, label_h = 4 * PER_CLASS, 14
    rows = (len(tiles) + cols - 1) // cols
    canvas = Image.new("RGB", (cols * (s + 6), rows * (2 * s + label_h + 10)), "white")
    draw = ImageDraw.Draw(canvas)
    for i, (name, image, mask, _) in enumerate(tiles):
        x, y = (i % cols) * (s + 6), (i // cols) * (2 * s + label_h + 10)
        draw.text((x + 2, y), name, fill="black")
        canvas.paste(Image.fromarray(image).resize((s, s), Image.NEAREST), (x, y + label_h))
        canvas.paste(Image.fromarray(mask).resize((s, s), Image.NEAREST), (x, y + label_h + s + 2))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    canvas.save(args.out)
    print(f"wrote {args.out}: {len(tiles)} images of {len(names)} classes (image above its part mask)")


if __name__ == "__main__":
    main()
