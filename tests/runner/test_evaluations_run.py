"""The issue-9 evaluations inside a real (tiny, random-weights) run: per-image quality and baselines, class and
summary aggregates, bootstrap intervals by image and by class, sanity verdicts, the declared protocol and the
measured cost; and ``evaluations=False`` turns them off."""
from __future__ import annotations

import math

import pytest

from generator.method.config import MethodConfig
from generator.results.io import read_classes, read_images, read_summary
from generator.runner.compute import ComputeRequest, compute
from tests.fixtures.images import make_descriptor_pool, make_image_folder
from tests.fixtures.tiny import tiny_config_path

CFG = MethodConfig(methods=("pca",), n_parts=3, sinkhorn_iters=50)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("evals")
    root = make_image_folder(base / "shapes", per_class=2, size=64)
    pool = make_descriptor_pool(base / "pool.json", n_classes=6, per_class=10)
    out = base / "out"
    res = compute(ComputeRequest(dataset_dir=root, descriptors=pool, out=out, model_config=str(tiny_config_path("vit")),
                                 pretrained="none", device="cpu", overlays_per_class=0, method=CFG))
    return res.results_dir, (root, pool, base)


def test_run_stores_quality_baselines_intervals_and_protocol(run):
    folder, _ = run
    summary = read_summary(folder / "summary.json")
    classes = read_classes(folder / "classes.json").classes
    images = read_images(folder / "images.jsonl")
    with_regions = [r for r in images if r.methods["pca"].quality]
    assert with_regions, "the tiny run should give some image a region"
    for r in with_regions:
        qual = r.methods["pca"].quality
        assert len(qual["curves"]["deletion_score"]) == CFG.n_parts + 1
        assert qual["deletion"] == pytest.approx(sum(qual["curves"]["deletion_score"]) - (
            qual["curves"]["deletion_score"][0] + qual["curves"]["deletion_score"][-1]) / 2)
        assert set(r.methods["pca"].baselines) >= {"random_parts", "random_descriptors", "shuffled_class"}
    s = summary.methods["pca"]
    assert s.quality["n_images"] == len(with_regions)
    assert s.intervals["auc"]["class"]["unit"] == "class" and s.intervals["auc"]["image"]["unit"] == "image"
    assert s.intervals["auc"]["class"]["n_units"] == 3 and s.intervals["auc"]["image"]["n_units"] == 6
    iv = s.intervals["auc"]["image"]
    assert iv["lo"] <= s.auc + 1e-9 and s.auc - 1e-9 <= iv["hi"] and math.isclose(iv["mean"], s.auc, abs_tol=1e-9)
    assert summary.intervals["top1"]["class"]["mean"] == pytest.approx(summary.top1)
    assert set(s.sanity) >= {"random_parts", "random_descriptors", "shuffled_class"}
    assert all(isinstance(v["passes"], bool) for v in s.sanity.values())
    assert summary.evaluation["protocol"]["steps"] == CFG.n_parts
    assert summary.evaluation["protocol"]["blur_sigma_px"] == pytest.approx(64 / 16)
    assert summary.evaluation["forward_images"] > 0 and summary.evaluation["images_counted"] == 6
    a = summary.augmentation
    assert a["transductive"] and a["n_images"] == 6 and 0 <= a["base_top1"] <= 100 and "rule" in a
    ivs = a["intervals"]                                     # Table 2's intervals, by image and by class
    assert ivs["base_top1"]["class"]["n_units"] == 3 and ivs["augmented_top1"]["image"]["n_units"] == 6
    assert ivs["delta"]["class"]["diff"] == pytest.approx(a["delta"]) and ivs["delta"]["image"]["unit"] == "image"
    assert summary.config.evaluations is not None and "evaluations" in summary.config.model_dump()
    for c in classes:
        assert c.intervals["top1"]["image"]["n_units"] == c.n_images
        assert "mi" in c.methods["pca"].intervals


def test_evaluations_can_be_turned_off(run, tmp_path):
    _, (root, pool, _) = run
    res = compute(ComputeRequest(dataset_dir=root, descriptors=pool, out=tmp_path, evaluations=False,
                                 model_config=str(tiny_config_path("vit")), pretrained="none", device="cpu",
                                 overlays_per_class=0, method=CFG))
    summary = read_summary(res.results_dir / "summary.json")
    assert summary.evaluation is None and summary.methods["pca"].quality is None
    assert all(r.methods["pca"].quality is None for r in read_images(res.results_dir / "images.jsonl"))
    assert summary.methods["pca"].intervals["mi"]["image"]["n_units"] == 6    # intervals are always computed


