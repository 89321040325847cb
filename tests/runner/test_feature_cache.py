"""The per-model feature cache: a changed grounding/language setting reruns no image-tower pass, a changed part
setting only the prompt passes, results equal an uncached run, corrupt entries are recomputed, the cache can be
switched off, and the effective precision enters the unit keys."""
from __future__ import annotations

import shutil
from dataclasses import replace

import pytest
import torch
from click.testing import CliRunner

import generator.method.features as features
import generator.registry.models as models
from generator.cli import cli
from generator.method.config import MethodConfig
from generator.method.features import EncodedImages
from generator.registry.datasets import scan_image_folder
from generator.runner.compute import ComputeRequest, compute, plan
from generator.runner.feature_cache import FEATURES_DIR, FeatureCache, _load, round_patches
from generator.runner.units import make_units
from tests.fixtures.images import make_descriptor_pool, make_image_folder
from tests.fixtures.tiny import tiny_config_path

BASE = MethodConfig(methods=("pca",), n_parts=3, sinkhorn_iters=50, kmeans_iter_limit=30)
N_IMAGES = 6   # 3 classes x 2


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    base = tmp_path_factory.mktemp("data")
    return make_image_folder(base / "shapes", per_class=2, size=64), make_descriptor_pool(base / "pool.json")


def _request(data, out, cfg, **kw):
    """These tests count the method's own forward passes: the issue-9 evaluations (their perturbed images are never
    cached, and the augmentation pass re-encodes when the cache is off) are turned off here."""
    root, pool = data
    kw.setdefault("evaluations", False)
    return ComputeRequest(dataset_dir=root, descriptors=pool, out=out, model_config=str(tiny_config_path("vit")),
                          pretrained="none", device="cpu", overlays_per_class=0, method=cfg, **kw)


def counted_compute(req, monkeypatch):
    """(result, counts): image-tower forwards (calls and images) and encode passes while ``req`` runs."""
    counts = {"visual": 0, "images": 0, "encode": 0}
    load, encode = models.load_model, features.encode_images

    def counting_load(*a, **k):
        loaded = load(*a, **k)

        def hook(module, args):
            counts["visual"] += 1
            counts["images"] += args[0].shape[0]
        loaded.model.visual.register_forward_pre_hook(hook)
        return loaded

    def counting_encode(*a, **k):
        counts["encode"] += 1
        return encode(*a, **k)

    with monkeypatch.context() as mp:
        mp.setattr("generator.runner.loader._LOADED", {})   # load afresh (the runner keeps one model per process)
        mp.setattr(models, "load_model", counting_load)
        mp.setattr(features, "encode_images", counting_encode)
        result = compute(req)
    return result, counts


def _results(result) -> dict:
    return {f: (result.results_dir / f).read_bytes() for f in ("images.jsonl", "classes.json")}


@pytest.fixture(scope="module")
def cached(data, tmp_path_factory):
    """A finished run of BASE with the cache on (copied by each test that reruns in it)."""
    out = tmp_path_factory.mktemp("cached") / "out"
    result = compute(_request(data, out, BASE))
    assert result.computed == 3
    return out, _results(result)


def _copy(cached, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(cached[0], out)
    return out


def test_changed_grounding_setting_reruns_no_image_pass_and_equals_uncached(data, cached, tmp_path, monkeypatch):
    out = _copy(cached, tmp_path)
    assert len(list((out / FEATURES_DIR).rglob("encode/*.safetensors"))) == 3
    assert len(list((out / FEATURES_DIR).rglob("prompts/*.safetensors"))) == 3
    cfg = replace(BASE, mean_offset=0.0, language_topk=20)
    result, counts = counted_compute(_request(data, out, cfg), monkeypatch)
    assert result.computed == 3 and counts == {"visual": 0, "images": 0, "encode": 0}
    assert _results(result) != cached[1]                 # the new settings were applied
    plain, plain_counts = counted_compute(_request(data, tmp_path / "plain", cfg, feature_cache=False), monkeypatch)
    assert plain_counts["encode"] == 3 and plain_counts["images"] > N_IMAGES
    assert _results(plain) == _results(result)
    assert not (tmp_path / "plain" / FEATURES_DIR).exists()


def test_changed_part_setting_reruns_only_the_prompt_passes(data, cached, tmp_path, monkeypatch):
    out = _copy(cached, tmp_path)
    cfg = replace(BASE, n_parts=2)
    result, counts = counted_compute(_request(data, out, cfg), monkeypatch)
    plain, plain_counts = counted_compute(_request(data, tmp_path / "plain", cfg, feature_cache=False), monkeypatch)
    assert result.computed == 3 and counts["encode"] == 0 and counts["images"] > 0
    assert counts["images"] == plain_counts["images"] - N_IMAGES  # exactly the prompt images, no encode pass
    assert _results(plain) == _results(result)
    assert len(list((out / FEATURES_DIR).rglob("prompts/*.safetensors"))) == 6  # both part settings kept


def test_corrupt_cache_files_are_recomputed(data, cached, tmp_path, monkeypatch):
    out = _copy(cached, tmp_path)
    enc_file = sorted((out / FEATURES_DIR).rglob("encode/*.safetensors"))[0]
    prompt_file = sorted((out / FEATURES_DIR).rglob("prompts/*.safetensors"))[0]
    enc_file.write_bytes(b"not a safetensors file")
    prompt_file.write_bytes(prompt_file.read_bytes()[:-10])   # truncated
    cfg = replace(BASE, mean_offset=0.0)
    result, counts = counted_compute(_request(data, out, cfg), monkeypatch)
    assert result.computed == 3 and counts["encode"] == 1 and counts["images"] > 0
    assert _load(enc_file, enc_file.stem) is not None and _load(prompt_file, prompt_file.stem) is not None
    plain = compute(_request(data, tmp_path / "plain", cfg, feature_cache=False))
    assert _results(plain) == _results(result)


def test_no_feature_cache_flag_writes_nothing(data, tmp_path):
    root, pool = data
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["compute", "--model-config", str(tiny_config_path("vit")), "--pretrained", "none",
                                   "--dataset-dir", str(root), "--descriptors", str(pool), "--out", str(out),
                                   "--methods", "pca", "--device", "cpu", "--overlays", "0", "--no-feature-cache",
                                   "--quiet"])
    assert res.exit_code == 0, res.output
    assert (out / ".cache" / "text").is_dir() and not (out / FEATURES_DIR).exists()
    for command in ("compute", "run", "build"):
        assert "--no-feature-cache" in CliRunner().invoke(cli, [command, "--help"]).output


