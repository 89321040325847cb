"""Ground-truth part metrics on the site, from results the engine wrote for a demo-world subset with part masks:
leaderboard table (per model, method and pixel baseline), model page (summary and per-part localisation), class
page, downloads equal to the result files, escaping of part names, and nothing of it for a data set without masks."""
from __future__ import annotations

import csv
import io
import json

import pytest

from generator.report.ground_truth import BASELINE, baseline_label, gt_rows
from tests.report.engine_results import DEMO_CLASSES, HOSTILE_PART
from tests.report.htmlscan import scan

KEYS = ("mean_iou", "pointing_accuracy", "object_iou", "grounding_present", "grounding_under_concept")
MODELS = ("demo-vit-s__demo-s-240", "tiny-rn__untrained", "tiny-vit__untrained")


def _summaries(results) -> dict:
    return {m: json.loads((results / "demo" / m / "summary.json").read_text()) for m in MODELS}


def _csv(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _num(cell: str):
    return None if cell == "" else float(cell)


def test_gt_rows_gain_over_the_baseline_and_missing_parts():
    from generator.results.schema import GroundTruthAggregate as Agg

    base = Agg(n_images=2, n_concepts=5, mean_iou=0.25, pointing_accuracy=0.5, object_iou=0.4, k=5, patch=16, parts={})
    pca = Agg(n_images=2, n_concepts=6, mean_iou=0.4, pointing_accuracy=0.75, object_iou=0.4, grounding_present=0.3,
              grounding_under_concept=0.1, parts={})
    rows = gt_rows(["pca", "kmeans"], {"pca": pca, "kmeans": None}, base)
    assert [r["parts"] for r in rows] == ["pca", BASELINE]  # no ground truth for kmeans: no row
    assert rows[0]["iou_gain"] == pytest.approx(0.15) and rows[0]["label"] == "PCA parts"
    assert rows[1]["baseline"] and rows[1]["grounding_present"] is None and rows[1]["patch"] == 16
    assert baseline_label(base) == "Pixel K-means baseline (k = 5, 16 px patches)"
    assert gt_rows(["pca"], {"pca": pca}, None)[0]["iou_gain"] is None
    assert gt_rows(["pca"], {"pca": None}, None) == []


def test_leaderboard_ground_truth_table_equals_the_results(built_site):
    site, results = built_site["site"], built_site["results"]
    rows = _csv(site / "demo" / "tables" / "ground-truth.csv")
    assert len(rows) == 3 * len(MODELS)  # PCA, K-means and the baseline per model
    for model_id, s in _summaries(results).items():
        mine = {r["parts"]: r for r in rows if r["model_id"] == model_id}
        assert set(mine) == {"pca", "kmeans", BASELINE}
        for m in ("pca", "kmeans"):
            gt = s["methods"][m]["ground_truth"]
            assert all(_num(mine[m][k]) == gt[k] for k in KEYS)
            assert int(mine[m]["n_images"]) == gt["n_images"] == 2 * len(DEMO_CLASSES)
            assert _num(mine[m]["iou_gain"]) == pytest.approx(gt["mean_iou"] - s["ground_truth_baseline"]["mean_iou"])
        base = mine[BASELINE]
        for k in ("mean_iou", "pointing_accuracy", "object_iou"):
            assert _num(base[k]) == s["ground_truth_baseline"][k]
        assert base["grounding_present"] == "" and int(base["patch"]) == s["ground_truth_baseline"]["patch"]
    patches = {r["model_id"]: int(r["patch"]) for r in rows if r["parts"] == BASELINE}
    assert patches["tiny-vit__untrained"] == 8 and patches["tiny-rn__untrained"] == 32  # per model
    doc = json.loads((site / "demo" / "tables" / "ground-truth.json").read_text())
    assert len(doc["rows"]) == len(rows) and doc["meta"]["dataset"] == "demo"
    assert {r["model_id"] for r in doc["meta"]["runs"]} == {r["model_id"] for r in rows}
    assert "\\begin{tabular}" in (site / "demo" / "tables" / "ground-truth.tex").read_text()
    html = (site / "demo" / "index.html").read_text()
    body = html.split('id="mk-ground-truth"')[1].split("</table>")[0]
    assert body.count("<tr") == 1 + len(rows) and body.count('class="mk-baseline"') == len(MODELS)
    assert "Pixel K-means baseline (k = 5, 32 px patches)" in body
    assert "ground-truth.csv" in html and "ground-truth.tex" in html


def test_model_page_summary_and_parts(built_site):
    site, results = built_site["site"], built_site["results"]
    s = _summaries(results)["tiny-vit__untrained"]
    html = (site / "demo" / "models" / "tiny-vit-untrained.html").read_text()
    summary = html.split('id="mk-model-ground-truth"')[1].split("</table>")[0]
    assert summary.count("<tr") == 1 + 3 and f'{s["methods"]["pca"]["ground_truth"]["mean_iou"]:.3f}' in summary
    rows = _csv(site / "demo" / "tables" / "parts-tiny-vit-untrained.csv")
    names = {p for m in ("pca", "kmeans") for p in s["methods"][m]["ground_truth"]["parts"]} | \
        set(s["ground_truth_baseline"]["parts"])
    assert len(rows) == len(names)
    for r in rows:
        name = r["part"][1:] if r["part"].startswith("'=") else r["part"]  # formula-safe CSV
        for key, parts in (("pca", s["methods"]["pca"]["ground_truth"]["parts"]),
                           (BASELINE, s["ground_truth_baseline"]["parts"])):
            if name in parts:
                assert int(r[f"{key}.matched"]) == parts[name]["matched"]
                assert _num(r[f"{key}.mean_iou"]) == parts[name]["mean_iou"]
            else:
                assert r[f"{key}.matched"] == "0" and r[f"{key}.mean_iou"] == ""
    assert html.split('id="mk-parts"')[1].split("</table>")[0].count("<tr") == 1 + len(rows)


def test_part_names_from_user_files_are_escaped(built_site):
    site = built_site["site"]
    hostile = HOSTILE_PART[1]
    page = site / "demo" / "models" / "demo-vit-s-demo-s-240.html"
    t = scan(page)
    assert hostile in " ".join(t.text)  # shown as text
    assert not any('alert("part")' in s for s in t.scripts)
    assert "<em>w</em>" not in page.read_text()
    rows = _csv(site / "demo" / "tables" / "parts-demo-vit-s-demo-s-240.csv")
    assert "'" + hostile in [r["part"] for r in rows]
    tex = (site / "demo" / "tables" / "parts-demo-vit-s-demo-s-240.tex").read_text()
    assert r"\textless{}script\textgreater{}alert(\textquotedbl{}part\textquotedbl{})" in tex
    assert r"50\% \$x\$ \{y\}" in tex


def test_class_page_and_class_download(built_site):
    site, results = built_site["site"], built_site["results"]
    classes = {m: {c["name"]: c for c in json.loads((results / "demo" / m / "classes.json").read_text())["classes"]}
               for m in MODELS}
    html = (site / "demo" / "classes" / "house.html").read_text()
    body = html.split('id="mk-class-ground-truth"')[1].split("</table>")[0]
    assert body.count("<tr") == 1 + 3 * len(MODELS)
    for m in MODELS:
        c = classes[m]["house"]
        assert f'{c["methods"]["kmeans"]["ground_truth"]["pointing_accuracy"]:.3f}' in body
        assert f'{c["ground_truth_baseline"]["mean_iou"]:.3f}' in body
    rows = {r["class"]: r for r in _csv(site / "demo" / "tables" / "classes-tiny-rn-untrained.csv")}
    c = classes["tiny-rn__untrained"]["house"]
    assert _num(rows["house"]["gt.pca.grounding_present"]) == c["methods"]["pca"]["ground_truth"]["grounding_present"]
    assert _num(rows["house"]["gt.baseline.mean_iou"]) == c["ground_truth_baseline"]["mean_iou"]


def test_no_ground_truth_section_without_masks(built_site):
    site = built_site["site"]
    assert not (site / "shapes" / "tables" / "ground-truth.csv").exists()
    assert not list((site / "shapes" / "tables").glob("parts-*"))
    for page in [site / "shapes" / "index.html", site / "shapes" / "models" / "tiny-vit-untrained.html",
                 site / "shapes" / "classes" / "50-of-5-1-x-y-z-triangle.html"]:
        html = page.read_text()
        assert 'data-mk="ground-truth"' not in html and "Ground truth" not in html, page
    header = (site / "shapes" / "tables" / "classes-tiny-vit-untrained.csv").read_text().splitlines()[0]
    assert "gt." not in header
