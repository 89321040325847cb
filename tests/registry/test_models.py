"""Model registry: the paper's models, open_clip pairs, checkpoints, custom configs, offline failures."""
from __future__ import annotations

import json
import time

import pytest
import torch

from generator.errors import UserError
from generator.registry import models as M
from tests.fixtures.tiny import tiny_config_path


def test_paper_table_has_13_models_with_known_open_clip_pairs():
    import open_clip

    assert len(M.PAPER_MODELS) == 13
    families = [p.family for p in M.PAPER_MODELS.values()]
    assert families.count("ViT") == 7 and families.count("ResNet") == 4 and families.count("ConvNeXt") == 2
    for p in M.PAPER_MODELS.values():
        assert open_clip.get_model_config(p.model) is not None, p
        assert open_clip.get_pretrained_cfg(p.model, p.pretrained), p
        assert open_clip.get_model_config(p.model)["vision_cfg"]["image_size"] == p.image_size, p


@pytest.mark.parametrize("name", ["vit-b-16", "ViT-B/16", "VIT-B-16"])
def test_paper_names_resolve_to_paper_pair(name):
    spec = M.resolve_model(name)
    assert (spec.model, spec.pretrained, spec.id) == ("ViT-B-16", "openai", "vit-b-16")


def test_explicit_open_clip_pair_maps_back_to_paper_key_and_other_pairs_get_own_id():
    assert M.resolve_model("ViT-B-32", "datacomp_xl_s13b_b90k").id == "vit-b-32-dcp"
    spec = M.resolve_model("ViT-B-32", "laion2b_s34b_b79k")
    assert spec.paper_key is None and spec.id == "ViT-B-32__laion2b_s34b_b79k"


def test_bad_names_and_tags_are_user_errors():
    with pytest.raises(UserError, match="unknown model 'ViT-Q-99'"):
        M.resolve_model("ViT-Q-99")
    with pytest.raises(UserError, match="not a known open_clip tag"):
        M.resolve_model("ViT-B-32", "no_such_tag")
    with pytest.raises(UserError, match="pass --pretrained TAG"):
        M.resolve_model("ViT-B-32-256")  # an open_clip architecture that is not a paper model


def test_real_pair_without_cached_weights_fails_fast_naming_model_and_fix(tmp_path):
    spec = M.resolve_model("ViT-B-32", "openai")
    t0 = time.monotonic()
    with pytest.raises(UserError) as e:
        M.load_model(spec, cache_dir=str(tmp_path))
    assert time.monotonic() - t0 < 10
    msg = str(e.value)
    assert "vit-b-32" in msg and "ViT-B-32" in msg and "--pretrained /path/to/checkpoint" in msg
    assert "huggingface-cli download timm/vit_base_patch32_clip_224.openai" in msg
    assert not M.is_available(spec, cache_dir=str(tmp_path))
    # the default caches hold no weights on this machine either
    with pytest.raises(UserError, match="not available offline"):
        M.check_weights(M.resolve_model("rn50"))


def test_untrained_custom_config_loads_and_is_seeded():
    path = tiny_config_path("vit")
    spec = M.resolve_model(None, "none", model_config=str(path))
    assert spec.untrained and spec.model == "tiny-vit" and spec.id == "tiny-vit__untrained"
    assert M.is_available(spec)
    a = M.load_model(spec, seed=3)
    b = M.load_model(spec, seed=3)
    c = M.load_model(spec, seed=4)
    pa, pb, pc = (next(x.model.visual.parameters()) for x in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)
    assert a.info.tower == "vit" and a.info.family == "ViT" and a.info.image_size == 64
    assert a.info.parameters == sum(p.numel() for p in a.model.parameters())
    assert a.weights != c.weights and "random:seed=3" in a.weights
    assert not a.model.training


def test_local_checkpoint_path_round_trip(tmp_path):
    cfg = str(tiny_config_path("modified_resnet"))
    src = M.load_model(M.resolve_model(None, "none", model_config=cfg), seed=1)
    ckpt = tmp_path / "rn.pt"
    torch.save(src.model.state_dict(), ckpt)
    spec = M.resolve_model("tiny-rn", str(ckpt), model_config=cfg)
    assert spec.is_path and spec.id == "tiny-rn__rn"
    loaded = M.load_model(spec, seed=99)
    for (k, v), (k2, v2) in zip(src.model.state_dict().items(), loaded.model.state_dict().items()):
        assert k == k2 and torch.equal(v, v2)
    assert loaded.info.tower == "modified_resnet" and loaded.weights.startswith("tiny-rn|config:")
    with pytest.raises(UserError, match="checkpoint .* not found"):
        M.check_weights(M.ModelSpec("tiny-rn", str(tmp_path / "missing.pt")))


def test_model_config_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(UserError, match="bad.json: model config is not valid JSON"):
        M.resolve_model(None, "none", model_config=str(bad))
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"embed_dim": 8}))
    with pytest.raises(UserError, match="lacks"):
        M.resolve_model(None, "none", model_config=str(partial))
    with pytest.raises(UserError, match="does not match --model-config"):
        M.resolve_model("other", "none", model_config=str(tiny_config_path("vit")))
    with pytest.raises(UserError, match="--pretrained PATH"):
        M.resolve_model(None, None, model_config=str(tiny_config_path("vit")))


def test_a_model_card_beside_a_checkpoint_names_its_pretraining_data(tmp_path):
    from generator.registry.models import card_pretraining_data

    ckpt = tmp_path / "m.safetensors"
    ckpt.write_bytes(b"")
    assert card_pretraining_data(str(ckpt)) is None
    (tmp_path / "m.card.json").write_text('{"pretraining_data": "demo world, 240 images"}')
    assert card_pretraining_data(str(ckpt)) == "demo world, 240 images"
    (tmp_path / "m.card.json").write_text("not json")
    assert card_pretraining_data(str(ckpt)) is None


def test_shipped_demo_cards_name_their_data():
    import json
    from pathlib import Path

    cards = sorted((Path(__file__).resolve().parents[2] / "data/demo/models").glob("*.card.json"))
    assert cards
    for card in cards:
        c = json.loads(card.read_text())
        assert c["pretraining_data"] == f"demo world, {c['data']['n_images']:,} images"
