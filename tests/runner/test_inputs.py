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


def test_bad_images_are_skipped_and_recorded_or_stop_the_run_with_fail_fast(tmp_path):
    """One truncated / empty / non-image file ended `mkbench compute` with exit 2 (a day of GPU time on ImageNet)."""
    import pytest

    from generator.errors import StopRun
    from generator.results.io import read_classes, read_summary

    root = make_image_folder(tmp_path / "d", classes=(("circle", "red"), ("square", "green")), per_class=2, size=32)
    (root / "red_circle" / "empty.png").write_bytes(b"")
    (root / "green_square" / "text.jpg").write_text("not an image")
    pool = make_descriptor_pool(tmp_path / "pool.json")
    with pytest.raises(StopRun, match="text.jpg"):         # the first class in sorted order
        compute(_request(root, pool, tmp_path / "fast", fail_fast=True))
    said = []
    result = compute(_request(root, pool, tmp_path / "out"), progress=said.append)
    s = read_summary(result.results_dir / "summary.json")
    assert s.n_images == 4 and s.n_skipped_images == 2
    assert sorted(x.image for x in s.skipped_images) == ["green_square/text.jpg", "red_circle/empty.png"]
    classes = read_classes(result.results_dir / "classes.json").classes
    assert [[x.image for x in c.skipped] for c in classes] == [["green_square/text.jpg"], ["red_circle/empty.png"]]
    assert classes[1].n_images == 2 and "empty file" in classes[1].skipped[0].reason
    assert any("skipped 1 unreadable" in m for m in said)


def test_a_suite_run_reports_skipped_images_and_fail_fast_keeps_finished_units(tmp_path):
    import pytest

    from generator.errors import StopRun
    from generator.runner.orchestrate import run_suite
    from generator.runner.types import RunOptions
    from generator.suite import load_suite
    from tests.fixtures.suites import make_suite

    suite = make_suite(tmp_path, n_classes=2, per_class=1)
    folders = sorted(p.name for p in (tmp_path / "data" / "shapes").iterdir())
    bad = tmp_path / "data" / "shapes" / folders[-1] / "zz.png"          # in the last class
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)                  # a PNG cut short after its signature
    with pytest.raises(StopRun, match="zz.png"):
        run_suite(load_suite(suite), RunOptions(out=tmp_path / "out", fail_fast=True), quiet=True)
    shards = list((tmp_path / "out" / ".shards").glob("*/*/*.json"))
    assert len(shards) == 1                                              # the first class is kept
    report = run_suite(load_suite(suite), RunOptions(out=tmp_path / "out"), quiet=True)
    assert report.ok and report.totals()["skipped"] == 1 and report.totals()["bad_images"] == 1
    assert report.pairs[0].bad_images[0]["image"] == f"{folders[-1]}/zz.png"
