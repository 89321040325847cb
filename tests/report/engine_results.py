"""Results written by the real engine (``generator.runner.compute``) for the site tests: two tiny random-weight
models on a generated 3-class image folder whose class names and descriptors carry HTML, Markdown and LaTeX
metacharacters (so the escaping tests run on what the engine writes, not on hand-made JSON), and, in the same results
folder, a 4-class subset of the demo world WITH part masks (ground-truth metrics, schema 1.1) computed by three
models: the tiny random ViT (8 px patches) and ResNet (32 px grid cells) and the shipped trained ``demo-s-240``, so
that the AUC-top-1 correlation has three points and the pixel baseline differs between models. One part of the
demo world is renamed to hostile text in ``parts.json`` (part names come from user files)."""
from __future__ import annotations

import json
from pathlib import Path

from tests.fixtures.images import make_image_folder
from tests.fixtures.tiny import tiny_config_path

HOSTILE_CLASSES = {
    "red_circle": '<img src=x onerror=alert("cls")>',
    "green_square": "a *bold* _square_ | [link](http://evil.example) & co",
    "blue_triangle": "50% of $5 #1 {x} ~y ^z \\triangle",
}
HOSTILE_DESCRIPTORS = ['<script>alert("desc")</script>', "**strong** `code` | cell", "100% & $x_1$ {y} \\z"]
KINDS = ("vit", "modified_resnet")
REPO = Path(__file__).resolve().parents[2]
DEMO_CLASSES = ("house", "car", "bus", "snowman")   # class folders of the demo world kept (speed)
HOSTILE_PART = ("wall", '=wall <script>alert("part")</script> *w* 50% $x$ {y}')
DEMO_TRAINED = ("demo-vit-s", "demo-s-240")


def make_pool(path: Path) -> Path:
    colours = ["red", "green", "blue", "yellow", "black", "white", "grey", "orange"]
    things = ["edges", "corners", "surface", "outline", "pattern", "texture", "centre", "shadow"]
    pool = {}
    for c, name in enumerate(HOSTILE_CLASSES.values()):
        pool[name] = [f"{colours[(c + k) % 8]} {things[k % 8]} no. {c * 10 + k}" for k in range(10)]
    # the hostile descriptors go to every class so that they show up on both sides
    for name in pool:
        pool[name] = HOSTILE_DESCRIPTORS + pool[name]
    path.write_text(json.dumps(pool, indent=1))
    return path


def compute_engine_results(root: Path, kinds=KINDS) -> Path:
    """Run ``mkbench compute``'s engine for each tiny model kind; returns the results folder."""
    from generator.runner.compute import ComputeRequest, compute

    data = make_image_folder(root / "shapes", per_class=3, size=64)
    names = root / "classnames.json"
    names.write_text(json.dumps(HOSTILE_CLASSES))
    pool = make_pool(root / "pool.json")
    out = root / "results"
    for kind in kinds:
        compute(ComputeRequest(dataset_dir=data, descriptors=pool, out=out, model_config=str(tiny_config_path(kind)),
                               pretrained="none", class_names=names, dataset_name="shapes", device="cpu",
                               overlays_per_class=2))
    return out


def _rename(obj, old: str, new: str):
    """``obj`` (parsed JSON) with every string, and every dict key, equal to ``old`` replaced by ``new``."""
    if isinstance(obj, dict):
        return {(new if k == old else k): _rename(v, old, new) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rename(v, old, new) for v in obj]
    return new if obj == old else obj


def write_demo_subset(root: Path) -> Path:
    """The demo world, 2 images per class, reduced to :data:`DEMO_CLASSES`, with :data:`HOSTILE_PART` renamed."""
    import shutil

    from generator.demo.dataset import masks_root, write_dataset

    data = root / "demo"
    write_dataset(data, per_class=2)
    for d in [p for p in data.iterdir() if p.is_dir() and not p.name.startswith(".")]:
        if d.name not in DEMO_CLASSES:
            shutil.rmtree(d)
            shutil.rmtree(masks_root(data) / d.name)
    names = json.loads((data / "classnames.json").read_text())
    (data / "classnames.json").write_text(json.dumps({f: n for f, n in names.items() if f in DEMO_CLASSES}))
    parts = masks_root(data) / "parts.json"
    parts.write_text(json.dumps(_rename(json.loads(parts.read_text()), *HOSTILE_PART)))
    return data


def compute_demo_results(root: Path, out: Path) -> Path:
    """Ground-truth results on the demo subset into ``out/demo/<model-id>/``; returns ``out``."""
    from generator.runner.compute import ComputeRequest, compute

    data = write_demo_subset(root)
    config, weights = DEMO_TRAINED
    models = [(str(tiny_config_path("vit")), "none"), (str(tiny_config_path("modified_resnet")), "none"),
              (str(REPO / "data" / "demo" / "configs" / f"{config}.json"),
               str(REPO / "data" / "demo" / "models" / f"{weights}.safetensors"))]
    for model_config, pretrained in models:
        compute(ComputeRequest(dataset_dir=data, descriptors=REPO / "data" / "demo" / "descriptors_demo.json",
                               out=out, model_config=model_config, pretrained=pretrained, device="cpu",
                               overlays_per_class=1))
    return out
