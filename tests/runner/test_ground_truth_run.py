"""Ground-truth metrics end to end: the demo world with masks, a tiny random ViT (64 px, 8 px patches like the world),
schema 1.1 fields at image, class and dataset level, agreement with the evaluation functions called directly, the
pixel K-means baseline, resumability, and no ground truth for datasets without masks."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from generator.demo.dataset import load_mask, write_dataset
from generator.evaluation.ground_truth import (grounding_precision, part_localisation, part_segmentation,
                                               pixel_kmeans_baseline)
from generator.method.config import MethodConfig
from generator.registry.datasets import scan_image_folder
from generator.results.io import read_classes, read_images, read_summary
from generator.results.schema import SCHEMA_VERSION
from generator.runner import ground_truth as gt_mod
from generator.runner.compute import ComputeRequest, compute
from tests.fixtures.images import make_descriptor_pool, make_image_folder
from tests.fixtures.tiny import tiny_config_path

REPO = Path(__file__).resolve().parents[2]
POOL = REPO / "data" / "demo" / "descriptors_demo.json"
KEEP = ("car", "house", "snowman")  # class folders of the demo world kept for speed
METHODS = ("pca", "kmeans")
N_PARTS = 4


def _subset(root: Path, keep) -> Path:
    """Drop every class folder (and its masks) but ``keep``; rewrite classnames.json to match."""
    for d in [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]:
        if d.name not in keep:
            shutil.rmtree(d)
            shutil.rmtree(root / ".masks" / d.name)
    names = json.loads((root / "classnames.json").read_text())
    (root / "classnames.json").write_text(json.dumps({f: n for f, n in names.items() if f in keep}))
    return root


def _request(root, out, pool=POOL):
    return ComputeRequest(dataset_dir=root, descriptors=pool, out=out, model_config=str(tiny_config_path("vit")),
                          pretrained="none", device="cpu", overlays_per_class=0,
                          method=MethodConfig(methods=METHODS, n_parts=N_PARTS))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Compute once, capturing each class batch's inputs to the ground-truth step."""
    base = tmp_path_factory.mktemp("gt")
    write_dataset(base / "demo", per_class=3)
    root = _subset(base / "demo", KEEP)
    captured = []
    real = gt_mod.batch_ground_truth
    mp = pytest.MonkeyPatch()

    def spy(masks, files, raw, explanations, *args):
        captured.append({"files": list(files), "raw": raw.copy(), "explanations": explanations, "args": args})
        return real(masks, files, raw, explanations, *args)

    mp.setattr(gt_mod, "batch_ground_truth", spy)
    try:
        res = compute(_request(root, base / "out"))
    finally:
        mp.undo()
    d = res.results_dir
    return {"root": root, "out": base / "out", "res": res, "captured": captured, "images": read_images(d / "images.jsonl"),
            "classes": read_classes(d / "classes.json").classes, "summary": read_summary(d / "summary.json")}


def _unit(x):
    return x is None or 0.0 <= x <= 1.0


def _in_range(key, x):
    """Shares in [0, 1]; the adjusted Rand index in [-1, 1] (below 0 when worse than chance)."""
    return x is None or (-1.0 <= x <= 1.0 if key == "ari" else 0.0 <= x <= 1.0)


def _d(typed):
    """A typed ground truth (schema ImageGroundTruth / GroundTruthAggregate) as the dict it is stored as."""
    return None if typed is None else typed.model_dump()


