"""Finding and reading results: clear errors for bad input, warnings for inconsistent files."""
from __future__ import annotations

import json

import pytest

from benchmarks.synthetic_results import write_synthetic_results
from generator.errors import UserError
from generator.report.load import discover, load_all, load_run


@pytest.fixture
def results(tmp_path):
    return write_synthetic_results(tmp_path / "r", models=2, classes=3, images=3, overlays=1)


def test_discovery_errors_name_the_folder_and_the_fix(tmp_path, results):
    with pytest.raises(UserError, match="results folder not found"):
        discover(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="mkbench compute"):
        discover(tmp_path / "empty")
    with pytest.raises(UserError, match="pass its parent"):
        discover(results / "imagenet")
    assert [p.name for p in discover(results)["imagenet"]] == ["ViT-B-16__openai", "ViT-B-32__openai"]


def test_a_broken_image_record_is_a_user_error_with_file_and_line(results):
    path = results / "imagenet" / "ViT-B-32__openai" / "images.jsonl"
    lines = path.read_text().splitlines()
    lines[1] = '{"image": "x"}'
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(UserError, match=r"images.jsonl:2"):
        load_all(results, jobs=1)


def test_missing_overlays_and_inconsistent_summaries_are_warned(results):
    folder = results / "imagenet" / "ViT-B-16__openai"
    for p in (folder / "overlays").rglob("*.png"):
        p.unlink()
    s = json.loads((folder / "summary.json").read_text())
    s["methods"]["pca"]["auc"] += 0.5
    (folder / "summary.json").write_text(json.dumps(s))
    run = load_run(folder, results, n_boot=50)
    assert any("overlay file(s)" in w for w in run.warnings)
    assert any("disagrees" in w and "auc.pca" in w for w in run.warnings)
    assert all(v.overlay is None for exs in run.examples.values() for e in exs for v in e.methods.values())


def test_examples_are_the_first_images_with_overlays(results):
    run = load_run(results / "imagenet" / "ViT-B-32__openai", results, n_examples=2)
    ex = run.examples["class 0001"]
    assert [e.image for e in ex] == ["class 0001/img_000.jpg"]  # only the first image has an overlay
    assert ex[0].methods["pca"].overlay.is_file() and ex[0].methods["pca"].parts[0].color.startswith("#")
