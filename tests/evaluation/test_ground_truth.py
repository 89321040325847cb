"""Ground-truth metrics on hand-made cases with known answers."""
import numpy as np
import pytest

from generator.evaluation.ground_truth import (grounding_precision, interior_point, part_localisation, patchify,
                                               pixel_kmeans_baseline, summarise)


def _gt():
    gt = np.zeros((8, 8), int)
    gt[0:4, 0:4] = 1       # part 1: 16 px
    gt[4:8, 0:8] = 2       # part 2: 32 px
    return gt


def test_part_localisation_known_iou_and_pointing():
    gt = _gt()
    pm = np.full((8, 8), -1)
    pm[0:4, 0:2] = 0       # concept 0: half of part 1 -> IoU 8/16
    pm[4:8, 0:8] = 1       # concept 1: exactly part 2 -> IoU 1
    pm[0:2, 6:8] = 2       # concept 2: on background only -> IoU 0 with every part
    r = part_localisation(pm, gt, {1: "roof", 2: "wall"})
    c = {x["concept"]: x for x in r["concepts"]}
    assert c[0]["part"] == "roof" and c[0]["iou"] == pytest.approx(0.5) and c[0]["pointing"]
    assert c[1]["part"] == "wall" and c[1]["iou"] == pytest.approx(1.0) and c[1]["pointing"]
    assert c[2]["iou"] == 0.0 and not c[2]["pointing"]
    assert c[2]["part_id"] == 1  # tie at IoU 0 -> lowest part index
    assert r["mean_iou"] == pytest.approx(0.5)
    assert r["pointing_accuracy"] == pytest.approx(2 / 3)
    # concepts cover 8 + 32 + 4 = 44 px, object 48 px, overlap 40, union 52
    assert r["object_iou"] == pytest.approx(40 / 52)
    assert c[0]["ious"] == {"roof": 0.5, "wall": 0.0}


def test_concept_straddling_two_parts_matches_the_larger_overlap():
    gt = _gt()
    pm = np.full((8, 8), -1)
    pm[2:6, 0:4] = 0       # 8 px in part 1 (IoU 8/24), 8 px in part 2 (IoU 8/40)
    r = part_localisation(pm, gt)
    assert r["concepts"][0]["part_id"] == 1 and r["concepts"][0]["iou"] == pytest.approx(8 / 24)


def test_pointing_uses_the_most_interior_pixel():
    region = np.zeros((9, 9), bool)
    region[1:8, 1:8] = True
    assert interior_point(region) == (4, 4)
    # a U-shaped concept whose centroid lies outside it: the interior point is still inside the concept
    u = np.zeros((10, 10), bool)
    u[0:10, 0:3] = u[0:10, 7:10] = u[7:10, :] = True
    r, c = interior_point(u)
    assert u[r, c]


def test_no_concept_and_no_part():
    r = part_localisation(np.full((4, 4), -1), np.zeros((4, 4), int))
    assert r["n_concepts"] == 0 and r["mean_iou"] is None and r["object_iou"] is None
    r = part_localisation(np.zeros((4, 4), int), np.zeros((4, 4), int))
    assert r["concepts"][0]["part_id"] is None and r["mean_iou"] == 0.0
    with pytest.raises(ValueError, match="same size|one size"):
        part_localisation(np.zeros((4, 4)), np.zeros((8, 8)))


def test_summarise_pools_concepts():
    gt = _gt()
    a = part_localisation(np.where(gt == 2, 0, -1), gt)          # 1 concept, IoU 1
    pm = np.full((8, 8), -1)
    pm[0:4, 0:2], pm[0:2, 6:8] = 0, 1                             # IoU 0.5 and 0
    b = part_localisation(pm, gt)
    s = summarise([a, b])
    assert s["n_concepts"] == 3 and s["mean_iou"] == pytest.approx(0.5)


def test_patchify_layout():
    img = np.zeros((1, 16, 16, 3), np.uint8)
    img[0, 8:16, 0:8] = 255  # bottom-left patch white
    p = patchify(img, 8)
    assert p.shape == (1, 2, 2, 192)
    assert p[0, 1, 0].min() == 1.0 and p[0, 0, 0].max() == 0.0 and p[0, 1, 1].max() == 0.0


def test_pixel_kmeans_recovers_colour_coded_parts_and_fails_on_same_colour_parts():
    gt = np.zeros((16, 16), int)
    gt[0:8, :] = 1
    gt[8:16, 0:8] = 2
    img = np.zeros((16, 16, 3), np.uint8)
    img[gt == 1] = (255, 0, 0)
    img[gt == 2] = (0, 0, 255)
    r = pixel_kmeans_baseline(img, gt, k=3, patch=8, foreground=(gt[::8, ::8] > 0))
    assert r["n_concepts"] == 2  # k is capped at the number of distinct patches
    assert r["mean_iou"] == pytest.approx(1.0) and r["pointing_accuracy"] == 1.0
    # without a foreground the black background patch is a cluster too, matching no part
    r_all = pixel_kmeans_baseline(img, gt, k=3, patch=8)
    assert r_all["n_concepts"] == 3 and r_all["mean_iou"] == pytest.approx(2 / 3)
    assert r["part_maps"].shape == (1, 16, 16)
    # both parts the same colour: raw pixels cannot separate them, one cluster spans both
    img2 = np.where((gt > 0)[..., None], np.uint8(200), np.uint8(0)).astype(np.uint8)
    r2 = pixel_kmeans_baseline(img2, gt, k=3, patch=8, foreground=(gt[::8, ::8] > 0))
    assert r2["n_concepts"] == 1 and r2["mean_iou"] == pytest.approx(128 / 192)


def test_grounding_precision_known_answer():
    mapping = {"round black wheels": ["wheel"], "a low long body": ["car body"], "a red triangular roof": ["roof"],
               "a cabin": ["cabin"]}
    concepts = [("wheel", ["round black wheels", "a low long body"]),      # 1 of 2 under its part
                ("car body", ["a low long body", "a red triangular roof"]),  # 1 of 2
                (None, ["not in the pool"])]                                # unmatched concept, unknown descriptor
    r = grounding_precision(concepts, mapping, parts_present={"wheel", "car body", "cabin"})
    # distinct descriptors: wheels (present), body (present), roof (absent), unknown -> 2 / 4
    assert r["n_descriptors"] == 4 and r["present"] == pytest.approx(0.5)
    assert r["n_pairs"] == 5 and r["under_concept"] == pytest.approx(2 / 5)
    assert r["unknown"] == 1
    empty = grounding_precision([], mapping, [])
    assert empty["present"] is None and empty["under_concept"] is None