def test_fields_exist_and_are_shares(run):
    images, classes, summary = run["images"], run["classes"], run["summary"]
    assert summary.schema_version == SCHEMA_VERSION and len(images) == 9 and len(classes) == 3
    for r in images:
        b = _d(r.ground_truth_baseline)
        assert b is not None and b["k"] == N_PARTS and b["patch"] == 8
        assert all(_unit(b[k]) for k in gt_mod.LOCALISATION)
        for name in METHODS:
            g = _d(r.methods[name].ground_truth)
            assert g is not None and set(gt_mod.METRICS) <= set(g)
            assert all(_in_range(k, g[k]) for k in gt_mod.METRICS)
            assert g["n_concepts"] == len(g["concepts"]) == len(r.methods[name].parts)
            assert {c["concept"] for c in g["concepts"]} == {p.part for p in r.methods[name].parts}
            assert set(g["parts_present"]) and all(c["part"] in g["parts_present"] for c in g["concepts"])
            assert all(0.0 <= c["iou"] <= 1.0 for c in g["concepts"])
    for level in [_d(k.methods[n].ground_truth) for k in classes for n in METHODS] + \
                 [_d(summary.methods[n].ground_truth) for n in METHODS] + \
                 [_d(k.ground_truth_baseline) for k in classes] + [_d(summary.ground_truth_baseline)]:
        assert level is not None and level["n_images"] >= 1
        assert all(_in_range(k, level.get(k)) for k in gt_mod.METRICS)
        assert all(0.0 <= v["mean_iou"] <= 1.0 and v["matched"] >= 1 for v in level["parts"].values())
    assert summary.methods["pca"].ground_truth.n_images == 9
    assert any(r.methods[n].ground_truth.mean_iou for r in images for n in METHODS)  # not vacuous


def test_image_metrics_agree_with_the_evaluation_functions(run):
    masks = scan_image_folder(run["root"]).part_masks
    by_path = {r.image: r for r in run["images"]}
    batch = run["captured"][1]  # one class batch
    descriptors = json.loads(POOL.read_text())
    flat = list(dict.fromkeys(d for ds in descriptors.values() for d in ds))
    for j, rel in enumerate(batch["files"]):
        gt = load_mask(run["root"], run["root"] / rel, size=64)
        record = by_path[rel]
        for name in METHODS:
            m = batch["explanations"][j].methods[name]
            loc = part_localisation(m.part_map, gt, masks.part_names)
            g = _d(record.methods[name].ground_truth)
            assert g["mean_iou"] == loc["mean_iou"] and g["pointing_accuracy"] == loc["pointing_accuracy"]
            assert g["object_iou"] == loc["object_iou"]
            assert {k: g[k] for k in ("matched_iou", "ari")} == part_segmentation(m.part_map, gt)
            assert [(c["concept"], c["part"], c["iou"]) for c in g["concepts"]] == \
                   [(c["concept"], c["part"], c["iou"]) for c in loc["concepts"]]
            # grounding from the written record alone: each overlay part's descriptors under its matched part
            matched = {c["concept"]: c["part"] for c in g["concepts"]}
            concepts = [(matched.get(p.part), p.descriptors) for p in record.methods[name].parts]
            present = [masks.part_names[int(k)] for k in np.unique(gt) if k > 0]
            gp = grounding_precision(concepts, masks.descriptor_parts, present)
            assert g["grounding_present"] == gp["present"] and g["grounding_under_concept"] == gp["under_concept"]
            assert g["n_unknown_descriptors"] == 0 and all(d in flat for _, ds in concepts for d in ds)
    fg = np.stack([e.foreground for e in batch["explanations"]])
    gts = np.stack([load_mask(run["root"], run["root"] / rel, size=64) for rel in batch["files"]])
    base = pixel_kmeans_baseline(batch["raw"], gts, k=N_PARTS, patch=8, foreground=fg, seed=0,
                                 part_names=masks.part_names)
    for j, rel in enumerate(batch["files"]):
        assert by_path[rel].ground_truth_baseline.mean_iou == base["per_image"][j]["mean_iou"]
        assert by_path[rel].ground_truth_baseline.matched_iou == base["segmentation"][j]["matched_iou"]
        assert by_path[rel].ground_truth_baseline.ari == base["segmentation"][j]["ari"]


def _mean(values):
    values = [v for v in values if v is not None]
    return pytest.approx(float(np.mean(values))) if values else None


