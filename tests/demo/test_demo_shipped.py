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


@needs_current_world
def test_default_model_scores_85_on_120_fresh_images():
    card = next(c for c in shipped_models() if c["model"] == DEFAULT_MODEL)
    import open_clip

    open_clip.add_model_config(card["config_path"])
    model = open_clip.create_model(card["architecture"], pretrained=card["weights_path"])  # the real path
    model.eval()
    tok = open_clip.get_tokenizer(card["architecture"])
    acc = zero_shot_accuracy(model, tok, build_pool(120, 12345, HELDOUT_STREAM))
    assert acc["n"] == 120
    assert acc["top1"] >= 0.85, acc


def test_family_size_and_cards():
    cards = shipped_models()
    assert len(cards) == len(FAMILY) >= 4
    total = sum((MODEL_DIR / c["weights"]).stat().st_size for c in cards)
    assert total <= 30 * 10**6
    accs = [c["heldout"]["top1"] for c in cards]
    assert max(accs) >= 0.90 and max(accs) - min(accs) >= 0.05
    assert len({c["architecture"] for c in cards}) >= 2 and len({c["data"]["n_images"] for c in cards}) >= 2
    for c in cards:
        assert c["heldout"]["n_images"] >= 600
        assert c["weights_bytes"] == (MODEL_DIR / c["weights"]).stat().st_size
        assert json.loads((MODEL_DIR / f"{c['model']}.card.json").read_text())["model"] == c["model"]
