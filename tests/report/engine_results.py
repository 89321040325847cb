"""Results written by the real engine (``generator.runner.compute``) for the site tests: two tiny random-weight
models on a generated 3-class image folder whose class names and descriptors carry HTML, Markdown and LaTeX
metacharacters (so the escaping tests run on what the engine writes, not on hand-made JSON)."""
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
