"""generator.results.metrics: the formulas of the stored numbers, their per-image shares, and the metric names and
directions; the stored numbers of a real run are reproduced exactly (==, not approximately) from its image records."""
from __future__ import annotations

import math

import pytest

from generator.results import metrics
from generator.results.io import read_classes, read_images, read_summary
from generator.runner.records import max_curve_length


def test_top1_mean_curve_and_auc():
    assert metrics.top1([True, False, True, True]) == 75.0 and metrics.top1([]) == 0.0
    assert metrics.top1(iter([1, 0, 0])) == 100.0 * 1 / 3
    assert metrics.mean_curve([[3.0, 1.0], [1.0]]) == [2.0, 0.5]
    assert metrics.mean_curve([[3.0, 1.0, 9.0]], length=2) == [3.0, 1.0] and metrics.mean_curve([]) == []
    assert metrics.auc([2.0, 0.5, 0.5]) == 1.0 and metrics.auc([]) == 0.0
    assert metrics.curve_stats([[4.0, 2.0], [2.0]], length=4) == (3.0, 1.0, [3.0, 1.0, 0.0, 0.0])


def test_image_shares_average_to_the_aggregates():
    curves, correct = [[4.0, 2.0, 1.0], [2.0], [3.0, 3.0]], [True, False, True]
    mi, area, curve = metrics.curve_stats(curves, length=5)
    n = len(curves)
    assert sum(metrics.image_mi(c, -1.0) for c in curves) / n == pytest.approx(mi)
    assert sum(metrics.image_auc(c, len(curve)) for c in curves) / n == pytest.approx(area)
    assert sum(metrics.image_top1(c) for c in correct) / n == pytest.approx(metrics.top1(correct))
    assert metrics.image_mi([], 0.7) == 0.7 and metrics.image_auc([1.0], 0) == 0.0


def test_metric_names_and_directions():
    assert metrics.metric_keys(["pca", "kmeans"]) == ["top1", "mi.pca", "mi.kmeans", "auc.pca", "auc.kmeans"]
    assert metrics.CURVE_METRICS == ("mi", "auc")
    assert metrics.split_key("auc.pca") == ("auc", "pca") and metrics.split_key("top1") == ("top1", None)
    assert all(metrics.higher_is_better(k) for k in ("top1", "mi.pca", "auc.kmeans"))
    assert metrics.METRICS["top1"].label == "Top-1 (%)"
    with pytest.raises(KeyError, match="unknown metric"):
        metrics.split_key("iou.pca")


def test_a_runs_stored_numbers_are_exactly_the_formulas(tmp_path):
    from generator.method.config import MethodConfig
    from tests.fixtures.suites import FAST_METHOD, reference_run

    _, out = reference_run()
    run = out / "shapes" / "tiny-vit__untrained"
    summary, images = read_summary(run / "summary.json"), read_images(run / "images.jsonl")
    ran = {"topk_per_part": summary.config.method_effective["topk_per_part"]}   # pool-scaled (method/config.py)
    length = max_curve_length(MethodConfig.from_dict({**FAST_METHOD, "methods": list(summary.methods)} | ran))
    assert summary.top1 == metrics.top1(r.correct for r in images)
    for m, s in summary.methods.items():
        assert (s.mi, s.auc, s.curve) == metrics.curve_stats([r.methods[m].curve for r in images], length)
    for c in read_classes(run / "classes.json").classes:
        mine = [r for r in images if r.label == c.name]
        assert c.top1 == metrics.top1(r.correct for r in mine)
        for m, res in c.methods.items():
            assert (res.mi, res.auc, res.curve) == metrics.curve_stats([r.methods[m].curve for r in mine], length)
            assert not math.isnan(res.auc)
