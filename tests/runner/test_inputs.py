"""Hostile inputs through the engine (issue 10): long names, odd file names; each reproduced the failure first."""
from __future__ import annotations

from pathlib import Path

from generator.method.config import MethodConfig
from generator.results.io import read_images
from generator.runner.compute import ComputeRequest, compute
from tests.fixtures.images import make_descriptor_pool, make_image_folder
from tests.fixtures.tiny import tiny_config_path

FAST = MethodConfig(methods=("pca",), n_parts=3, kmeans_iter_limit=30, sinkhorn_iters=50, initial_topk=40,
                    language_topk=20)


def _request(root: Path, pool: Path, out: Path, **kw) -> ComputeRequest:
    return ComputeRequest(dataset_dir=root, descriptors=pool, out=out, model_config=str(tiny_config_path("vit")),
                          pretrained="none", device="cpu", method=FAST, **kw)


def test_long_dataset_and_file_names_are_shortened_not_crashing(tmp_path):
    """A 250-byte image file name (its overlay name went over 255 bytes) and a 300-character dataset name (its
    results folder did) gave OSError tracebacks."""
    root = make_image_folder(tmp_path / "d", classes=(("circle", "red"),), per_class=2, size=32)
    folder = root / "red_circle"
    (folder / "img_0.png").rename(folder / ("n" * 246 + ".png"))       # 250 bytes
    (folder / "img_1.png").rename(folder / ("n" * 246 + ".jpg"))       # its overlay would be "<that>.jpg.png"
    pool = make_descriptor_pool(tmp_path / "pool.json")
    result = compute(_request(root, pool, tmp_path / "out", dataset_name="D" * 300))
    assert len(result.results_dir.parent.name.encode()) <= 120
    overlays = [m.overlay for r in read_images(result.results_dir / "images.jsonl") for m in r.methods.values()]
    assert len(set(overlays)) == 2 and all((result.results_dir / o).is_file() for o in overlays)
    assert result.summary.dataset == "D" * 300                          # the name itself is kept in the results