def test_class_and_dataset_aggregates_are_means_over_images(run):
    images, classes, summary = run["images"], run["classes"], run["summary"]
    for k in classes:
        mine = [r for r in images if r.label == k.name]
        for name in METHODS:
            for key in gt_mod.METRICS:
                assert k.methods[name].ground_truth.metric(key) == \
                    _mean([r.methods[name].ground_truth.metric(key) for r in mine])
        assert k.ground_truth_baseline.mean_iou == _mean([r.ground_truth_baseline.mean_iou for r in mine])
    for name in METHODS:
        g = _d(summary.methods[name].ground_truth)
        assert g["pointing_accuracy"] == _mean([r.methods[name].ground_truth.pointing_accuracy for r in images])
        assert g["n_concepts"] == sum(r.methods[name].ground_truth.n_concepts for r in images)
        assert sum(v["matched"] for v in g["parts"].values()) <= g["n_concepts"]
    b = _d(summary.ground_truth_baseline)
    assert b["object_iou"] == _mean([r.ground_truth_baseline.object_iou for r in images])


def test_rerun_skips_and_keeps_the_ground_truth(run):
    again = compute(_request(run["root"], run["out"]))
    assert again.computed == 0
    assert again.summary.methods["pca"].ground_truth == run["summary"].methods["pca"].ground_truth
    assert again.summary.ground_truth_baseline == run["summary"].ground_truth_baseline


def test_dataset_without_masks_has_no_ground_truth(tmp_path):
    root = make_image_folder(tmp_path / "shapes", per_class=2, size=64)
    pool = make_descriptor_pool(tmp_path / "pool.json", n_classes=6, per_class=10)
    res = compute(_request(root, tmp_path / "out", pool=pool))
    summary = read_summary(res.results_dir / "summary.json")
    assert summary.ground_truth_baseline is None
    assert all(m.ground_truth is None for m in summary.methods.values())
    for k in read_classes(res.results_dir / "classes.json").classes:
        assert k.ground_truth_baseline is None and all(m.ground_truth is None for m in k.methods.values())
    for r in read_images(res.results_dir / "images.jsonl"):
        assert r.ground_truth_baseline is None and all(m.ground_truth is None for m in r.methods.values())


def test_typed_ground_truth_writes_back_the_stored_bytes(run):
    """Issue 12: ImageGroundTruth / GroundTruthAggregate change no stored byte: each stored ground truth holds the
    keys, order and values the runner's ground-truth step gave, and every file re-validated and re-dumped the way
    generator.results.io writes it is identical to the file."""
    from generator.results.schema import ClassesFile, ImageRecord, Summary

    d = run["res"].results_dir
    lines = (d / "images.jsonl").read_text(encoding="utf-8").splitlines()
    for line in lines:
        assert json.dumps(ImageRecord.model_validate_json(line).model_dump(mode="json"), ensure_ascii=False) == line
    for name, model in (("classes.json", ClassesFile), ("summary.json", Summary)):
        text = (d / name).read_text(encoding="utf-8")
        assert json.dumps(model.model_validate_json(text).model_dump(mode="json"), indent=1, ensure_ascii=False) \
            + "\n" == text
    stored = {json.loads(x)["image"]: json.loads(x) for x in lines}
    batch = run["captured"][0]
    methods, base = gt_mod.batch_ground_truth(scan_image_folder(run["root"]).part_masks, batch["files"], batch["raw"],
                                              batch["explanations"], *batch["args"])
    for j, rel in enumerate(batch["files"]):
        rec = stored[rel]
        assert list(rec["ground_truth_baseline"]) == list(base[j]) and rec["ground_truth_baseline"] == base[j]
        for name in METHODS:
            given, kept = methods[j][name], rec["methods"][name]["ground_truth"]
            assert list(kept) == list(given) and kept == given
            assert [list(c) for c in kept["concepts"]] == [list(c) for c in given["concepts"]]
    typed = ImageRecord.model_validate(stored[batch["files"][0]])
    assert typed.methods["pca"].ground_truth.concepts[0].iou == stored[batch["files"][0]]["methods"]["pca"][
        "ground_truth"]["concepts"][0]["iou"]
