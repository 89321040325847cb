"""End to end per tower kind (tiny configs, random weights, generated images and pool): schema-valid results,
the method's invariants, resumability (a rerun runs no model), determinism of a recomputed class."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from generator.errors import UserError
from generator.hashing import stable_hash
from generator.method.config import MethodConfig
from generator.results.metrics import mean_curve
from generator.registry.descriptors import load_pool
from generator.results.io import read_classes, read_images, read_summary
from generator.runner.compute import ComputeRequest, compute
from tests.fixtures.images import make_descriptor_pool, make_image_folder
from tests.fixtures.tiny import tiny_config_path

U = 20  # the pool-scaled u (method.config.effective_topk): the generated pool has 60 descriptors of 3 classes
CASES = {
    "vit": MethodConfig(),
    "modified_resnet": MethodConfig(),
    "timm_convnext": MethodConfig(methods=("pca",), n_parts=3),  # the slowest tiny tower on CPU: fewer prompts
}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    base = tmp_path_factory.mktemp("data")
    root = make_image_folder(base / "shapes", per_class=2, size=64)
    pool = make_descriptor_pool(base / "pool.json", n_classes=6, per_class=10)
    return root, pool


def _request(data, out, kind, **kw):
    root, pool = data
    return ComputeRequest(dataset_dir=root, descriptors=pool, out=out, model_config=str(tiny_config_path(kind)),
                          pretrained="none", device="cpu", overlays_per_class=1, method=CASES[kind], **kw)


def check_results(results_dir, cfg: MethodConfig, pool_path, kind: str):
    summary = read_summary(results_dir / "summary.json")
    classes = read_classes(results_dir / "classes.json").classes
    images = read_images(results_dir / "images.jsonl")
    pool = load_pool(pool_path)
    assert summary.n_images == len(images) == 6 and summary.n_classes == len(classes) == 3
    assert summary.untrained and summary.pretrained == "none" and summary.model_info.tower == kind
    assert summary.model_info.parameters > 0 and set(summary.methods) == set(cfg.methods)
    assert summary.provenance.descriptor_sha256 == pool.sha256 and summary.provenance.seed == 0
    assert summary.provenance.config_hash == stable_hash(summary.config.model_dump(mode="json"))
    eff = summary.config.method_effective
    assert eff["scaled"] and (eff["initial_topk"], eff["language_topk"], eff["pool_size"]) == (7, U, 60)
    assert eff["topk_per_part"] == 1                       # round(3 * 60 / 4229) = 0 -> floor 1
    length = eff["topk_per_part"] * cfg.n_parts + 1         # curves are padded to the descriptors the run can pick
    assert summary.config.method["language_topk"] == 50    # the setting as given is recorded beside it
    assert summary.provenance.git_commit and summary.provenance.device == "cpu"
    for r in images:
        assert r.correct == (r.label == r.prediction)
        for name in cfg.methods:
            m = r.methods[name]
            lv = len(m.vision)
            assert len(m.curve) == lv + 1 and m.curve[-1] == 0.0 and m.curve[0] == m.mi
            assert lv <= eff["topk_per_part"] * cfg.n_parts and len({v.descriptor for v in m.vision}) == lv
            assert all(len(p.descriptors) <= eff["topk_per_part"] for p in m.parts)
            assert len(m.language) == U == len(set(m.language))
            assert m.mutual == [v.descriptor for v in m.vision if v.descriptor in set(m.language)]
            assert m.mi == pytest.approx(math.log(lv * U * len(m.mutual)) if m.mutual else 0.0, abs=1e-6)
            assert {v.part for v in m.vision} <= {p.part for p in m.parts}
            assert all(d in pool.descriptors for p in m.parts for d in p.descriptors)
            if r.image.endswith("img_0.png"):
                assert m.overlay == f"overlays/{name}/{r.image}" and (results_dir / m.overlay).is_file()
            else:
                assert m.overlay is None
    for k in classes:
        mine = [r for r in images if r.label == k.name]
        assert k.n_images == len(mine) == 2
        assert k.top1 == pytest.approx(100 * np.mean([r.correct for r in mine]))
        for name in cfg.methods:
            c = k.methods[name]
            assert c.curve == pytest.approx(mean_curve([r.methods[name].curve for r in mine], length))
            assert c.mi == c.curve[0] and c.auc == pytest.approx(np.mean(c.curve))
            mutual = sum(len(r.methods[name].mutual) for r in mine)
            assert sum(x.count for x in c.mutual_concepts) <= mutual
    assert summary.top1 == pytest.approx(100 * np.mean([r.correct for r in images]))
    assert all(any(r.methods[n].vision for r in images) for n in cfg.methods)  # not vacuous
    for name in cfg.methods:
        s = summary.methods[name]
        assert s.curve == pytest.approx(mean_curve([r.methods[name].curve for r in images], length))
        assert s.mi == s.curve[0] and s.auc == pytest.approx(np.mean(s.curve))
    return summary, images


def _forbid_model(monkeypatch):
    import generator.method.explain as explain
    import generator.registry.models as models

    def boom(*a, **k):
        raise AssertionError("a finished unit must not run the model")
    monkeypatch.setattr(models, "load_model", boom)
    monkeypatch.setattr(explain, "explain_batch", boom)


@pytest.mark.parametrize("kind", list(CASES))
def test_end_to_end_per_tower_kind_and_rerun_skips(kind, data, tmp_path, monkeypatch):
    out = tmp_path / "out"
    result = compute(_request(data, out, kind))
    assert result.computed == 3 and result.skipped == 0
    assert result.results_dir == out / "shapes" / f"{tiny_config_path(kind).stem}__untrained"
    check_results(result.results_dir, CASES[kind], data[1], kind)
    before = {f: (result.results_dir / f).read_bytes() for f in ("images.jsonl", "classes.json")}
    with monkeypatch.context() as mp:
        _forbid_model(mp)
        again = compute(_request(data, out, kind))
    assert again.computed == 0 and again.skipped == 3
    assert {f: (result.results_dir / f).read_bytes() for f in before} == before


def test_recomputed_class_is_identical_and_changes_invalidate(data, tmp_path):
    out = tmp_path / "out"
    first = compute(_request(data, out, "vit", dataset_name="shapes-v"))
    assert first.results_dir.parent.name == "shapes-v"
    images = (first.results_dir / "images.jsonl").read_bytes()
    shards = sorted((out / ".shards" / "shapes-v").rglob("*.json"))
    assert len(shards) == 3
    shards[1].unlink()
    again = compute(_request(data, out, "vit", dataset_name="shapes-v"))
    assert (again.computed, again.skipped) == (1, 2)
    assert (again.results_dir / "images.jsonl").read_bytes() == images  # deterministic
    reseeded = compute(_request(data, out, "vit", dataset_name="shapes-v", seed=1))
    assert reseeded.computed == 3


def test_bad_inputs_fail_before_any_work(data, tmp_path, monkeypatch):
    root, pool = data
    _forbid_model(monkeypatch)
    with pytest.raises(UserError, match="not available offline"):
        compute(ComputeRequest(dataset_dir=root, descriptors=pool, out=tmp_path, model="ViT-B-32",
                               pretrained="openai", weights_cache=str(tmp_path / "empty-cache")))
    with pytest.raises(UserError, match="unknown part method"):
        compute(_request(data, tmp_path, "vit", methods=("pca", "spectral")))
    with pytest.raises(UserError, match="descriptor pool not found"):
        compute(ComputeRequest(dataset_dir=root, descriptors=tmp_path / "nope.json", out=tmp_path,
                               model_config=str(tiny_config_path("vit")), pretrained="none"))
    assert not (tmp_path / ".shards").exists()


def test_method_value_errors_become_user_errors_naming_the_class(data, tmp_path):
    req = replace(_request(data, tmp_path, "modified_resnet"), method=MethodConfig(foreground_component=99))
    with pytest.raises(UserError, match="blue_triangle: cannot explain this class with tiny-rn__untrained"):
        compute(req)
