"""Schema 1.1 is additive: files written by 1.0.x (no ground-truth fields) still read; 2.x does not."""
import json

import pytest

from generator.results.io import read_classes, read_images, read_summary
from generator.results.schema import SCHEMA_VERSION, schema_major

PROV = {"package_version": "0", "open_clip_version": "0", "torch_version": "0", "git_commit": None,
        "descriptor_source": "p", "descriptor_sha256": "s", "seed": 0, "config_hash": "h", "created": "now"}
SUMMARY_1_0 = {"schema_version": "1.0.0", "model": "m", "pretrained": "x", "model_id": "m", "dataset": "d",
               "n_images": 1, "n_classes": 1, "top1": 100.0,
               "methods": {"pca": {"mi": 0.0, "auc": 0.0, "curve": [0.0]}}, "provenance": PROV}
CLASSES_1_0 = {"schema_version": "1.0.2", "classes": [{"name": "c", "n_images": 1, "top1": 100.0, "methods": {
    "pca": {"mi": 0.0, "auc": 0.0, "curve": [0.0], "mutual_concepts": []}}}]}
IMAGE_1_0 = {"image": "c/a.png", "label": "c", "prediction": "c", "correct": True, "methods": {
    "pca": {"vision": [], "language": [], "mutual": [], "mi": 0.0, "curve": [0.0], "ground_truth": None}}}


def test_version_is_1_5():
    assert SCHEMA_VERSION == "1.5.0" and schema_major(SCHEMA_VERSION) == 1   # 1.2: skipped images; 1.3: controls and evaluations; 1.4: random weights, Table 2 intervals; 1.5: matched part IoU, ARI, one-cluster control


def test_1_3_files_validate_without_the_1_4_fields():
    from generator.commands.validate import check_augmentation, check_random_weights

    s = read_summary_from(dict(SUMMARY_1_0, schema_version="1.3.0",
                               augmentation={"base_top1": 50.0, "augmented_top1": 60.0, "delta": 10.0}))
    assert check_augmentation(s.augmentation) == [] and check_random_weights(s, []) == []


def read_summary_from(data):
    from generator.results.schema import Summary

    return Summary.model_validate(data)


def test_1_0_files_read_without_the_evaluation_fields(tmp_path):
    (tmp_path / "summary.json").write_text(json.dumps(SUMMARY_1_0))
    (tmp_path / "images.jsonl").write_text(json.dumps(IMAGE_1_0) + "\n")
    s = read_summary(tmp_path / "summary.json")
    assert s.intervals is None and s.evaluation is None and s.augmentation is None
    assert s.methods["pca"].quality is None and s.methods["pca"].sanity is None
    r = read_images(tmp_path / "images.jsonl")[0]
    assert r.methods["pca"].quality is None and r.methods["pca"].baselines is None


def test_1_0_files_read_without_ground_truth(tmp_path):
    (tmp_path / "summary.json").write_text(json.dumps(SUMMARY_1_0))
    (tmp_path / "classes.json").write_text(json.dumps(CLASSES_1_0))
    (tmp_path / "images.jsonl").write_text(json.dumps(IMAGE_1_0) + "\n")
    s = read_summary(tmp_path / "summary.json")
    assert s.ground_truth_baseline is None and s.methods["pca"].ground_truth is None
    k = read_classes(tmp_path / "classes.json").classes[0]
    assert k.ground_truth_baseline is None and k.methods["pca"].ground_truth is None
    r = read_images(tmp_path / "images.jsonl")[0]
    assert r.ground_truth_baseline is None and r.methods["pca"].ground_truth is None


def test_other_major_is_refused(tmp_path):
    (tmp_path / "summary.json").write_text(json.dumps({**SUMMARY_1_0, "schema_version": "2.0.0"}))
    with pytest.raises(ValueError, match="schema version 2.0.0"):
        read_summary(tmp_path / "summary.json")