def test_run_and_build_pass_the_flag_on(monkeypatch):
    import generator.runner.orchestrate as orchestrate

    seen = []
    monkeypatch.setattr(orchestrate, "run_suite", lambda suite, opts, **kw: seen.append(opts) or _Ok())
    for args in (["run", "--no-feature-cache", "--dry-run"], ["run", "--dry-run"]):
        assert CliRunner().invoke(cli, args).exit_code == 0
    assert [o.feature_cache for o in seen] == [False, True]


class _Ok:
    ok = True


def test_cache_round_trip_is_exact_and_rounding_is_safe(tmp_path):
    torch.manual_seed(0)
    enc = round_patches(EncodedImages(embeds=torch.randn(2, 8), patches=torch.randn(2, 3, 3, 5) * 100))
    assert torch.equal(enc.patches, enc.patches.half().float())
    cache = FeatureCache(tmp_path, "weights")
    cache.save_encoded("k", enc)
    back = cache.load_encoded("k", 2, "cpu")
    assert torch.equal(back.embeds, enc.embeds) and torch.equal(back.patches, enc.patches)
    assert cache.load_encoded("k", 3, "cpu") is None and cache.load_encoded("other", 2, "cpu") is None
    assert _load(cache._path("k"), "k")["patches"].dtype == torch.float16   # half the disk
    huge = EncodedImages(embeds=torch.zeros(1, 2), patches=torch.full((1, 1, 1, 2), 1e6))
    assert torch.equal(round_patches(huge).patches, huge.patches)   # overflows float16: kept in float32
    cache.save_encoded("h", huge)
    assert torch.equal(cache.load_encoded("h", 1, "cpu").patches, huge.patches)
    assert _load(cache._path("h"), "h")["patches"].dtype == torch.float32


def test_precision_is_in_the_unit_keys(data, tmp_path):
    ds = scan_image_folder(data[0])
    args = dict(weights="w", descriptor_sha256="s", templates=["a {}"], cfg=BASE, seed=0, overlays_per_class=0)
    fp32 = [u.key for u in make_units(ds, "m", **args, precision="fp32")]
    amp = [u.key for u in make_units(ds, "m", **args, precision="amp")]
    assert all(a != b for a, b in zip(fp32, amp))
    req = _request(data, tmp_path, BASE, precision="amp")
    on_cpu = plan(req)                                   # CPU is always fp32: amp and fp32 share the units
    assert on_cpu.precision == "fp32" and on_cpu.units == plan(replace(req, precision="fp32")).units
    on_gpu = plan(replace(req, device="cpu"), run_device="cuda")   # e.g. a SLURM planner for GPU workers
    assert on_gpu.precision == "amp" and all(a.key != b.key for a, b in zip(on_gpu.units, on_cpu.units))
    assert on_gpu.run_config()["precision"] == "amp"


def test_suite_planner_keys_slurm_gpu_workers_amp(tmp_path):
    from generator.runner.plan import plan_suite
    from generator.runner.resolve import resolve_suite
    from generator.runner.types import RunOptions
    from generator.suite import load_suite
    from tests.fixtures.suites import make_suite

    suite = load_suite(str(make_suite(tmp_path, device="auto", precision="amp")))
    keys = {}
    for executor, cluster in (("slurm", "slurm"), ("slurm", "debug"), ("local", "slurm")):
        sp = plan_suite(resolve_suite(suite, RunOptions(out=tmp_path / "out", executor=executor, cluster=cluster)))
        keys[executor, cluster] = (sp.pairs[0].plan.precision, [u.key for u in sp.pairs[0].units])
    amp = "amp" if torch.cuda.is_available() else "fp32"   # debug and local run here
    assert keys["slurm", "slurm"][0] == "amp" and keys["slurm", "debug"][0] == keys["local", "slurm"][0] == amp
    assert keys["slurm", "debug"][1] == keys["local", "slurm"][1]
    assert (keys["slurm", "slurm"][1] == keys["local", "slurm"][1]) == (amp == "amp")
