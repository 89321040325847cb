"""Leaderboard rows: model card fallbacks and the paper's values beside ours (schema-valid synthetic runs: the
engine cannot produce the paper's models without their weights)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from benchmarks.synthetic_results import write_synthetic_results
from generator.report.load import load_run
from generator.report.paper import load_paper_data
from generator.report.views import dataset_view, model_view
from generator.results.schema import ModelInfo

PAPER = load_paper_data(Path(__file__).resolve().parents[2] / "data" / "paper")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = write_synthetic_results(tmp_path_factory.mktemp("syn"), datasets=("imagenet", "places365"), models=2,
                                   classes=3, images=4, overlays=1)
    return root


def _run(root, ds, model_id, n_boot=100):
    return load_run(root / ds / model_id, root, n_boot=n_boot)


def test_paper_values_and_differences_on_imagenet(runs):
    mv = model_view(_run(runs, "imagenet", "ViT-B-16__openai"), "b16", PAPER)
    auc = mv.metrics["auc.pca"]
    assert auc.paper == 3.62 and math.isclose(auc.diff, auc.value - 3.62) and auc.paper_note == "Table 3"
    assert mv.metrics["mi.kmeans"].paper == 7.44 and mv.metrics["top1"].paper == 67.70
    assert auc.lo <= auc.value <= auc.hi
    assert mv.paper_name == "ViT-B/16" and mv.family == "ViT"


def test_unstated_part_method_is_flagged(runs):
    mv = model_view(_run(runs, "places365", "ViT-B-16__openai"), "b16", PAPER)
    assert mv.metrics["auc.pca"].paper == mv.metrics["auc.kmeans"].paper == 2.872
    assert "not stated" in mv.metrics["auc.pca"].paper_note and mv.metrics["top1"].paper_note == "Table 6"


def test_card_falls_back_to_the_paper_table_then_to_missing(runs, tmp_path):
    folder = runs / "imagenet" / "ViT-B-32__openai"
    summary = json.loads((folder / "summary.json").read_text())
    run = _run(runs, "imagenet", "ViT-B-32__openai")
    run.summary = run.summary.model_copy(update={"model_info": ModelInfo()})
    mv = model_view(run, "b32", PAPER)
    assert (mv.family, mv.pretraining_data, mv.resolution, mv.params_m) == ("ViT", "WIT-400M", 224, None)
    run.summary = run.summary.model_copy(update={"model_info": ModelInfo(), "model": "mystery", "pretrained": "x"})
    mv = model_view(run, "m", PAPER)
    assert (mv.family, mv.architecture, mv.metrics["top1"].paper) == (None, "mystery", None)
    assert summary["model_info"]["family"] == "ViT"


def test_params_in_millions_from_the_typed_count():
    assert ModelInfo(parameters=149_620_737).params_m == pytest.approx(149.62, abs=0.01)
    assert ModelInfo().params_m is None


def test_dataset_view_unions_classes_and_slugs(runs):
    ds = dataset_view("imagenet", "imagenet", [_run(runs, "imagenet", m) for m in
                                               ("ViT-B-16__openai", "ViT-B-32__openai")], PAPER)
    assert len(ds.classes) == 3 and set(ds.records["class 0000"]) == {"ViT-B-16__openai", "ViT-B-32__openai"}
    assert ds.methods == ["pca", "kmeans"] and [t.table for t in ds.paper_tables] == ["Table 3"]


def test_weights_are_named_without_local_paths():
    from generator.report.views import weights_tag

    assert weights_tag("/home/me/ckpt/demo-l-20k.safetensors") == "demo-l-20k"
    assert weights_tag("C:\\models\\vit.pt") == "vit"
    assert weights_tag("laion2b_s34b_b79k") == "laion2b_s34b_b79k"
    assert weights_tag("none", untrained=True) == "untrained"


def test_paper_values_follow_the_data_set_label_when_the_folder_name_differs(runs, tmp_path):
    import shutil
    shutil.copytree(runs / "imagenet" / "ViT-B-16__openai", tmp_path / "my-run" / "ViT-B-16__openai")
    run = load_run(tmp_path / "my-run" / "ViT-B-16__openai", tmp_path, n_boot=10)
    assert run.dataset == "my-run" and run.summary.dataset.lower() == "imagenet"
    ds = dataset_view("my-run", "my-run", [run], PAPER)
    mv = ds.models[0]
    assert [t.table for t in ds.paper_tables] == ["Table 3"]
    assert mv.metrics["auc.pca"].paper == 3.62 and mv.paper_key is not None and mv.paper_name == "ViT-B/16"


def _imagenet(runs):
    from generator.report.load import load_all

    rs = load_all(runs, n_boot=200, jobs=1)["imagenet"]
    return dataset_view("imagenet", "imagenet", rs, PAPER)


def test_replication_rows_flag_paper_values_outside_our_interval(runs):
    from generator.report import reproduction as rp

    rep = rp.reproduce(runs, Path(__file__).resolve().parents[2] / "data" / "paper")
    rows = [r for r in rep.rows if r.table == "Table 3"]
    assert rows and {r.paper_model for r in rows} <= {"ViT-B/16", "ViT-B/32"}
    ds = _imagenet(runs)
    views = {mv.id: mv for mv in ds.models}
    for r in rows:
        key = r.metric if r.method is None else f"{r.metric}.{r.method}"
        m = views[r.model_id].metrics[key]
        assert r.paper == m.paper and r.ours == pytest.approx(m.value)
        # the stored by-class interval only (these synthetic files store none: no flag, as in reproduce-report)
        assert r.inside == (None if r.lo is None else r.lo <= r.paper <= r.hi)
    pts = rp.chart_rows(rep)
    diag = [p for p in pts if p["kind"] == "diag"]
    assert all(p["paper"] == p["ours"] for p in diag) and len(diag) == 2 * len({p["metric"] for p in pts})


def test_ranks_default_order_and_findings(runs):
    from generator.report.findings import leaderboard_findings, model_findings

    ds = _imagenet(runs)
    assert ds.headline == "auc.pca" and [mv.rank for mv in ds.ranked] == sorted(mv.rank for mv in ds.ranked)
    text = " ".join(leaderboard_findings(ds, [], 200))
    assert f"{len(ds.models)} models on" in text and "95% percentile-bootstrap intervals over images" in text
    assert "the paper's value lies outside our 95% interval" in text
    mv = ds.ranked[0]
    mtext = " ".join(model_findings(ds, mv))
    top1 = mv.metrics["top1"]
    assert f"{top1.value:.2f} [{top1.lo:.2f}, {top1.hi:.2f}]%" in mtext and f"Rank {mv.rank} of" in mtext


def test_paired_differences_pair_images_and_resample_classes(runs):
    import numpy as np

    from generator.report.datatables import paired_differences

    ds = _imagenet(runs)
    a, b = ds.models
    d = paired_differences(a, b, ["top1", "auc.pca"], n_boot=300)
    pa, pb = a.run.per_image, b.run.per_image
    assert d["n_images"] == len(pa["image"]) and d["n_classes"] == len(set(pa["label"]))
    expect = np.mean(np.asarray(pa["auc.pca"]) - np.asarray([pb["auc.pca"][pb["image"].index(i)] for i in pa["image"]]))
    o = d["overall"]["auc.pca"]
    assert o["mean"] == pytest.approx(expect) and o["lo"] <= o["mean"] <= o["hi"]
    c = next(iter(d["classes"].values()))["auc.pca"]
    assert c["lo"] <= c["mean"] <= c["hi"] and c["n"] >= 2
    same = paired_differences(a, a, ["auc.pca"], n_boot=50)["overall"]["auc.pca"]
    assert same["mean"] == same["lo"] == same["hi"] == 0.0


def test_replication_chart_renders(runs):
    import vl_convert as vlc

    from generator.report import charts
    from generator.report import reproduction as rp

    rows = rp.chart_rows(rp.reproduce(runs, Path(__file__).resolve().parents[2] / "data" / "paper"))
    svg = vlc.vegalite_to_svg(charts.spec("replication", rows, width=120, height=120))
    assert svg.startswith("<svg") and ("paper outside our interval" in svg or "paper inside our interval" in svg)
