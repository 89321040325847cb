"""AUC-accuracy correlation across a family: coefficients, p-values and bootstrap CIs."""
import numpy as np
import pytest
from scipy import stats

from generator.evaluation.correlation import correlation


def test_perfectly_monotone_family():
    r = correlation([1.0, 2.0, 3.0, 4.0, 5.0], [0.5, 0.6, 0.62, 0.9, 0.95], n_boot=500, seed=1)
    assert r["spearman"]["r"] == pytest.approx(1.0)
    assert r["spearman"]["ci"] == pytest.approx([1.0, 1.0])   # every valid resample is still monotone
    assert 0 < r["pearson"]["r"] < 1
    lo, hi = r["pearson"]["ci"]
    assert lo <= r["pearson"]["r"] <= hi <= 1.0
    assert r["n"] == 5 and r["spearman"]["n_boot_valid"] <= 500


def test_matches_scipy_and_is_seeded():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=8), rng.normal(size=8)
    r = correlation(x, y, n_boot=200, seed=3)
    assert r["pearson"]["r"] == pytest.approx(stats.pearsonr(x, y)[0])
    assert r["spearman"]["p"] == pytest.approx(stats.spearmanr(x, y)[1])
    assert correlation(x, y, n_boot=200, seed=3) == r
    assert correlation(x, y, n_boot=200, seed=4)["pearson"]["ci"] != r["pearson"]["ci"]


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