def test_validate_accepts_the_run_and_catches_a_broken_interval(run, tmp_path):
    import json
    import shutil

    from generator.commands.validate import check_run

    folder, _ = run
    assert check_run(folder) == []
    copy = tmp_path / folder.parent.name / folder.name
    shutil.copytree(folder, copy)
    data = json.loads((copy / "summary.json").read_text())
    data["methods"]["pca"]["intervals"]["auc"]["image"]["lo"] = data["methods"]["pca"]["auc"] + 1.0
    (copy / "summary.json").write_text(json.dumps(data))
    assert any("does not hold its mean" in p for p in check_run(copy))


@pytest.fixture(scope="module")
def twin_run(run, tmp_path_factory):
    """A "trained" tiny ViT whose checkpoint is its own random twin (the seed-0 initialisation, saved): the
    random-weights baseline must then reproduce the method's numbers exactly and cannot pass."""
    import open_clip
    import torch

    _, (root, pool, _) = run
    base = tmp_path_factory.mktemp("twin")
    cfg = tiny_config_path("vit")
    open_clip.add_model_config(cfg)
    torch.manual_seed(0)
    torch.save(open_clip.create_model(cfg.stem, pretrained=None).state_dict(), base / "tiny-seed0.pt")
    res = compute(ComputeRequest(dataset_dir=root, descriptors=pool, out=base / "out", model_config=str(cfg),
                                 pretrained=str(base / "tiny-seed0.pt"), device="cpu", overlays_per_class=0,
                                 method=CFG, seed=0))
    return res.results_dir


def test_random_weights_baseline_is_paired_and_its_own_twin_cannot_pass(twin_run, run):
    from generator.commands.validate import check_run

    summary = read_summary(twin_run / "summary.json")
    images = read_images(twin_run / "images.jsonl")
    assert summary.evaluation["random_weights"] is True and "seed 0" in summary.evaluation["random_weights_init"]
    assert summary.evaluation["random_weights_forward_images"] >= len(images)     # at least its encode pass
    for r in images:
        m = r.methods["pca"]
        rw = m.baselines["random_weights"]
        assert rw["curve"] == m.curve and rw["mi"] == pytest.approx(m.mi) and rw["same_prediction"] is True
        if m.quality:
            assert all(rw[k] == pytest.approx(m.quality[k], abs=1e-6) for k in ("deletion", "insertion"))
    v = summary.methods["pca"].sanity["random_weights"]
    assert v["passes"] is False and all(x["diff"] == pytest.approx(0.0, abs=1e-6) for x in v["metrics"].values())
    assert summary.methods["pca"].baselines["random_weights"]["same_prediction"] == 1.0
    assert check_run(twin_run) == []
    untrained = read_summary(run[0] / "summary.json")        # a random-weights run has no random twin
    assert untrained.evaluation["random_weights"] is False
    assert "random_weights" not in (untrained.methods["pca"].sanity or {})


def test_no_random_weights_flag_skips_the_twin(twin_run, run, tmp_path):
    from click.testing import CliRunner

    from generator.cli import cli

    _, (root, pool, _) = run
    ckpt = next(twin_run.parents[2].glob("tiny-seed0.pt"))
    res = CliRunner().invoke(cli, ["compute", "--model-config", str(tiny_config_path("vit")), "--pretrained", str(ckpt),
                                   "--dataset-dir", str(root), "--descriptors", str(pool), "--out", str(tmp_path),
                                   "--methods", "pca", "--overlays", "0", "--device", "cpu", "--no-random-weights",
                                   "--quiet"])
    assert res.exit_code == 0, res.output
    folder = next(tmp_path.glob("*/*/summary.json")).parent
    summary = read_summary(folder / "summary.json")
    assert summary.evaluation["random_weights"] is False and summary.evaluation["random_weights_forward_images"] == 0
    assert "random_weights" not in summary.methods["pca"].sanity
    assert all("random_weights" not in (r.methods["pca"].baselines or {}) for r in read_images(folder / "images.jsonl"))


def test_a_twin_that_cannot_be_built_leaves_the_run_going(monkeypatch):
    """E.g. an hf-hub architecture whose config is not cached offline: no baseline, said once, not retried."""
    from types import SimpleNamespace

    import numpy as np

    from generator.errors import UserError
    from generator.registry import models as model_registry
    from generator.registry.models import ModelSpec
    from generator.runner import evaluations as ev

    calls, said = [], []

    def fail(spec, **kw):
        calls.append(spec)
        raise UserError("model x: could not load it offline")

    monkeypatch.setattr(model_registry, "load_model", fail)
    monkeypatch.setattr(ev, "_RANDOM", {})
    p = SimpleNamespace(spec=ModelSpec("hf-hub:someone/x", "tag"), request=SimpleNamespace(device="cpu", seed=0))
    for folder in ("a", "b"):
        assert ev.random_explanations(p, SimpleNamespace(folder=folder), np.zeros((1, 8, 8, 3), np.uint8), {},
                                      say=said.append) is None
    assert len(calls) == 1 and calls[0].pretrained == "none"
    assert said[-1] == "b: no random-weights baseline (model x: could not load it offline)"
