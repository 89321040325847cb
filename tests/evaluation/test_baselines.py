"""Sanity baselines (issue 9 item 2) with known answers."""
import numpy as np
import pytest

from generator.evaluation import baselines as bl
from generator.evaluation import quality as q
from tests.evaluation.test_quality import CLASSES, OBJECT, S, encoder, planted_image


def test_random_part_map_keeps_ids_and_areas():
    m = np.full((S, S), -1)
    m[OBJECT] = 0
    m[0:5, 0:30] = 2
    r = bl.random_part_map(m, np.random.default_rng(0))
    for p in (0, 2):
        assert (r == p).sum() == (m == p).sum()
    assert set(np.unique(r)) == {-1, 0, 2} and (r >= 0).sum() == (m >= 0).sum()


def test_random_parts_on_a_planted_object_score_worse_than_the_true_part():
    raw = planted_image()[None]
    true = np.full((S, S), -1)
    true[OBJECT] = 0                                   # the true part is the object
    logits = encoder(raw) @ CLASSES.T
    jobs = [q.QualityJob(0, true, [0])] + [q.QualityJob(0, bl.random_part_map(true, np.random.default_rng(s)), [0])
                                           for s in range(8)]
    res = q.batch_quality(raw, jobs, CLASSES, [0], [0], logits, encoder, n_parts=1)
    method, rand = res[0].metrics, [r.metrics for r in res[1:]]
    assert method["deletion"] < np.mean([r["deletion"] for r in rand])
    assert method["insertion"] > np.mean([r["insertion"] for r in rand])
    diff = bl.verdict(np.full(8, method["deletion"]), np.array([r["deletion"] for r in rand]), None,
                      lower_is_better=True, n_boot=200)
    assert diff["passes"] and diff["hi"] < 0


def test_derangement_has_no_fixed_point():
    for seed in range(5):
        p = bl.derangement(7, np.random.default_rng(seed))
        assert sorted(p) == list(range(7)) and not np.any(p == np.arange(7))
    assert list(bl.derangement(1, np.random.default_rng(0))) == [0]


def test_text_baselines_grounded_beats_chance():
    language = [list(range(c * 10, c * 10 + 10)) for c in range(20)]    # class c owns descriptors 10c..10c+9
    vision = [0, 1, 2, 3, 4]                                             # grounded: all in class 0's D_y
    perm = bl.derangement(20, np.random.default_rng(0))
    out = bl.text_baselines(vision, language, 0, 200, perm, np.random.default_rng(1))
    assert out["shuffled_class"]["mi"] == 0.0                            # another class shares nothing
    assert len(out["random_descriptors"]["curve"]) == 6
    assert out["random_descriptors"]["mi"] < np.log(5 * 10 * 5)          # fewer matches than the grounded 5
    v = bl.verdict(np.full(10, np.log(250)), np.zeros(10), np.arange(10) // 2, lower_is_better=False, n_boot=100)
    assert v["passes"] and v["unit"] == "class"


def test_verdict_fails_when_baseline_is_as_good():
    rng = np.random.default_rng(0)
    a = rng.normal(size=40)
    v = bl.verdict(a, a + rng.normal(scale=1e-3, size=40), None, lower_is_better=True, n_boot=200)
    assert not v["passes"]
