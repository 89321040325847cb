"""results/ owns the shapes it stores (issue 12): model_info and the run configuration are typed
(:class:`ModelInfo`, :class:`RunConfig`), and typing them changes no stored byte: what a writer gave is written back
as it was (absent keys stay absent, nulls stay null), so ``provenance.config_hash`` still checks out."""
from __future__ import annotations

import json

from generator.hashing import stable_hash
from generator.results.schema import ModelInfo, RunConfig, Summary

CONFIG = {"model": {"model": "ViT-B-32", "pretrained": "openai", "model_config": None, "paper_key": "vit-b-32",
                    "id": "vit-b-32", "weights": "ViT-B-32|tag:openai:0"},
          "dataset": {"name": "d", "classes": ["a", "b"]}, "templates": {"name": "default", "templates": ["{}"]},
          "descriptors": {"sha256": "0" * 64, "n": 7}, "method": {"n_parts": 5, "methods": ["pca"]},
          "method_effective": {"initial_topk": 7, "ratio": 1, "scaled": True}, "seed": 0, "precision": "fp32",
          "overlays_per_class": 4}
PROV = {"package_version": "0", "open_clip_version": "0", "torch_version": "0", "git_commit": None,
        "descriptor_source": "pool.json", "descriptor_sha256": "0" * 64, "seed": 0, "config_hash": stable_hash(CONFIG),
        "created": "now"}


def _summary(**kw) -> dict:
    return {"schema_version": "1.4.0", "model": "ViT-B-32", "pretrained": "openai", "model_id": "vit-b-32",
            "dataset": "d", "n_images": 2, "n_classes": 2, "top1": 50.0, "methods": {}, "untrained": False,
            "model_info": {"family": "ViT", "tower": "vit", "image_size": 224, "parameters": 151277313},
            "config": CONFIG, "provenance": PROV, **kw}


def test_a_summary_round_trips_byte_for_byte_and_its_config_hash_checks_out():
    text = json.dumps(_summary(), indent=1)
    s = Summary.model_validate_json(text)
    dumped = s.model_dump(mode="json")
    given = json.loads(text)
    for key in ("model_info", "config"):   # the typed shapes: the same keys, order and values as given
        assert json.dumps(dumped[key], indent=1) == json.dumps(given[key], indent=1)
    assert stable_hash(dumped["config"]) == s.provenance.config_hash
    assert "evaluations" not in dumped["config"] and dumped["config"]["model"]["model_config"] is None
    assert dumped["config"]["method_effective"]["ratio"] == 1 and isinstance(dumped["config"]["method_effective"]["ratio"], int)


def test_the_fields_are_typed():
    s = Summary.model_validate(_summary())
    assert s.model_info.parameters == 151277313 and s.model_info.params_m == 151.277313
    assert s.model_info.paper_name is None and s.config.model.paper_key == "vit-b-32"
    assert s.config.model.model_config_file is None and s.config.templates.templates == ["{}"]
    assert s.config.descriptors.n == 7 and s.config.seed == 0


def test_files_of_older_writers_and_hand_made_ones_still_read():
    s = Summary.model_validate(_summary(model_info={}, config={}))
    assert s.model_info == ModelInfo() and s.model_info.params_m is None and s.config.model is None
    assert s.model_dump(mode="json")["config"] == {} and s.model_dump(mode="json")["model_info"] == {}
    assert RunConfig().model_dump() == {}
    # a model_info the registry writes drops what it does not know (as ModelInfo.to_dict did)
    assert ModelInfo(family="ViT", tower="vit", image_size=64, parameters=1, paper_name=None).model_dump() == {
        "family": "ViT", "tower": "vit", "image_size": 64, "parameters": 1}
