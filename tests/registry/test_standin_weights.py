"""The real-weights path, exercised offline (issue 10 item 7): stand-in weights (random, small) laid out exactly as
users' caches hold them — a Hugging Face hub cache folder (how open_clip fetches ``hf-hub`` and most pretrained
tags, e.g. the DFN entry) and open_clip's URL cache (OpenAI-style checkpoint file) — must be reported available and
load through the same ``create_model(name, pretrained=TAG, cache_dir=...)`` call as real weights, giving exactly the
stand-in's parameters. The tags are registered for the tiny fixture architecture, so nothing real is downloaded."""
from __future__ import annotations

import hashlib

import open_clip
import pytest
import torch
from open_clip import pretrained as oc_pretrained
from safetensors.torch import save_file

from generator.errors import UserError
from generator.registry import models as registry
from tests.fixtures.tiny import tiny_config_path

ARCH = "tiny-vit"


@pytest.fixture()
def standin(tmp_path, monkeypatch):
    """Random tiny-vit weights, their state dict, and a function registering a pretrained tag for them."""
    open_clip.add_model_config(tiny_config_path("vit"))
    torch.manual_seed(123)
    model = open_clip.create_model(ARCH, pretrained=None)
    state = {k: v.contiguous().clone() for k, v in model.state_dict().items()}
    tags = dict(oc_pretrained._PRETRAINED.get(ARCH, {}))
    monkeypatch.setitem(oc_pretrained._PRETRAINED, ARCH, tags)

    def register(tag: str, **cfg):
        tags[tag] = oc_pretrained._pcfg(**cfg)
    return state, register


def _hub_cache(root, repo: str, filename: str, state) -> None:
    """The layout huggingface_hub writes: models--ORG--NAME/{refs/main, snapshots/<rev>/<file>}."""
    folder = root / f"models--{repo.replace('/', '--')}"
    rev = hashlib.sha1(repo.encode()).hexdigest()
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text(rev)
    snap = folder / "snapshots" / rev
    snap.mkdir(parents=True)
    save_file(state, str(snap / filename))


def _same_weights(loaded, state) -> bool:
    got = loaded.model.state_dict()
    return all(torch.equal(got[k].float(), v.float()) for k, v in state.items())


def test_hub_cache_weights_are_found_and_loaded_through_the_real_path(tmp_path, standin):
    state, register = standin
    register("standin_hub", hf_hub="mkbench-test/tiny-standin/")
    spec = registry.resolve_model(ARCH, "standin_hub")
    cache = tmp_path / "hub"
    cache.mkdir()
    assert not registry.is_available(spec, str(cache))               # nothing laid out yet: unavailable
    _hub_cache(cache, "mkbench-test/tiny-standin", "open_clip_model.safetensors", state)
    assert registry.is_available(spec, str(cache))
    loaded = registry.load_model(spec, cache_dir=str(cache))
    assert _same_weights(loaded, state)                              # the stand-in's weights, not a random init
    assert not spec.untrained and loaded.weights                      # weights identity recorded


def test_url_cache_checkpoint_is_found_and_loaded_through_the_real_path(tmp_path, standin):
    state, register = standin
    register("standin_url", url="https://example.invalid/weights/tiny-standin.pt")
    spec = registry.resolve_model(ARCH, "standin_url")
    cache = tmp_path / "clip"
    cache.mkdir()
    assert not registry.is_available(spec, str(cache))
    torch.save(state, cache / "tiny-standin.pt")                     # open_clip's URL cache: <cache>/<basename>
    assert registry.is_available(spec, str(cache))
    loaded = registry.load_model(spec, cache_dir=str(cache))
    assert _same_weights(loaded, state)


def test_missing_standin_is_a_one_line_error_naming_the_fix(tmp_path, standin):
    _, register = standin
    register("standin_missing", hf_hub="mkbench-test/absent/")
    spec = registry.resolve_model(ARCH, "standin_missing")
    with pytest.raises(UserError, match="not available offline") as e:
        registry.load_model(spec, cache_dir=str(tmp_path))
    assert "huggingface-cli download mkbench-test/absent" in str(e.value)
