"""Text side: encode, template ensemble, descriptor prompt, on-disk cache (spec §2.1)."""
from __future__ import annotations

import open_clip
import pytest
import torch
import torch.nn.functional as F

from generator.errors import UserError
from generator.method import text
from tests.fixtures.tiny import tiny_model


class Counting:
    """Wraps a model and counts the texts that reach its text tower."""

    def __init__(self, model):
        self.model, self.calls, self.texts = model, 0, 0

    def encode_text(self, tokens):
        self.calls += 1
        self.texts += tokens.shape[0]
        return self.model.encode_text(tokens)


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    model, _ = tiny_model("vit")
    return model, open_clip.get_tokenizer("tiny-vit")


def _ref(model, tok, texts):
    with torch.no_grad():
        return F.normalize(model.encode_text(tok(texts)).float(), dim=-1)


def test_tokenizer_offline_context_length(tiny):
    _, tok = tiny
    assert tok(["a photo showing a red fin"]).shape == (1, 32)


def test_encode_shapes_normalised_and_batched(tiny):
    model, tok = tiny
    texts = [f"thing number {i}" for i in range(7)]
    m = Counting(model)
    emb = text.encode_texts(m, tok, texts, batch_size=3)
    assert emb.shape == (7, 32) and emb.dtype == torch.float32
    assert m.calls == 3 and m.texts == 7
    torch.testing.assert_close(emb.norm(dim=-1), torch.ones(7))
    torch.testing.assert_close(emb, _ref(model, tok, texts))
    assert not emb.is_inference()


def test_class_embeddings_equal_hand_ensemble(tiny):
    model, tok = tiny
    classes, templates = ["cat", "sea lion"], ["a photo of a {}.", "art of the {}.", "itap of a {}."]
    got = text.class_embeddings(model, tok, classes, templates)
    assert got.shape == (2, 32)
    for i, c in enumerate(classes):
        e = _ref(model, tok, [t.format(c) for t in templates])
        want = e.mean(0) / e.mean(0).norm()
        torch.testing.assert_close(got[i], want)
    # the ensemble is not just the first template
    assert not torch.allclose(got[0], _ref(model, tok, ["a photo of a cat."])[0], atol=1e-4)


def test_descriptor_prompt(tiny):
    model, tok = tiny
    descs = ["long ears", "a fluffy tail"]
    got = text.descriptor_embeddings(model, tok, descs)
    torch.testing.assert_close(got, _ref(model, tok, ["a photo showing long ears", "a photo showing a fluffy tail"]))
    raw = text.descriptor_embeddings(model, tok, descs, prompt="{}")
    torch.testing.assert_close(raw, _ref(model, tok, descs))


def test_bad_template_is_user_error(tiny):
    model, tok = tiny
    with pytest.raises(UserError, match="exactly one"):
        text.class_embeddings(model, tok, ["cat"], ["a photo of a CLASS"])


def test_cache_hit_skips_model_and_changed_texts_miss(tiny, tmp_path):
    model, tok = tiny
    texts = ["red fins", "a long tail", "whiskers"]
    m = Counting(model)
    first = text.encode_texts(m, tok, texts, cache_dir=tmp_path, cache_key="tiny-vit/random")
    assert m.calls == 1 and len(list(tmp_path.glob("text-*.pt"))) == 1
    again = text.encode_texts(m, tok, texts, cache_dir=tmp_path, cache_key="tiny-vit/random")
    assert m.calls == 1
    assert torch.equal(again, first)
    # changed list, changed order, changed key: all miss
    text.encode_texts(m, tok, texts + ["scales"], cache_dir=tmp_path, cache_key="tiny-vit/random")
    assert m.calls == 2
    text.encode_texts(m, tok, texts[::-1], cache_dir=tmp_path, cache_key="tiny-vit/random")
    assert m.calls == 3
    text.encode_texts(m, tok, texts, cache_dir=tmp_path, cache_key="other-model/random")
    assert m.calls == 4
    # no key -> no cache
    text.encode_texts(m, tok, texts, cache_dir=tmp_path)
    text.encode_texts(m, tok, texts, cache_dir=tmp_path)
    assert m.calls == 6
    assert len(list(tmp_path.iterdir())) == 4  # no temp files left behind


def test_corrupt_cache_is_recomputed(tiny, tmp_path):
    model, tok = tiny
    texts = ["red fins", "a long tail"]
    m = Counting(model)
    first = text.encode_texts(m, tok, texts, cache_dir=tmp_path, cache_key="k")
    path = text.cache_path(tmp_path, "k", texts)
    path.write_bytes(path.read_bytes()[:50])  # truncated
    again = text.encode_texts(m, tok, texts, cache_dir=tmp_path, cache_key="k")
    assert m.calls == 2
    torch.testing.assert_close(again, first)
    # the rewritten cache is valid again
    text.encode_texts(m, tok, texts, cache_dir=tmp_path, cache_key="k")
    assert m.calls == 2


def test_cache_with_wrong_content_is_recomputed(tiny, tmp_path):
    model, tok = tiny
    texts = ["red fins", "a long tail"]
    path = text.cache_path(tmp_path, "k", texts)
    torch.save({"version": text.CACHE_VERSION, "cache_key": "k", "texts_sha256": text.texts_sha256(texts),
                "embeddings": torch.zeros(5, 32)}, path)  # wrong row count
    m = Counting(model)
    emb = text.encode_texts(m, tok, texts, cache_dir=tmp_path, cache_key="k")
    assert m.calls == 1 and emb.shape == (2, 32)


def test_empty_texts_rejected(tiny):
    model, tok = tiny
    with pytest.raises(ValueError, match="no texts"):
        text.encode_texts(model, tok, [])
