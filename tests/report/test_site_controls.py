"""Controls on the site (schema 1.3), from results the engine wrote: the controls table equals the result files, the
leaderboard shows each MI / AUC above its random-D_v control, sentences are generated from the numbers, and every page
of a build holding the demo world says in one line that it is synthetic and links to the demo-world page."""
from __future__ import annotations

import csv
import io
import json
from types import SimpleNamespace

import pytest

from generator.report import controls as RC
from tests.report.test_site_ground_truth import MODELS, _summaries


def _csv(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _num(cell: str):
    return None if cell == "" else float(cell)


def test_controls_table_equals_the_results(built_site):
    site, results = built_site["site"], built_site["results"]
    rows = _csv(site / "demo" / "tables" / "controls.csv")
    assert len(rows) == 2 * len(MODELS)
    for model_id, s in _summaries(results).items():
        for m in ("pca", "kmeans"):
            r = next(r for r in rows if r["model_id"] == model_id and r["parts"] == m)
            c = s["methods"][m]["controls"]
            assert _num(r["auc_random"]) == pytest.approx(c["random_dv"]["auc"], abs=5e-4)
            assert _num(r["under_random"]) == pytest.approx(c["grounding_random"]["under_concept"], abs=5e-4)
            assert _num(r["fg_every_patch"]) == pytest.approx(s["controls"]["foreground"]["every_patch_iou"], abs=5e-4)
            assert int(r["initial_topk"]) == s["config"]["method_effective"]["initial_topk"]
            gt, base = s["methods"][m]["ground_truth"], s["ground_truth_baseline"]
            assert _num(r["matched"]) == pytest.approx(gt["matched_iou"], abs=5e-4)
            assert _num(r["ari_pixel"]) == pytest.approx(base["ari"], abs=5e-4)
            assert _num(r["matched_one"]) == pytest.approx(c["one_cluster"]["matched_iou"], abs=5e-4)
            assert _num(r["ari_random"]) == pytest.approx(c["random_labels"]["ari"], abs=5e-4)


def test_leaderboard_shows_controls_and_sentences_from_the_numbers(built_site):
    site, results = built_site["site"], built_site["results"]
    html = (site / "demo" / "index.html").read_text()
    assert 'id="mk-controls"' in html and "random D<sub>v</sub>" in html
    best = max(_summaries(results).values(), key=lambda s: (s["top1"], s["methods"]["pca"]["auc"]))
    rnd = best["methods"]["pca"]["controls"]["random_dv"]["auc"]
    assert f"against {rnd:.2f} for random descriptors of the same number" in html
    home = (site / "index.html").read_text()
    assert "What the controls show" in home and f"against {rnd:.2f} for random descriptors" in home


def test_every_page_of_a_demo_build_says_it_is_synthetic(built_site):
    site = built_site["site"]
    pages = [p for p in site.rglob("*.html") if p.name != "404.html"]
    assert pages and (site / "demo-world.html").is_file()
    for p in pages:
        text = p.read_text(encoding="utf-8")
        assert 'data-mk="synthetic"' in text, p
        assert "demo-world.html" in text.split('data-mk="synthetic"')[1][:600], p


def test_is_synthetic_and_findings_on_hand_made_views():
    mv = SimpleNamespace(pretraining_data="LAION-2B", label="m", id="m")
    assert not RC.is_synthetic(SimpleNamespace(name="imagenet", models=[mv]))
    assert RC.is_synthetic(SimpleNamespace(name="imagenet", models=[SimpleNamespace(pretraining_data="demo world, 240 images")]))
    assert RC.is_synthetic(SimpleNamespace(name="demo", models=[]))
    from generator.results.schema import MethodSummary, Provenance, Summary

    prov = Provenance(package_version="0", open_clip_version="0", torch_version="0", git_commit=None,
                      descriptor_source="p", descriptor_sha256="s", seed=0, config_hash="h", created="now")
    s = Summary(model="m", pretrained="x", model_id="m", dataset="d", n_images=1, n_classes=1, top1=90.0,
                methods={"pca": MethodSummary(mi=1.0, auc=0.9, curve=[0.9], controls={
                    "random_dv": {"mi": 0.5, "auc": 0.3, "curve": [0.3]},
                    "grounding_random": {"present": 0.1, "under_concept": 0.02},
                    "grounding_class_prior": {"present": 0.6, "under_concept": 0.2}},
                    ground_truth={"grounding_present": 0.5, "grounding_under_concept": 0.25, "mean_iou": 0.3})},
                provenance=prov, ground_truth_baseline={"mean_iou": 0.35},
                controls={"foreground": {"iou": 0.6, "every_patch_iou": 0.3, "oracle_patch_iou": 0.7, "n_empty": 2}},
                config={"method": {"foreground_method": "border_contrast"}, "method_effective": {"initial_topk": 9,
                                                                                                  "language_topk": 6}})
    ds = SimpleNamespace(name="d", label="d", methods=["pca"], models=[SimpleNamespace(label="m", id="m", run=SimpleNamespace(summary=s))])
    text = " ".join(RC.findings(ds))
    assert "AUC 0.90 against 0.30 for random descriptors of the same number (3.0×)" in text
    assert "0.250 of the grounded descriptors" in text and "0.020 (12.5×), above the class prior 0.200" in text
    assert "part IoU 0.30, not above K-means on raw pixels of the same foreground (0.35)" in text
    assert "Foreground (border_contrast)" in text and "IoU 0.60 with the object, above taking every patch (0.30)" in text
    assert "2 images have an empty foreground" in text
    assert RC.controls_table(ds).rows[0]["initial_topk"] == 9
