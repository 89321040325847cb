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


def test_missing_overlays_and_inconsistent_summaries_are_refused_naming_the_folder(results):
    """They used to build a site with a warning at most."""
    folder = results / "imagenet" / "ViT-B-16__openai"
    s = json.loads((folder / "summary.json").read_text())
    s["methods"]["pca"]["auc"] += 0.5
    (folder / "summary.json").write_text(json.dumps(s))
    with pytest.raises(UserError, match=r"ViT-B-16__openai: invalid results.*AUC .* is not the mean of its curve"):
        load_run(folder, results, n_boot=50)
    s["methods"]["pca"]["auc"] -= 0.5
    (folder / "summary.json").write_text(json.dumps(s))
    load_run(folder, results, n_boot=50)
    for p in (folder / "overlays").rglob("*.png"):
        p.unlink()
    with pytest.raises(UserError, match=r"overlay files are missing.*mkbench validate"):
        load_run(folder, results, n_boot=50)


def test_overlay_paths_cannot_leave_the_results_folder(results, tmp_path):
    """An overlay path of /etc/passwd or ../../etc/hostname was copied into the published site."""
    folder = results / "imagenet" / "ViT-B-32__openai"
    path = folder / "images.jsonl"
    original = path.read_text()
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"private")
    (folder / "overlays" / "link.png").symlink_to(secret)
    for hostile in ["/etc/passwd", str(secret), "../../../../etc/hostname", "overlays/../../../secret.png",
                    "overlays/link.png"]:
        recs = [json.loads(line) for line in original.splitlines()]
        first = next(r for r in recs if r["methods"]["pca"]["overlay"])
        first["methods"]["pca"]["overlay"] = hostile
        path.write_text("".join(json.dumps(r) + "\n" for r in recs))
        with pytest.raises(UserError, match="outside the results folder"):
            load_run(folder, results, n_boot=0)


def test_examples_are_the_first_images_with_overlays(results):
    run = load_run(results / "imagenet" / "ViT-B-32__openai", results, n_examples=2)
    ex = run.examples["class 0001"]
    assert [e.image for e in ex] == ["class 0001/img_000.jpg"]  # only the first image has an overlay
    assert ex[0].methods["pca"].overlay.is_file() and ex[0].methods["pca"].parts[0].color.startswith("#")
