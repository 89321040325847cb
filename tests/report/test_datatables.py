"""The AUC-top-1 correlation on the site: the numbers are generator.evaluation.family.family_correlation's on the
summaries the engine wrote (leaderboard, charts page, downloads and chart agree), and the sentence reports whatever
comes out."""
from __future__ import annotations

import csv
import io
import json

import pytest

from generator.evaluation.family import family_correlation
from generator.report.datatables import ALL_MODELS, correlation_sentence
from generator.results.io import read_summary
from tests.report.htmlscan import scan

N_BOOT = 200  # the built_site fixture's --bootstrap


def _num(cell: str):
    return None if cell == "" else float(cell)


@pytest.fixture(scope="module")
def demo_family(built_site):
    summaries = [read_summary(p) for p in sorted((built_site["results"] / "demo").glob("*/summary.json"))]
    assert len(summaries) == 3
    return summaries, family_correlation(summaries, n_boot=N_BOOT, seed=0)


def test_site_correlation_equals_family_correlation(built_site, demo_family):
    summaries, fc = demo_family
    rows = list(csv.DictReader(io.StringIO((built_site["site"] / "demo" / "tables" / "correlations.csv").read_text())))
    for m in ("pca", "kmeans"):
        res = fc["methods"][m]
        row = next(r for r in rows if r["method"] == m and r["family"] == ALL_MODELS)
        assert int(row["n"]) == res["n"] == 3 and int(row["n_boot"]) == N_BOOT
        for name in ("pearson", "spearman"):
            c = res[name]
            assert _num(row[name]) == c["r"] and _num(row[f"{name}.p"]) == c["p"]
            assert [_num(row[f"{name}.lo"]), _num(row[f"{name}.hi"])] == (c["ci"] or [None, None])
        # per family: the same function on the family's models
        vit = [s for s in summaries if s.model_info.family == "ViT"]
        fam = family_correlation(vit, methods=[m], n_boot=N_BOOT, seed=0)["methods"][m]
        frow = next(r for r in rows if r["method"] == m and r["family"] == "ViT")
        assert int(frow["n"]) == len(vit) == 2 and _num(frow["pearson"]) == fam["pearson"]["r"]


def test_leaderboard_reports_it_next_to_the_chart(built_site, demo_family):
    _, fc = demo_family
    site = built_site["site"]
    page = site / "demo" / "index.html"
    html = page.read_text()
    text = " ".join(" ".join(scan(page).text).split())
    for m, label in (("pca", "PCA"), ("kmeans", "K-means")):
        r = fc["methods"][m]["pearson"]["r"]
        if r is None:   # a constant side (e.g. the same top-1 for every model): the sentence says so
            assert f"Across the 3 models on demo, AUC ({label} parts) and top-1 have no correlation coefficient" in text
        else:
            assert f"Across the 3 models on demo, the correlation between AUC ({label} parts) and zero-shot top-1 " \
                   f"is Pearson r = {r:.2f}" in text
    assert 'id="mk-correlations"' in html and "correlations.csv" in html
    # the chart on the leaderboard plots exactly the points that were correlated
    spec = json.loads(next(s for s in scan(page).scripts if '"auc"' in s and '"top1"' in s))
    points = spec["datasets"]["rows"]
    for m, label in (("pca", "PCA"), ("kmeans", "K-means")):
        mine = sorted((p["auc"], p["top1"]) for p in points if p["method"] == label)
        assert mine == sorted(zip(fc["methods"][m]["auc"], fc["top1"]))
    charts = (site / "demo" / "charts.html").read_text()
    board_table = html.split('id="mk-correlations"')[1].split("</table>")[0]
    assert board_table == charts.split('id="mk-correlations"')[1].split("</table>")[0]


def _row(**kw):
    row = {"method": "pca", "family": ALL_MODELS, "all": True, "n": 5, "ci_level": 0.95, "reason": None,
           "pearson": -0.41, "pearson.lo": -0.9, "pearson.hi": 0.3, "pearson.p": 0.5,
           "spearman": -0.8, "spearman.lo": -1.0, "spearman.hi": -0.2, "spearman.p": 0.01}
    row.update(kw)
    return row


def test_sentences_report_what_comes_out():
    s = correlation_sentence(_row(), "ImageNet")
    assert s.startswith("Across the 5 models on ImageNet, the correlation between AUC (PCA parts) and zero-shot "
                        "top-1 is Pearson r = -0.41 (95% interval [-0.90, 0.30], p = ")
    assert "The Pearson interval includes zero; the Spearman interval excludes zero." in s
    assert "With only 5 models the intervals are wide: weak evidence at best." in s
    three = correlation_sentence(_row(n=3, pearson=0.9, spearman=1.0), "x")
    assert "With 3 models no interval or p-value can be given" in three
    two = correlation_sentence(_row(n=2, pearson=1.0, spearman=1.0, family="ViT", all=False), "x")
    assert "2 models of family ViT" in two and "by construction" in two and "interval includes" not in two
    none = correlation_sentence(_row(n=3, pearson=None, spearman=None, reason="AUC or top-1 is the same for every "
                                     "model"), "x")
    assert none == ("Across the 3 models on x, AUC (PCA parts) and top-1 have no correlation coefficient: AUC or "
                    "top-1 is the same for every model.")
    one = correlation_sentence(_row(n=1, pearson=None, spearman=None, reason="fewer than 2 models"), "x")
    assert "the 1 model on x" in one
