"""Bootstrap intervals, fits and quartiles against known answers."""
from __future__ import annotations

import math

import numpy as np

from generator.report.stats import bootstrap_means, linear_fit, quartiles


def test_bootstrap_interval_covers_the_mean_and_shrinks_with_n():
    rng = np.random.default_rng(1)
    small = rng.normal(5.0, 1.0, size=(50, 1))
    large = rng.normal(5.0, 1.0, size=(5000, 1))
    (a,) = bootstrap_means(small, n_boot=500)
    (b,) = bootstrap_means(large, n_boot=500)
    assert a.lo < small.mean() < a.hi and b.lo < large.mean() < b.hi
    assert (b.hi - b.lo) < (a.hi - a.lo) / 5
    # the percentile interval of a mean is about +-1.96 standard errors
    assert abs((b.hi - b.lo) / 2 - 1.96 * large.std() / math.sqrt(5000)) < 0.01


def test_bootstrap_is_deterministic_and_per_column():
    x = np.column_stack([np.arange(100.0), np.full(100, 3.0)])
    r1 = bootstrap_means(x, n_boot=200, seed=7)
    r2 = bootstrap_means(x, n_boot=200, seed=7, chunk_elems=500)  # resamples drawn in chunks
    assert [(i.lo, i.hi) for i in r1] == [(i.lo, i.hi) for i in bootstrap_means(x, n_boot=200, seed=7)]
    assert r1[1].lo == r1[1].hi == 3.0
    assert r2[0].lo < 49.5 < r2[0].hi


def test_degenerate_inputs():
    assert math.isnan(bootstrap_means(np.zeros((0, 2)))[0].lo)
    (one,) = bootstrap_means(np.array([[2.5]]))
    assert one.lo == one.hi == 2.5


def test_fit_and_quartiles():
    x = [1, 2, 3, 4, 5]
    slope, intercept = linear_fit(x, [11.24 * v + 25.97 for v in x])
    assert abs(slope - 11.24) < 1e-9 and abs(intercept - 25.97) < 1e-9
    assert quartiles([1, 2, 3, 4, 5])["median"] == 3


def test_rank_groups_ties_models_whose_intervals_overlap():
    from generator.report.stats import rank_groups

    # A [8, 10] clearly above C [1, 3]; B [6, 8.5] overlaps A; D has no interval (value 2, inside C's)
    values, los, his = [9, 7, 2, 2], [8, 6, 1, float("nan")], [10, 8.5, 3, float("nan")]
    assert rank_groups(values, los, his) == [1, 1, 3, 3]
    assert rank_groups(values, los, his, higher_better=False) == [3, 3, 1, 1]
    assert rank_groups([5, 4, 3], [4.9, 3.9, 2.9], [5.1, 4.1, 3.1]) == [1, 2, 3]   # disjoint: distinct ranks
