"""Controls end to end (schema 1.3): the demo world with masks, a tiny random ViT; every stored control equals the
evaluation function called directly, at image, class and data-set level; the pool-scaled settings are recorded."""
from __future__ import annotations

import numpy as np
import pytest

from generator.demo.dataset import write_dataset
from generator.evaluation import controls as C
from generator.method.config import MethodConfig, effective_topk, pool_scaled
from generator.registry.datasets import scan_image_folder
from generator.registry.descriptors import load_pool
from generator.results.io import read_classes, read_images, read_summary
from generator.runner.compute import ComputeRequest, compute
from generator.runner.records import max_curve_length
from tests.fixtures.tiny import tiny_config_path
from tests.runner.test_ground_truth_run import POOL, _subset

CFG = MethodConfig(methods=("pca",), n_parts=3, foreground_method="border_contrast")


def _same(a: dict, b: dict) -> None:
    assert a["mi"] == pytest.approx(b["mi"]) and a["auc"] == pytest.approx(b["auc"])
    assert a["curve"] == pytest.approx(b["curve"])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("ctl")
    write_dataset(base / "demo", per_class=2)
    root = _subset(base / "demo", ("car", "snowman"))
    res = compute(ComputeRequest(dataset_dir=root, descriptors=POOL, out=base / "out", device="cpu",
                                 model_config=str(tiny_config_path("vit")), pretrained="none", overlays_per_class=0,
                                 method=CFG))
    d = res.results_dir
    return {"root": root, "images": read_images(d / "images.jsonl"), "classes": read_classes(d / "classes.json").classes,
            "summary": read_summary(d / "summary.json")}


def test_random_dv_control_is_the_exact_expectation_at_every_level(run):
    pool = load_pool(POOL)
    n = len(pool.descriptors)
    for r in run["images"]:
        m = r.methods["pca"]
        _same(m.controls["random_dv"], C.random_dv(len(m.vision), len(m.language), n))
    length = max_curve_length(pool_scaled(CFG, n, 2))      # the config that ran (1 descriptor per part here)
    assert length == CFG.n_parts + 1
    for k in run["classes"]:
        mine = [r.methods["pca"].controls["random_dv"]["curve"] for r in run["images"] if r.label == k.name]
        _same(k.methods["pca"].controls["random_dv"], C.mean_control_curve(mine, length))
    s = run["summary"].methods["pca"].controls["random_dv"]
    _same(s, C.mean_control_curve([r.methods["pca"].controls["random_dv"]["curve"] for r in run["images"]], length))


def test_pool_scaled_settings_are_recorded(run):
    pool = load_pool(POOL)
    eff = run["summary"].config.method_effective
    assert eff == effective_topk(CFG, len(pool.descriptors), 2) and eff["scaled"]
    assert all(len(r.methods["pca"].language) == eff["language_topk"] for r in run["images"])
    assert run["summary"].config.method["foreground_method"] == "border_contrast"


def test_grounding_and_foreground_controls_equal_direct_computation(run):
    ds = scan_image_folder(run["root"])
    masks, pool = ds.part_masks, load_pool(POOL)
    for r in run["images"]:
        gt = masks.mask(r.image, 64)
        present = set(masks.names_present(gt))
        c = r.methods["pca"].controls
        if r.methods["pca"].ground_truth.n_pairs:
            share = sum(1 for d in pool.descriptors if present & set(masks.descriptor_parts.get(d, ()))) / len(pool)
            assert c["grounding_random"]["present"] == pytest.approx(share)
            prior = list(dict.fromkeys(pool.classes[r.prediction]))
            share = sum(1 for d in prior if present & set(masks.descriptor_parts.get(d, ()))) / len(prior)
            assert c["grounding_class_prior"]["present"] == pytest.approx(share)
        assert c["random_labels"]["draws"] == 20 and "oracle_foreground" in c
        fg = r.controls["foreground"]
        assert fg["every_patch_iou"] == pytest.approx((gt > 0).mean())
        assert 0.0 <= fg["iou"] <= 1.0 and fg["oracle_patch_iou"] >= 0.5
        region = r.controls["oracle_region"]
        assert set(region) == {"red", "gray", "blur", "mean", "n_parts"} and region["n_parts"] == len(present)
        assert region["mean"]["within"] is None or 0.0 <= region["mean"]["within"] <= 1.0
    sc = run["summary"].controls["foreground"]
    assert sc["n_images"] == len(run["images"])
    assert sc["n_empty"] == sum(r.controls["foreground"]["empty"] for r in run["images"])
    assert sc["iou"] == pytest.approx(np.mean([r.controls["foreground"]["iou"] for r in run["images"]]))


def test_segmentation_scores_and_one_cluster_control_are_stored_at_every_level(run):
    """Schema 1.5: matched IoU / ARI beside the concept-wise IoU; the one-cluster control's matched IoU is its single
    concept's best-part IoU over the parts present, and it covers exactly the method's foreground."""
    for r in run["images"]:
        gt, c = r.methods["pca"].ground_truth.model_dump(), r.methods["pca"].controls
        n_present = len(gt["parts_present"])
        assert 0.0 <= gt["matched_iou"] <= 1.0 and -1.0 <= gt["ari"] <= 1.0
        one = c["one_cluster"]
        assert one["n_concepts"] == (1 if gt["n_concepts"] else 0)
        assert one["object_iou"] == pytest.approx(gt["object_iou"])
        if gt["n_concepts"]:
            assert one["matched_iou"] == pytest.approx(one["mean_iou"] / n_present)
        else:
            assert one["matched_iou"] == 0.0 and gt["matched_iou"] == 0.0
        for key in ("random_labels", "oracle_foreground"):
            assert {"matched_iou", "ari"} <= set(c[key])
        if r.ground_truth_baseline is not None:
            assert {"matched_iou", "ari"} <= r.ground_truth_baseline.model_fields_set
    s = run["summary"].methods["pca"]
    for key in ("matched_iou", "ari"):
        assert s.ground_truth.metric(key) == pytest.approx(
            np.mean([r.methods["pca"].ground_truth.metric(key) for r in run["images"]]))
        assert s.controls["one_cluster"][key] == pytest.approx(
            np.mean([r.methods["pca"].controls["one_cluster"][key] for r in run["images"]
                     if r.methods["pca"].controls["one_cluster"][key] is not None]))
