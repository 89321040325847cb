"""The suite runner: planning says everything that is missing at once, tasks group a model's units, reruns skip
finished units, a changed setting recomputes only the units it affects, failures are reported and not merged."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from generator.errors import UserError
from generator.registry import models as models_registry
from generator.runner.orchestrate import run_suite
from generator.runner.plan import make_tasks, plan_suite, require_plan
from generator.runner.resolve import resolve_suite
from generator.runner.types import RunOptions
from generator.suite import load_suite
from tests.fixtures.suites import make_suite


def _edit(path: Path, fn) -> None:
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _counts(report) -> dict:
    return {(p.model_id, p.dataset): (p.computed, p.skipped, p.failed) for p in report.pairs}


def test_plan_lists_every_problem_with_its_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("MKBENCH_TEST_DATA", raising=False)
    suite = make_suite(tmp_path)

    def broken(d):
        d["models"].append({"name": "ghost", "model_config": d["models"][0]["model_config"],
                            "pretrained": str(tmp_path / "missing.safetensors")})
        d["datasets"] += [{"name": "unset", "dir": "${MKBENCH_TEST_DATA}/val", "descriptors": "pool.json"},
                          {"name": "nofolder", "dir": str(tmp_path / "nowhere"), "descriptors": "pool.json"},
                          {"name": "nopool", "dir": d["datasets"][0]["dir"], "descriptors": "no-such-pool"}]
    _edit(suite, broken)
    sp = plan_suite(resolve_suite(load_suite(suite), RunOptions(out=tmp_path / "out")))
    text = "\n".join(sp.problems)
    assert "MKBENCH_TEST_DATA is not set" in text
    assert "nowhere not found" in text
    assert "no-such-pool" in text and "neither a file nor a known pool" in text
    assert "missing.safetensors not found" in text
    # what can run is planned: the good model on the good dataset
    assert [(p.model_id, p.dataset) for p in sp.pairs] == [("tiny-vit__untrained", "shapes")]
    with pytest.raises(UserError, match="--keep-going") as e:
        require_plan(sp)
    assert str(e.value).count("\n  - ") == 4
    require_plan(plan_suite(resolve_suite(load_suite(suite), RunOptions(out=tmp_path / "out", keep_going=True))))


def test_paper13_without_data_says_what_to_set(monkeypatch, tmp_path):
    monkeypatch.delenv("MKBENCH_DATA", raising=False)
    sp = plan_suite(resolve_suite(load_suite("paper13"), RunOptions(out=tmp_path, models=("vit-b-16",))))
    text = "\n".join(sp.problems)
    assert "MKBENCH_DATA is not set" in text and not sp.pairs
    for name in ("imagenet", "places365", "food101"):
        assert f"dataset {name}" in text


def test_plan_scans_each_dataset_and_reads_each_pool_once_for_all_models(tmp_path, monkeypatch):
    from generator.registry import datasets as ds_registry
    from generator.runner import compute

    suite = make_suite(tmp_path, kinds=("vit", "modified_resnet"), datasets=("a", "b"), n_classes=2, per_class=1)
    scans, reads = [], []
    from generator.runner import plan as planner

    real_scan, real_load = ds_registry.scan_image_folder, planner.load_pool
    monkeypatch.setattr(ds_registry, "scan_image_folder", lambda root, **k: scans.append(root) or real_scan(root, **k))
    monkeypatch.setattr(planner, "load_pool", lambda path: reads.append(path) or real_load(path))
    sp = plan_suite(resolve_suite(load_suite(suite), RunOptions(out=tmp_path / "out")))
    assert len(sp.pairs) == 4 and not sp.problems
    assert len(scans) == 2 and len(reads) == 1   # 2 datasets (one pool file) x 2 models
    by_dataset = {}
    for p in sp.pairs:  # the models share the scan, the units still differ by model
        by_dataset.setdefault(p.dataset, []).append(p)
    for a, b in by_dataset.values():
        assert a.plan.dataset is b.plan.dataset and a.plan.pool is b.plan.pool
        assert [u.files for u in a.units] == [u.files for u in b.units]
        assert not {u.key for u in a.units} & {u.key for u in b.units}
    alone = compute.plan(sp.pairs[0].plan.request)  # the same keys without the memo
    assert [u.key for u in alone.units] == [u.key for u in sp.pairs[0].units]


def _unit(key):
    return SimpleNamespace(key=key)


def test_tasks_hold_one_model_each_and_chunk_for_arrays():
    req_a, req_b, req_c = object(), object(), object()
    pairs = [SimpleNamespace(model_id="m1", request=req_a, pending=[_unit("a1"), _unit("a2"), _unit("a3")]),
             SimpleNamespace(model_id="m1", request=req_b, pending=[_unit("b1")]),
             SimpleNamespace(model_id="m2", request=req_c, pending=[_unit("c1"), _unit("c2")])]
    sp = SimpleNamespace(pairs=pairs, suite=SimpleNamespace(precision="amp"))
    whole = make_tasks(sp)
    assert [(t.model_id, [(i.request, i.keys) for i in t.items]) for t in whole] == [
        ("m1", [(req_a, ("a1", "a2", "a3")), (req_b, ("b1",))]), ("m2", [(req_c, ("c1", "c2"))])]
    chunks = make_tasks(sp, units_per_task=2)
    assert [(t.model_id, [i.keys for i in t.items]) for t in chunks] == [
        ("m1", [("a1", "a2")]), ("m1", [("a3",), ("b1",)]), ("m2", [("c1", "c2")])]


def test_rerun_skips_and_a_changed_setting_recomputes_only_its_units(tmp_path, monkeypatch):
    suite = make_suite(tmp_path, datasets=("a", "b"), n_classes=2, per_class=1)
    out = tmp_path / "out"
    model = "tiny-vit__untrained"
    loads = []
    real_load = models_registry.load_model
    monkeypatch.setattr(models_registry, "load_model", lambda *a, **k: loads.append(a[0].id) or real_load(*a, **k))
    monkeypatch.setattr("generator.runner.loader._LOADED", {})   # the one model loader (loader.load_model_once)

    def run():
        r = run_suite(load_suite(suite), RunOptions(out=out), quiet=True)
        assert r.ok
        return r

    first = run()
    assert _counts(first) == {(model, "a"): (2, 0, 0), (model, "b"): (2, 0, 0)}
    assert {p.merged for p in first.pairs} == {"written"}
    assert loads == [model]     # loaded once, reused for the second dataset
    summary_a = (out / "a" / model / "summary.json").read_text()

    again = run()
    assert _counts(again) == {(model, "a"): (0, 2, 0), (model, "b"): (0, 2, 0)}
    assert {p.merged for p in again.pairs} == {"up to date"}
    assert (out / "a" / model / "summary.json").read_text() == summary_a  # not even rewritten

    # the templates of dataset b change its class embeddings: b is recomputed, a is not
    _edit(suite, lambda d: d["datasets"][1].update(templates=["a drawing of a {}."]))
    third = run()
    assert _counts(third) == {(model, "a"): (0, 2, 0), (model, "b"): (2, 0, 0)}
    summary_b = json.loads((out / "b" / model / "summary.json").read_text())
    assert summary_b["config"]["templates"]["templates"] == ["a drawing of a {}."]

    # one image of one class of dataset a changes: only that class is recomputed
    folder = sorted(p for p in (tmp_path / "data" / "a").iterdir() if p.is_dir())[0]
    from tests.fixtures.images import shape_image
    import numpy as np
    shape_image("circle", "green", 32, np.random.default_rng(7)).save(next(folder.iterdir()))
    fourth = run()
    assert _counts(fourth) == {(model, "a"): (1, 1, 0), (model, "b"): (0, 2, 0)}
    assert [p.merged for p in fourth.pairs] == ["written", "up to date"]


def test_a_failing_class_is_reported_the_others_run_and_nothing_is_merged(tmp_path):
    suite = make_suite(tmp_path, n_classes=2, per_class=1)
    bad = sorted((tmp_path / "data" / "shapes").glob("*/*.png"))[0]
    bad.write_bytes(b"not a png")
    out = tmp_path / "out"
    report = run_suite(load_suite(suite), RunOptions(out=out), quiet=True)
    assert not report.ok
    assert _counts(report) == {("tiny-vit__untrained", "shapes"): (1, 0, 1)}
    assert report.pairs[0].merged == "incomplete"
    assert len(report.failures) == 1 and bad.name in report.failures[0]["error"]
    assert not (out / "shapes" / "tiny-vit__untrained" / "summary.json").exists()
    saved = json.loads(Path(report.log_file).with_suffix(".json").read_text())
    assert saved["ok"] is False and saved["totals"]["failed"] == 1
    assert "cannot read this image" in Path(report.log_file).read_text()


def test_a_sample_run_estimates_the_cost_and_is_not_merged(tmp_path):
    suite = make_suite(tmp_path, n_classes=3, per_class=1)
    report = run_suite(load_suite(suite), RunOptions(out=tmp_path / "out", max_units=1), quiet=True)
    assert report.ok and report.sample
    assert _counts(report) == {("tiny-vit__untrained", "shapes"): (1, 0, 0)}
    assert report.pairs[0].merged == "sample (not merged)"
    est = report.estimates["tiny-vit__untrained"]
    assert est["classes"] == 3 and est["hours_full_run"] == pytest.approx(3 * est["s_per_class"] / 3600, abs=1e-5)


def test_planning_writes_nothing_and_the_worker_saves_the_image_hashes(tmp_path, monkeypatch):
    """issue 12: the planner is pure (resolved specs in, plan out); the image-hash memo it fills is written by the
    worker (work.save_hashes), after which a new plan reads the memo instead of the images."""
    from generator import hashing
    from generator.runner.work import save_hashes

    monkeypatch.setenv("MKBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(hashing.HashCache, "_memory", {})   # nothing remembered from earlier tests
    (tmp_path / "s").mkdir()
    resolved = resolve_suite(load_suite(make_suite(tmp_path / "s")), RunOptions(out=tmp_path / "out"))
    before = sorted(p for p in tmp_path.rglob("*"))
    sp = plan_suite(resolved)
    assert sp.pairs and not sp.problems
    assert sorted(p for p in tmp_path.rglob("*")) == before          # no file written, no folder made
    assert resolved.pairs[0][2].resolved is not None and resolved.pairs[0][2].weights   # resolved once, frozen
    save_hashes(p.plan for p in sp.pairs)
    [memo] = (tmp_path / "cache" / "hashes").glob("images-*.json")
    n_images = sum(len(u.files) for u in sp.pairs[0].units)
    assert len(json.loads(memo.read_text())["files"]) == n_images
    monkeypatch.setattr(hashing.HashCache, "_memory", {})
    reads = []
    real = hashing.file_sha256
    monkeypatch.setattr(hashing, "file_sha256", lambda p: reads.append(p) or real(p))
    again = plan_suite(resolved)
    assert reads == [] and [u.key for u in again.pairs[0].units] == [u.key for u in sp.pairs[0].units]
