"""The shipped default model loads by the real open_clip path and classifies fresh images; the family fits 30 MB."""
import json

import pytest

from generator.demo.family import DEFAULT_MODEL, FAMILY, MODEL_DIR, shipped_models
from generator.demo.ship import evaluate_shipped
from generator.demo.train import HELDOUT_STREAM, build_pool, load_model, zero_shot_accuracy

pytestmark = pytest.mark.skipif(not (MODEL_DIR / f"{DEFAULT_MODEL}.safetensors").is_file(),
                                reason="demo weights not trained yet (python benchmarks/train_family.py)")


def _default_card_world():
    path = MODEL_DIR / f"{DEFAULT_MODEL}.card.json"
    return json.loads(path.read_text())["data"]["world"] if path.is_file() else None


from generator.demo.ship import WORLD_VERSION  # noqa: E402

needs_current_world = pytest.mark.skipif(
    _default_card_world() != WORLD_VERSION,
    reason=f"shipped weights were trained on {_default_card_world()}, not {WORLD_VERSION}; "
           "retrain with benchmarks/train_family.py")


_ACC: dict = {}


def _default_accuracy_on_120_fresh_images() -> dict:
    if not _ACC:
        card = next(c for c in shipped_models() if c["model"] == DEFAULT_MODEL)
        import open_clip

        open_clip.add_model_config(card["config_path"])
        model = open_clip.create_model(card["architecture"], pretrained=card["weights_path"])  # the real path
        model.eval()
        tok = open_clip.get_tokenizer(card["architecture"])
        _ACC.update(zero_shot_accuracy(model, tok, build_pool(120, 12345, HELDOUT_STREAM)))
    return _ACC


@needs_current_world
def test_default_model_loads_by_the_real_path_and_classifies_fresh_images():
    acc = _default_accuracy_on_120_fresh_images()
    assert acc["n"] == 120
    assert acc["top1"] >= 0.80, acc


@needs_current_world
def test_default_model_scores_85_on_120_fresh_images():
    """Issue 8's bar. Measured 0.900 (world 3, demo-m-20k, 1800 steps; 0.867 on the card's 600 images; world 2's
    450-step default scored 0.842 here and was a strict xfail)."""
    assert _default_accuracy_on_120_fresh_images()["top1"] >= 0.85


def test_family_size_and_cards():
    cards = shipped_models()
    assert len(cards) == len(FAMILY) >= 4
    total = sum((MODEL_DIR / c["weights"]).stat().st_size for c in cards)
    assert total <= 30 * 10**6
    accs = [c["heldout"]["top1"] for c in cards]
    assert max(accs) >= 0.85 and max(accs) - min(accs) >= 0.05
    assert len({c["architecture"] for c in cards}) >= 2 and len({c["data"]["n_images"] for c in cards}) >= 2
    for c in cards:
        assert c["heldout"]["n_images"] >= 600
        assert c["weights_bytes"] == (MODEL_DIR / c["weights"]).stat().st_size
        assert json.loads((MODEL_DIR / f"{c['model']}.card.json").read_text())["model"] == c["model"]


@needs_current_world
def test_cards_match_files_and_record_world_recipe_and_precision():
    from generator.hashing import file_sha256

    family = json.loads((MODEL_DIR / "family.json").read_text())
    assert [m["model"] for m in family] == [c["model"] for c in shipped_models()]
    for c, row in zip(shipped_models(), family):
        path = MODEL_DIR / c["weights"]
        assert file_sha256(path) == c["weights_sha256"] and row["weights_bytes"] == path.stat().st_size
        assert c["data"]["world"] == WORLD_VERSION and c["data"]["recipe_mix"]["prompted_true_part"] > 0
        p = c["precision"]
        assert p["training"] in ("fp32", "bf16 autocast") and set(p["measured"]["cpu_seconds_per_step"]) == {"fp32", "bf16"}
        assert p["training"].startswith(p["measured"]["chosen"][:4])
        assert f"{c['heldout']['top1']:.3f}" in (MODEL_DIR / f"{c['model']}.md").read_text()
