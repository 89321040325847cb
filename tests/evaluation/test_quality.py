"""Deletion / insertion / AccDrop / AccInc (spec §2.7) on hand-made cases with known answers."""
import itertools

import numpy as np
import pytest

from generator.evaluation import quality as q

S = 64
OBJECT = (slice(16, 40), slice(16, 40))     # the planted object: a white square


def planted_image() -> np.ndarray:
    img = np.zeros((S, S, 3), np.uint8)
    img[OBJECT] = 255
    return img


def part_map() -> np.ndarray:
    """Part 0 = the object, parts 1 and 2 = background strips, part 3 = a corner block."""
    m = np.full((S, S), -1, int)
    m[OBJECT] = 0
    m[0:8, :] = 1
    m[56:64, :] = 2
    m[40:56, 0:16] = 3
    return m


def encoder(images: np.ndarray) -> np.ndarray:
    """Class 0 evidence = brightness of the object square; class 1 a constant: removing the object kills class 0."""
    a = images[:, OBJECT[0], OBJECT[1], 0].astype(float).mean(axis=(1, 2)) / 255.0
    e = np.stack([a, np.full_like(a, 0.5)], axis=1)
    return e / np.linalg.norm(e, axis=1, keepdims=True)


CLASSES = np.eye(2, dtype=np.float32)


def run(order, n_parts=4, counter=None, label=0):
    raw = planted_image()[None]
    jobs = [q.QualityJob(image=0, part_map=part_map(), order=list(order))]
    return q.batch_quality(raw, jobs, CLASSES, predictions=[0], labels=[label], original_logits=encoder(raw) @ CLASSES.T,
                           encode=encoder, n_parts=n_parts, counter=counter)[0]


def test_auc_rule_on_hand_made_curves():
    assert q.auc_trapezoid([1, 1, 1, 1, 1, 1]) == pytest.approx(5.0)        # constant 1 over 5 unit steps
    assert q.auc_trapezoid([1, 0, 0, 0, 0, 0]) == pytest.approx(0.5)        # drop at the first step
    assert q.auc_trapezoid([0, 1, 2, 3]) == pytest.approx(4.5)              # a line: 3 * 3 / 2
    assert q.auc_trapezoid([2.0]) == 0.0
    assert q.auc_trapezoid([0.3, 0.7, 0.2]) == pytest.approx(getattr(np, "trapezoid", getattr(np, "trapz", None))([0.3, 0.7, 0.2]))  # Quantus' np.trapz
    assert q.auc_normalised([0, 1, 2, 3]) == pytest.approx(1.5)             # RISE: 4.5 / 3
    assert q.auc_normalised([1, 1, 1]) == pytest.approx(1.0)


def test_hold_last_and_region_order():
    assert q.hold_last([3, 2], 4) == [3, 2, 2, 2]
    assert q.hold_last([3, 2, 1], 2) == [3, 2]
    # importance = visual x descriptor similarity, most important first, ties to the lower id
    assert q.region_order([2, 0, 1], {0: 0.5, 1: 0.9, 2: 0.9}, {0: 1.0, 1: 0.5, 2: 0.5}) == [0, 1, 2]
    assert q.region_order([0, 1], {0: 0.2, 1: 0.9}, {0: 0.9, 1: 0.9}) == [1, 0]


def test_protocol_is_declared_with_pixel_values():
    p = q.QualityProtocol()
    d = p.describe(size=224, n_parts=5)
    assert d["blur_sigma_px"] == pytest.approx(14.0) and d["blur_kernel_px"] == 85
    assert d["steps"] == 5 and d["points"] == 6 and d["auc_rule"] == "trapezoid-unit-step"


def test_deletion_of_the_object_first_gives_the_lowest_deletion_auc():
    aucs = {order: run(order).metrics for order in itertools.permutations([0, 1, 2, 3])}
    best_del = min(aucs, key=lambda o: aucs[o]["deletion"])
    best_ins = max(aucs, key=lambda o: aucs[o]["insertion"])
    assert best_del[0] == 0 and best_ins[0] == 0
    killed_first = [o for o in aucs if o[0] == 0]
    others = [o for o in aucs if o[0] != 0]
    assert max(aucs[o]["deletion"] for o in killed_first) < min(aucs[o]["deletion"] for o in others)
    assert min(aucs[o]["insertion"] for o in killed_first) > max(aucs[o]["insertion"] for o in others)


def test_curves_have_known_values():
    r = run([0, 1, 2, 3])
    s0 = 2.5 * (1.0 / np.sqrt(1.25))                  # 2.5 x cos of the original image with class 0
    assert r.deletion_score[0] == pytest.approx(s0, rel=1e-5)
    assert len(r.deletion_score) == 5 and r.n_regions == 4
    # the object blurred: the blurred square still holds some brightness, but much less
    assert r.deletion_score[1] < s0 - 0.05
    assert r.deletion_score[1:] == pytest.approx([r.deletion_score[1]] * 4)   # later regions don't touch it
    assert r.insertion_score[1] == pytest.approx(s0, rel=1e-5)                # restoring the object restores it
    # accuracy: class 0 wins while the square is bright; the blurred square (mean > 0.5 of white?) decides
    assert r.deletion_correct[0] == 1.0 and r.insertion_correct[1] == 1.0
    assert r.metrics["acc_inc"] >= r.metrics["acc_drop"]


def test_short_curves_hold_their_last_point_and_count_passes():
    counter = {}
    r = run([0, 1], n_parts=5, counter=counter)
    assert len(r.deletion_score) == 6 and r.deletion_score[2:] == pytest.approx([r.deletion_score[2]] * 4)
    assert counter["forward_images"] == 1 + 2 * 2      # the blurred image + 2 deletion + 2 insertion states


def test_no_region_gives_none_and_aggregate_skips_it():
    raw = planted_image()[None]
    jobs = [q.QualityJob(0, part_map(), []), q.QualityJob(0, part_map(), [0, 1])]
    out = q.batch_quality(raw, jobs, CLASSES, [0], [0], encoder(raw) @ CLASSES.T, encoder, n_parts=2)
    assert out[0] is None and out[1] is not None
    agg = q.aggregate([None if o is None else o.to_dict() for o in out])
    assert agg["n_images"] == 1 and agg["n_without_regions"] == 1
    assert agg["deletion"] == pytest.approx(out[1].metrics["deletion"])
    assert q.aggregate([None]) is None


def test_wrong_label_gives_zero_accuracy():
    r = run([0, 1, 2, 3], label=1)
    assert r.metrics["acc_inc"] <= 1.0 and r.deletion_correct[0] == 0.0
