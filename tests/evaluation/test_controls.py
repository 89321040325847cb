"""Controls with known answers (generator.evaluation.controls)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from generator.evaluation import controls as C
from generator.method.mutual_information import mi_curve


def test_hypergeometric_pmf_known_values():
    p = C.hypergeom_pmf(10, 4, 3)                   # 10 items, 4 marked, draw 3
    expect = [math.comb(4, m) * math.comb(6, 3 - m) / math.comb(10, 3) for m in range(4)]
    np.testing.assert_allclose(p, expect, rtol=1e-12)
    assert p.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(C.hypergeom_pmf(5, 5, 2), [0, 0, 1])   # every item marked: m = draws
    with pytest.raises(ValueError):
        C.hypergeom_pmf(5, 6, 2)


def test_random_dv_is_deterministic_when_the_draw_is_forced():
    # the language side is the whole pool: every random id matches, m = Lv - k after k removals
    curve = C.random_dv_curve(3, 10, 10)
    assert curve == pytest.approx([math.log(3 * 10 * 3), math.log(3 * 10 * 2), math.log(3 * 10 * 1), 0.0])
    # D_v is the whole pool: m = LT at the start
    assert C.random_dv_curve(6, 2, 6)[0] == pytest.approx(math.log(6 * 2 * 2))
    assert C.random_dv_curve(0, 5, 10) == [0.0] and C.random_dv_curve(3, 0, 10) == [0.0] * 4


def test_random_dv_single_draw_by_hand():
    # Lv = 1 from N = 4 with LT = 1: P(match) = 1/4, MI of one match = log(1 * 1 * 1) = 0 -> curve [0, 0]
    assert C.random_dv_curve(1, 1, 4) == pytest.approx([0.0, 0.0], abs=1e-8)   # (the engine's 1e-9 epsilon)
    # Lv = 1, LT = 2, N = 4: P(match) = 1/2, MI = log 2
    assert C.random_dv_curve(1, 2, 4) == pytest.approx([0.5 * math.log(2), 0.0], abs=1e-8)


def test_random_dv_matches_monte_carlo():
    lv, lang, pool = 9, list(range(20, 26)), 75
    exact = C.random_dv_curve(lv, len(lang), pool)
    mc = C.random_dv_monte_carlo(lv, lang, pool, draws=1000, seed=1)
    np.testing.assert_allclose(mc, exact, atol=0.12)
    assert exact[-1] == 0.0 and len(exact) == lv + 1


def test_mean_control_curve_pads_like_the_method():
    a, b = [2.0, 1.0, 0.0], [4.0, 0.0]
    out = C.mean_control_curve([a, b], length=4)
    assert out["curve"] == pytest.approx([3.0, 0.5, 0.0, 0.0]) and out["mi"] == 3.0
    assert out["auc"] == pytest.approx(3.5 / 4)


def test_random_grounding_analytic():
    descriptor_parts = {"a": ["wheel"], "b": ["wheel", "window"], "c": ["roof"], "d": []}
    pool = ["a", "b", "c", "d", "e"]                  # "e" is unknown to the ground truth: a miss
    # present parts {wheel}: a, b name it -> 2/5; concepts: wheel with 3 descriptors, roof with 1, unmatched with 1
    out = C.random_grounding([("wheel", 3), ("roof", 1), (None, 1)], descriptor_parts, pool, ["wheel"])
    assert out["present"] == pytest.approx(2 / 5)
    assert out["under_concept"] == pytest.approx((3 * 2 / 5 + 1 * 1 / 5 + 0) / 5)
    # class prior: the reference is the class's own descriptors
    prior = C.random_grounding([("roof", 2)], descriptor_parts, ["c", "c", "d"], ["roof"])
    assert prior == {"present": 0.5, "under_concept": 0.5}
    assert C.random_grounding([], descriptor_parts, pool, ["wheel"]) == {"present": None, "under_concept": None}


def test_random_grounding_equals_sampling():
    rng = np.random.default_rng(0)
    descriptor_parts = {f"d{i}": [f"p{i % 4}"] for i in range(30)}
    pool = list(descriptor_parts) + ["x1", "x2"]
    concepts = [("p0", 3), ("p2", 2)]
    exact = C.random_grounding(concepts, descriptor_parts, pool, ["p0", "p1"])
    from generator.evaluation.ground_truth import grounding_precision

    got = []
    for _ in range(1500):
        ds = rng.choice(pool, size=5, replace=False).tolist()
        got.append(grounding_precision([("p0", ds[:3]), ("p2", ds[3:])], descriptor_parts, ["p0", "p1"]))
    assert np.mean([g["present"] for g in got]) == pytest.approx(exact["present"], abs=0.02)
    assert np.mean([g["under_concept"] for g in got]) == pytest.approx(exact["under_concept"], abs=0.02)


def test_best_part_ious_equal_part_localisation():
    from generator.evaluation.ground_truth import part_localisation

    rng = np.random.default_rng(3)
    for _ in range(5):
        gt = rng.integers(0, 4, size=(16, 16))
        pm = np.where(rng.random((16, 16)) < 0.2, -1, rng.integers(0, 5, size=(16, 16)))
        loc = part_localisation(pm, gt)
        np.testing.assert_allclose(C.best_part_ious(pm, gt), [c["iou"] for c in loc["concepts"]])
    assert C.best_part_ious(np.full((4, 4), -1), np.ones((4, 4))).size == 0
    assert C.best_part_ious(np.zeros((4, 4)), np.zeros((4, 4))).tolist() == [0.0]


def test_random_labels_keep_sizes_and_break_a_perfect_map():
    gt = np.zeros((8, 8), np.int64)
    gt[:, :4], gt[:, 4:] = 1, 2                      # two halves
    pm = np.where(gt == 1, 0, 1)                       # the method found them exactly (2x2-pixel cells)
    res = C.random_label_localisation(pm, gt, cell=2, draws=50, seed=0)
    assert res["draws"] == 50 and 0.2 < res["mean_iou"] < 0.6   # well below the method's 1.0
    # one concept over the whole foreground (IoU 0.5 with either half): permuting changes nothing
    one = np.where(gt > 0, 0, -1)
    assert C.random_label_localisation(one, gt, cell=2, draws=5)["mean_iou"] == pytest.approx(0.5)
    assert C.random_label_localisation(np.full((8, 8), -1), gt, cell=2)["mean_iou"] is None
    with pytest.raises(ValueError, match="grid of 3-pixel cells"):
        C.random_label_localisation(pm, gt, cell=3)


def test_auroc_known_values():
    assert C.auroc([3, 4], [1, 2]) == 1.0 and C.auroc([1, 2], [3, 4]) == 0.0
    assert C.auroc([1, 3], [2, 4]) == 0.25
    assert C.auroc([1], [1]) == 0.5                   # ties count half
    assert C.auroc([2, 2], [1, 2, 3]) == pytest.approx((1 + 0.5 + 0) / 3)
    assert C.auroc([], [1]) is None


def test_region_auroc_within_and_pool():
    parts = [["wheel"], ["wheel"], ["window"], ["window"], ["roof"], []]
    # the wheel region ranks wheel descriptors first; the window region ranks them at random (ties)
    scores = {"wheel": np.array([5, 4, 1, 2, 3, 0.0]), "window": np.zeros(6)}
    out = C.region_auroc(scores, parts)
    assert out["n_parts"] == 2
    assert out["within"] == pytest.approx((1.0 + 0.5) / 2)      # wheel vs window descriptors; window ties
    assert out["pool"] == pytest.approx((1.0 + 0.5) / 2)


def test_masks():
    a = np.zeros((4, 4), bool)
    a[:2] = True
    assert C.mask_iou(a, a) == 1.0 and C.mask_iou(a, ~a) == 0.0 and C.mask_iou(a & ~a, a & ~a) is None
    obj = np.zeros((8, 8), bool)
    obj[:4, :3] = True                                # patch (0,0) fully, patch (0,1) half: >= 0.5 -> object
    np.testing.assert_array_equal(C.oracle_patch_mask(obj, 4)[:2, :2], [[True, True], [True, True]])
    assert C.oracle_patch_mask(obj, 4).sum() == 4


def test_mean_of():
    assert C.mean_of([{"a": 1.0}, None, {"a": None}, {"a": 3.0}], ["a", "b"]) == {"a": 2.0, "b": None}
