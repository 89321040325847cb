"""Hungarian-matched part IoU and ARI (schema 1.5) on hand-made cases with known answers."""
import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from generator.evaluation.ground_truth import (matched_part_iou, part_ari, part_localisation, part_segmentation,
                                               pixel_kmeans_baseline)


def _gt():
    gt = np.zeros((12, 12), int)
    gt[2:6, 2:10] = 1      # 32 px
    gt[6:10, 2:6] = 2      # 16 px
    gt[6:10, 6:10] = 3     # 16 px
    return gt


def _perfect(gt):
    return np.where(gt > 0, gt + 10, -1)       # concept ids need not equal part ids


def test_perfect_segmentation_scores_one():
    gt = _gt()
    r = matched_part_iou(_perfect(gt), gt)
    assert r["matched_iou"] == pytest.approx(1.0) and r["n_parts"] == 3
    assert r["matches"] == {1: (11, 1.0), 2: (12, 1.0), 3: (13, 1.0)}
    assert part_ari(_perfect(gt), gt) == pytest.approx(1.0)


def test_one_cluster_over_the_object_scores_its_best_part_over_n_and_ari_zero():
    gt = _gt()
    one = np.where(gt > 0, 0, -1)
    seg = part_segmentation(one, gt)
    # the single concept matches the largest part, IoU 32/64; the other two parts score 0
    assert seg["matched_iou"] == pytest.approx(0.5 / 3) and seg["matched_iou"] <= 1 / 3
    assert seg["ari"] == pytest.approx(0.0, abs=1e-12)
    # the concept-wise metric cannot tell it from a segmentation: one concept, IoU 0.5
    assert part_localisation(one, gt)["mean_iou"] == pytest.approx(0.5)


def test_splitting_a_part_loses_against_the_perfect_map():
    gt = _gt()
    split = _perfect(gt)
    split[2:6, 6:10] = 99                      # part 1 cut in two halves
    seg, best = part_segmentation(split, gt), part_segmentation(_perfect(gt), gt)
    assert seg["matched_iou"] == pytest.approx((0.5 + 1 + 1) / 3)   # one half matched, the other unmatched
    assert seg["matched_iou"] < best["matched_iou"] and seg["ari"] < best["ari"]


def test_fewer_concepts_than_parts_and_pixels_outside_the_foreground():
    gt = _gt()
    pm = np.where(gt == 1, 0, -1)              # only part 1 found, parts 2 and 3 outside the foreground
    assert matched_part_iou(pm, gt)["matched_iou"] == pytest.approx(1 / 3)
    # outside pixels are one 'background' label: here that exactly merges parts 2 and 3
    o = gt > 0
    assert part_ari(pm, gt) == pytest.approx(adjusted_rand_score(gt[o], np.where(gt[o] == 1, 0, 1)))
    assert 0 < part_ari(pm, gt) < 1


def test_random_labels_score_near_zero_ari():
    rng = np.random.default_rng(0)
    gt = np.zeros((64, 64), int)
    gt[8:56, 8:32], gt[8:56, 32:56] = 1, 2
    aris = [part_ari(np.where(gt > 0, rng.integers(0, 4, gt.shape), -1), gt) for _ in range(10)]
    assert abs(np.mean(aris)) < 0.01
    assert matched_part_iou(np.where(gt > 0, rng.integers(0, 4, gt.shape), -1), gt)["matched_iou"] < 0.3


def test_ari_equals_sklearn_on_random_maps():
    rng = np.random.default_rng(1)
    for _ in range(30):
        gt = np.zeros((16, 16), int)
        gt[2:14, 2:14] = rng.integers(1, rng.integers(2, 6), (12, 12))
        pm = rng.integers(-1, rng.integers(1, 5), (16, 16))
        o = gt > 0
        assert part_ari(pm, gt) == pytest.approx(adjusted_rand_score(gt[o], np.where(pm[o] >= 0, pm[o], -1)),
                                                 abs=1e-12)


def test_edge_cases():
    gt = _gt()
    assert part_segmentation(np.full(gt.shape, -1), gt) == {"matched_iou": 0.0, "ari": 0.0}
    assert part_segmentation(np.zeros_like(gt), np.zeros_like(gt)) == {"matched_iou": None, "ari": None}
    with pytest.raises(ValueError, match="same size|one size"):
        part_segmentation(np.zeros((4, 4)), gt)


def test_pixel_kmeans_baseline_reports_the_matched_scores():
    gt = _gt()
    img = np.zeros((12, 12, 3), np.uint8)
    img[gt == 1], img[gt == 2], img[gt == 3] = (255, 0, 0), (0, 255, 0), (0, 0, 255)
    res = pixel_kmeans_baseline(img, gt, k=4, patch=2)
    assert res["matched_iou"] == pytest.approx(1.0) and res["ari"] == pytest.approx(1.0)
    assert res["segmentation"][0] == {"matched_iou": pytest.approx(1.0), "ari": pytest.approx(1.0)}
