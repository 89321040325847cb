"""Schema-valid synthetic result files for benchmarking the website (never used by the product).

Writes ``ROOT/<dataset>/<model-id>/{summary.json, classes.json, images.jsonl}`` plus part-overlay PNGs in the
schema of :mod:`generator.results.schema`, with the paper's MI arithmetic (spec §2.5-2.6: MI = log(Lv*LT*m),
curves that end at 0, zero-padded mean curves) so that every aggregate is consistent with the per-image records.
The numbers are random; only their shape is real. ``hostile=True`` puts HTML/Markdown/LaTeX metacharacters into
class names, descriptors and model names, to test escaping.

    python benchmarks/synthetic_results.py OUT --models 13 --classes 1000 --images 10
"""
from __future__ import annotations

import argparse
import io
import math
import random
import struct
import zlib
from collections import Counter
from pathlib import Path

from generator.results.io import write_json, write_jsonl
from generator.results.schema import SCHEMA_VERSION, ClassesFile, ImageRecord, Summary

# The paper's 13 models (spec §3.1): (model, pretrained, family, architecture, data, resolution, params M, top-1)
PAPER_MODELS = [
    ("ViT-B-32", "openai", "ViT", "ViT-B/32", "WIT-400M", 224, 151.3, 61.66),
    ("ViT-B-16", "openai", "ViT", "ViT-B/16", "WIT-400M", 224, 149.6, 67.70),
    ("ViT-B-32", "datacomp_xl_s13b_b90k", "ViT", "ViT-B/32", "DataComp-1B", 224, 151.3, 68.88),
    ("ViT-B-16", "datacomp_xl_s13b_b90k", "ViT", "ViT-B/16", "DataComp-1B", 224, 149.6, 73.37),
    ("ViT-L-14", "openai", "ViT", "ViT-L/14", "WIT-400M", 224, 427.6, 74.77),
    ("ViT-L-14-336", "openai", "ViT", "ViT-L/14@336", "WIT-400M", 336, 427.9, 76.23),
    ("ViT-B-16-quickgelu", "dfn2b", "ViT", "ViT-B/16", "DFN-2B", 224, 149.6, 76.24),
    ("RN50", "openai", "ResNet", "ModifiedResNet-50", "WIT-400M", 224, 102.0, 58.42),
    ("RN101", "openai", "ResNet", "ModifiedResNet-101", "WIT-400M", 224, 119.7, 60.90),
    ("RN50x4", "openai", "ResNet", "ModifiedResNet-50x4", "WIT-400M", 288, 178.3, 65.28),
    ("RN50x16", "openai", "ResNet", "ModifiedResNet-50x16", "WIT-400M", 384, 290.98, 70.04),
    ("convnext_base", "laion400m_s13b_b51k", "ConvNeXt", "ConvNeXt-Base", "LAION-400M", 224, 151.5, 65.36),
    ("convnext_base_w", "laion_aesthetic_s13b_b82k", "ConvNeXt", "ConvNeXt-Base-W", "LAION-Aesthetic", 256, 179.4,
     71.22),
]
COLOURS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4"]
ADJ = ["red", "striped", "long", "round", "furry", "metal", "wooden", "small", "large", "curved", "shiny", "dark"]
NOUN = ["tail", "ears", "wheels", "handle", "leaves", "beak", "wings", "screen", "legs", "roof", "fins", "keys"]
HOSTILE = ['<script>alert("x")</script>', "a *bold* _claim_ | pipe", "50% & $5 #1 {x} ~y ^z \\back",
           "[link](http://evil.example)"]
LT = 50  # spec §2.4: u = 50 language descriptors


