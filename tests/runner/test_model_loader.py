"""The runner's one model loader (:func:`generator.runner.loader.load_model_once`) holds a trained model and its
random-weights twin side by side; the twin built through it is the one the twin's own cache used to build."""
from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import torch

from generator.registry import models as model_registry
from generator.registry.models import ModelSpec
from generator.runner import loader
from tests.fixtures.tiny import tiny_config_path


def plan(spec, seed=3):
    return SimpleNamespace(spec=spec, request=SimpleNamespace(device="cpu", seed=seed, weights_cache=None,
                                                              precision="fp32"))


def test_twin_weights_equal_the_former_direct_load(monkeypatch):
    monkeypatch.setattr(loader, "_LOADED", {})
    spec = ModelSpec("tiny-vit", "some-trained-tag", model_config=str(tiny_config_path("vit")), paper_key="x")
    twin = loader.load_model_once(plan(spec), role="twin")
    old = model_registry.load_model(replace(spec, pretrained=model_registry.UNTRAINED, paper_key=None),
                                    device="cpu", seed=3)      # what evaluations.random_engine called before
    new_sd, old_sd = twin.model.state_dict(), old.model.state_dict()
    assert new_sd.keys() == old_sd.keys() and len(new_sd) > 10
    assert all(torch.equal(new_sd[k], old_sd[k]) for k in new_sd)
    assert twin.weights == old.weights
    other = model_registry.load_model(replace(spec, pretrained=model_registry.UNTRAINED), device="cpu", seed=4)
    assert not all(torch.equal(new_sd[k], other.model.state_dict()[k]) for k in new_sd)   # the seed matters


def test_twin_does_not_evict_the_trained_model_and_a_new_model_frees_both(monkeypatch):
    calls = []

    def load(spec, device, seed, cache_dir):
        calls.append((spec.model, spec.pretrained))
        return SimpleNamespace(model=SimpleNamespace(), spec=spec)

    monkeypatch.setattr(loader, "_LOADED", {})
    monkeypatch.setattr(model_registry, "load_model", load)
    a, b = plan(ModelSpec("A", "tag")), plan(ModelSpec("B", "tag"))
    trained = loader.load_model_once(a)
    twin = loader.load_model_once(a, role="twin")
    assert loader.load_model_once(a) is trained and loader.load_model_once(a, role="twin") is twin
    assert calls == [("A", "tag"), ("A", "none")] and twin.spec.paper_key is None
    loader.load_model_once(b)
    assert set(loader._LOADED) == {"model"}                      # A's model and A's twin are both freed
    loader.load_model_once(b, role="twin")
    assert calls[2:] == [("B", "tag"), ("B", "none")]
