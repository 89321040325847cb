"""AUC-accuracy correlation across a family: coefficients, Fisher-z intervals and p-values that agree, bootstrap CIs."""
import math

import numpy as np
import pytest
from scipy import stats

from generator.evaluation.correlation import correlation, fisher_interval


def test_perfectly_monotone_family():
    r = correlation([1.0, 2.0, 3.0, 4.0, 5.0], [0.5, 0.6, 0.62, 0.9, 0.95], n_boot=500, seed=1)
    assert r["spearman"]["r"] == pytest.approx(1.0)
    assert r["spearman"]["bootstrap_ci"] == pytest.approx([1.0, 1.0])   # every valid resample is still monotone
    assert 0 < r["pearson"]["r"] < 1
    lo, hi = r["pearson"]["ci"]
    assert lo <= r["pearson"]["r"] <= hi <= 1.0
    assert r["n"] == 5 and r["spearman"]["n_boot_valid"] <= 500 and "reason" not in r


def test_fisher_interval_known_answer():
    # r = 0.5, n = 28: z = atanh(0.5) = 0.5493, se = 0.2, z-interval 0.5493 -/+ 1.96 * 0.2
    (lo, hi), p = fisher_interval(0.5, 28)
    assert lo == pytest.approx(math.tanh(0.5493061 - 1.959964 * 0.2), abs=1e-6)
    assert hi == pytest.approx(math.tanh(0.5493061 + 1.959964 * 0.2), abs=1e-6)
    assert p == pytest.approx(2 * stats.norm.sf(0.5493061 / 0.2), rel=1e-5)
    (slo, shi), sp = fisher_interval(0.5, 28, "spearman")
    assert slo < lo and shi > hi and sp > p            # Spearman's variance factor 1.06 widens it


def test_interval_and_p_value_never_disagree():
    rng = np.random.default_rng(0)
    seen = {True: 0, False: 0}
    for trial in range(300):
        n = int(rng.integers(4, 9))
        x = rng.normal(size=n)
        y = 0.8 * x + rng.normal(size=n) * rng.uniform(0.1, 2.0)
        r = correlation(x, y, n_boot=0)
        for name in ("pearson", "spearman"):
            c = r[name]
            excludes = not (c["ci"][0] <= 0 <= c["ci"][1])
            assert excludes == (c["p"] < 0.05), (trial, name, c)
            seen[excludes] += 1
    assert seen[True] > 20 and seen[False] > 20   # both cases occurred


def test_three_models_have_no_interval_and_say_why():
    r = correlation([1.0, 2.0, 3.0], [3.0, 5.0, 4.0], n_boot=100)
    assert r["pearson"]["r"] == pytest.approx(stats.pearsonr([1, 2, 3], [3, 5, 4])[0])
    assert r["pearson"]["ci"] is None and r["pearson"]["p"] is None and "at least 4" in r["reason"]


def test_matches_scipy_and_is_seeded():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=8), rng.normal(size=8)
    r = correlation(x, y, n_boot=200, seed=3)
    assert r["pearson"]["r"] == pytest.approx(stats.pearsonr(x, y)[0])
    assert r["spearman"]["r"] == pytest.approx(stats.spearmanr(x, y)[0])
    assert correlation(x, y, n_boot=200, seed=3) == r
    assert correlation(x, y, n_boot=200, seed=4)["pearson"]["bootstrap_ci"] != r["pearson"]["bootstrap_ci"]


def test_anticorrelated_and_constant():
    r = correlation([1, 2, 3, 4], [4, 3, 2, 1], n_boot=100)
    assert r["pearson"]["r"] == pytest.approx(-1.0) and r["spearman"]["r"] == pytest.approx(-1.0)
    c = correlation([1, 2, 3], [0.5, 0.5, 0.5], n_boot=50)
    assert c["pearson"]["r"] is None and c["pearson"]["ci"] is None and c["pearson"]["n_boot_valid"] == 0


def test_bad_input():
    with pytest.raises(ValueError, match="equal-length"):
        correlation([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="at least 2"):
        correlation([1], [1])
    with pytest.raises(ValueError, match="finite"):
        correlation([1, np.nan], [1, 2])