def _png(colour: str, size: int = 32) -> bytes:
    """A tiny solid-colour PNG (no PIL needed)."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    raw = b"".join(b"\x00" + bytes((r, g, b)) * size for _ in range(size))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    out = io.BytesIO()
    out.write(b"\x89PNG\r\n\x1a\n")
    out.write(chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)))
    out.write(chunk(b"IDAT", zlib.compress(raw)))
    out.write(chunk(b"IEND", b""))
    return out.getvalue()


def _mi(lv: int, m: int) -> float:
    return math.log(lv * LT * m) if m else 0.0


def _padded_mean(curves: list[list[float]]) -> list[float]:
    n = max(len(c) for c in curves)
    return [sum(c[t] if t < len(c) else 0.0 for c in curves) / len(curves) for t in range(n)]


def _top(counter: Counter, k: int = 10) -> list[dict]:
    return [{"descriptor": d, "count": c} for d, c in sorted(counter.items(), key=lambda x: (-x[1], x[0]))[:k]]


def write_model(root: Path, dataset: str, spec: tuple, classes: list[str], vocab: list[str], images: int,
                overlays: int, rng: random.Random, hostile: bool = False) -> None:
    model, pretrained, family, arch, data, res, params, top1 = spec
    model_id = f"{model}__{pretrained}"
    folder = root / dataset / model_id
    quality = top1 / 100.0
    methods = ("pca", "kmeans")
    records, class_records = [], []
    all_curves = {m: [] for m in methods}
    n_correct = 0
    for ci, cls in enumerate(classes):
        lang = rng.sample(vocab, LT)
        curves = {m: [] for m in methods}
        counts = {m: (Counter(), Counter(), Counter()) for m in methods}
        correct_here = 0
        for ii in range(images):
            correct = rng.random() < quality
            correct_here += correct
            # a wrong prediction is another class (as `correct` says), never the label itself
            pred = cls if correct or len(classes) < 2 else classes[(ci + 1 + ii % (len(classes) - 1)) % len(classes)]
            correct = pred == cls
            rec = {"image": f"{cls}/img_{ii:03d}.jpg", "label": cls, "prediction": pred, "correct": correct,
                   "methods": {}}
            for m in methods:
                lv = rng.randint(6, 15)
                m_true = min(lv, max(0, int(rng.gauss(1 + 4 * quality, 1.5))))
                mutual = rng.sample(lang, m_true)
                others = [d for d in rng.sample(vocab, lv + 10) if d not in lang][: lv - m_true]
                vision = mutual + others
                rng.shuffle(vision)
                remaining, curve = len(mutual), [_mi(lv, len(mutual))]
                for d in vision:
                    remaining -= d in mutual
                    curve.append(_mi(lv, remaining))
                parts = [{"part": p, "color": COLOURS[p], "area": round(rng.uniform(0.05, 0.3), 3),
                          "descriptors": vision[p * 3:(p + 1) * 3]} for p in range(min(5, math.ceil(lv / 3)))]
                overlay = None
                if ii < overlays:
                    overlay = f"overlays/{m}/c{ci:04d}_{ii:03d}.png"
                    target = folder / overlay
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(_png(COLOURS[(ci + ii) % 5]))
                rec["methods"][m] = {
                    "vision": [{"descriptor": d, "score": round(0.9 - 0.02 * k, 4), "part": k // 3}
                               for k, d in enumerate(vision)],
                    "language": lang, "mutual": [d for d in vision if d in mutual],
                    "mi": curve[0], "curve": curve, "parts": parts, "overlay": overlay}
                curves[m].append(curve)
                all_curves[m].append(curve)
                mut, vis, lan = counts[m]
                mut.update(mutual)
                vis.update(d for d in vision if d not in mutual)
                lan.update(d for d in lang[:15] if d not in mutual)
            records.append(rec)
        n_correct += correct_here
        cm = {}
        for m in methods:
            mean = _padded_mean(curves[m])
            mut, vis, lan = counts[m]
            cm[m] = {"mi": mean[0], "auc": sum(mean) / len(mean), "curve": mean, "mutual_concepts": _top(mut),
                     "vision_concepts": _top(vis), "language_concepts": _top(lan)}
        class_records.append({"name": cls, "n_images": images, "top1": 100.0 * correct_here / images, "methods": cm})
    ImageRecord.model_validate(records[0])
    write_jsonl(folder / "images.jsonl", records)
    write_json(folder / "classes.json", ClassesFile.model_validate({"schema_version": SCHEMA_VERSION,
                                                                   "classes": class_records}))
    summary_methods = {}
    for m in methods:
        mean = _padded_mean(all_curves[m])
        summary_methods[m] = {"mi": mean[0], "auc": sum(mean) / len(mean), "curve": mean}
    name = f"{model} <b>&amp;</b>" if hostile else model
    summary = {
        "schema_version": SCHEMA_VERSION, "model": name, "pretrained": pretrained, "model_id": model_id,
        "dataset": dataset, "n_images": len(records), "n_classes": len(classes),
        "top1": 100.0 * n_correct / len(records), "methods": summary_methods,
        "model_info": {"family": family, "image_size": res, "parameters": int(round(params * 1e6)), "data": data},
        "config": {"synthetic": True, "n_parts": 5},
        "provenance": {"package_version": "0.0.0-synthetic", "open_clip_version": "synthetic",
                       "torch_version": "synthetic", "git_commit": None, "descriptor_source": "synthetic",
                       "descriptor_sha256": "0" * 64, "seed": 0, "config_hash": "synthetic0000000",
                       "created": "2026-01-01T00:00:00+00:00"},
    }
    write_json(folder / "summary.json", Summary.model_validate(summary))


def write_synthetic_results(root, datasets=("imagenet",), models: int = 13, classes: int = 1000, images: int = 10,
                            overlays: int = 2, seed: int = 0, hostile: bool = False) -> Path:
    """Write synthetic results for ``models`` of the paper's 13 models; returns ``root``."""
    root = Path(root)
    rng = random.Random(seed)
    vocab = sorted({f"{a} {b}" for a in ADJ for b in NOUN} | {f"{a} {b} {c}" for a in ADJ[:6] for b in ADJ[6:]
                                                              for c in NOUN})
    if hostile:
        vocab = HOSTILE + vocab
    for dataset in datasets:
        names = [f"class {i:04d}" for i in range(classes)]
        if hostile:
            names[: len(HOSTILE)] = HOSTILE[: min(len(HOSTILE), classes)]
        for spec in PAPER_MODELS[:models]:
            write_model(root, dataset, spec, names, vocab, images, overlays, rng, hostile)
    return root


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--datasets", default="imagenet")
    p.add_argument("--models", type=int, default=13)
    p.add_argument("--classes", type=int, default=1000)
    p.add_argument("--images", type=int, default=10)
    p.add_argument("--overlays", type=int, default=2)
    p.add_argument("--hostile", action="store_true")
    a = p.parse_args()
    write_synthetic_results(a.out, a.datasets.split(","), a.models, a.classes, a.images, a.overlays, hostile=a.hostile)


if __name__ == "__main__":
    main()
