"""Family correlation (AUC vs top-1 across models of one dataset) on hand-made summaries with known answers."""
import pytest
from scipy import stats

from generator.evaluation.family import family_correlation
from generator.results.schema import MethodSummary, Provenance, Summary

PROV = Provenance(package_version="0", open_clip_version="0", torch_version="0", git_commit=None,
                  descriptor_source="pool.json", descriptor_sha256="s", seed=0, config_hash="h", created="now")


def summary(model_id, top1, aucs, dataset="demo"):
    return Summary(model=model_id, pretrained="x", model_id=model_id, dataset=dataset, n_images=10, n_classes=2,
                   top1=top1, methods={m: MethodSummary(mi=0.0, auc=a, curve=[0.0]) for m, a in aucs.items()},
                   provenance=PROV)


def family(pairs):
    """pairs: [(top1, {method: auc})]"""
    return [summary(f"m{i}", t, a) for i, (t, a) in enumerate(pairs)]


def test_known_answers_linear_reversed_and_monotone():
    fam = family([(10, {"pca": 1.0, "kmeans": 5.0}), (20, {"pca": 2.0, "kmeans": 4.0}),
                  (30, {"pca": 3.0, "kmeans": 3.0}), (90, {"pca": 4.0, "kmeans": 1.0})])
    r = family_correlation(fam, n_boot=300, seed=2)
    assert r["dataset"] == "demo" and r["models"] == ["m0", "m1", "m2", "m3"] and r["top1"] == [10, 20, 30, 90]
    pca, km = r["methods"]["pca"], r["methods"]["kmeans"]
    assert pca["n"] == 4 and pca["auc"] == [1.0, 2.0, 3.0, 4.0]
    assert pca["spearman"]["r"] == pytest.approx(1.0) and pca["spearman"]["ci"] == pytest.approx([1.0, 1.0])
    assert pca["pearson"]["r"] == pytest.approx(stats.pearsonr([1, 2, 3, 4], [10, 20, 30, 90])[0])
    assert 0 < pca["pearson"]["r"] < 1  # monotone but not linear
    assert km["spearman"]["r"] == pytest.approx(-1.0)  # reported whatever its sign
    lo, hi = km["pearson"]["ci"]
    assert -1.0 <= lo <= km["pearson"]["r"] <= hi <= 1.0
    assert pca["n_boot"] == 300 and pca["ci_level"] == 0.95


def test_order_independent_and_accepts_dicts():
    fam = family([(50, {"pca": 2.5}), (70, {"pca": 2.0}), (60, {"pca": 3.0})])
    a = family_correlation(fam, n_boot=100)
    b = family_correlation([s.model_dump(mode="json") for s in reversed(fam)], n_boot=100)
    assert a == b
    assert a["methods"]["pca"]["spearman"]["r"] == pytest.approx(stats.spearmanr([2.5, 2.0, 3.0], [50, 70, 60])[0])


def test_methods_default_to_the_common_ones():
    fam = [summary("a", 10, {"pca": 1.0, "kmeans": 1.0}), summary("b", 20, {"pca": 2.0})]
    assert list(family_correlation(fam, n_boot=10)["methods"]) == ["pca"]
    with pytest.raises(ValueError, match="no results for method 'kmeans'"):
        family_correlation(fam, methods=["kmeans"])


def test_too_few_models_or_constant_side_give_none_with_a_reason():
    one = family_correlation([summary("a", 10, {"pca": 1.0})])
    assert one["methods"]["pca"]["pearson"]["r"] is None and one["methods"]["pca"]["reason"] == "fewer than 2 models"
    flat = family_correlation(family([(50, {"pca": 1.0}), (60, {"pca": 1.0}), (70, {"pca": 1.0})]), n_boot=20)
    assert flat["methods"]["pca"]["spearman"]["r"] is None and "same for every model" in flat["methods"]["pca"]["reason"]
    assert family_correlation([])["methods"] == {}


def test_bad_families():
    with pytest.raises(ValueError, match="one dataset"):
        family_correlation([summary("a", 10, {"pca": 1.0}), summary("b", 20, {"pca": 2.0}, dataset="other")])
    with pytest.raises(ValueError, match="more than once"):
        family_correlation([summary("a", 10, {"pca": 1.0}), summary("a", 20, {"pca": 2.0})])


def test_control_corrected_correlation_removes_a_size_effect():
    """AUC rises with accuracy only because the random-D_v control rises with it: raw r = 1, corrected r = -1."""
    rows = [(10, 1.0, 0.9), (20, 2.0, 1.95), (30, 3.0, 3.1), (40, 4.0, 4.2)]   # (top1, AUC, its random-D_v AUC)
    fam = []
    for i, (t, a, c) in enumerate(rows):
        s = summary(f"m{i}", t, {"pca": a})
        s.methods["pca"].controls = {"random_dv": {"mi": 0.0, "auc": c, "curve": [c]}}
        fam.append(s)
    r = family_correlation(fam, n_boot=50)["methods"]["pca"]
    assert r["pearson"]["r"] == pytest.approx(1.0)
    assert r["random_dv_auc"] == [0.9, 1.95, 3.1, 4.2]
    assert r["corrected"]["auc_minus_random"] == pytest.approx([0.1, 0.05, -0.1, -0.2])
    assert r["corrected"]["pearson"]["r"] == pytest.approx(stats.pearsonr([0.1, 0.05, -0.1, -0.2], [10, 20, 30, 40])[0])
    assert r["corrected"]["pearson"]["r"] < -0.9
    # without controls (results older than schema 1.2) there is no corrected correlation
    assert family_correlation(family([(10, {"pca": 1.0}), (20, {"pca": 2.0})]), n_boot=10)["methods"]["pca"][
        "corrected"] is None
