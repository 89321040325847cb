"""The run's text side and its on-disk embedding cache (moved from method/text.py, issue 12)."""
from __future__ import annotations

from types import SimpleNamespace

import open_clip
import pytest
import torch
import torch.nn.functional as F

from generator.method.config import MethodConfig
from generator.runner import textbank
from tests.fixtures.tiny import Counting, tiny_vit_with_tokenizer


@pytest.fixture(scope="module")
def tiny():
    return tiny_vit_with_tokenizer()


def _enc(m, tok, texts, tmp_path, key="tiny-vit/random"):
    return textbank.encode_cached(m, tok, [texts], cache_dir=tmp_path, cache_key=key)[0]


def test_cache_hit_skips_model_and_changed_texts_miss(tiny, tmp_path):
    model, tok = tiny
    texts = ["red fins", "a long tail", "whiskers"]
    m = Counting(model)
    first = _enc(m, tok, texts, tmp_path)
    assert m.calls == 1 and len(list(tmp_path.glob("text-*.pt"))) == 1
    again = _enc(m, tok, texts, tmp_path)
    assert m.calls == 1
    assert torch.equal(again, first)
    _enc(m, tok, texts + ["scales"], tmp_path)       # changed list, order, key: all miss
    assert m.calls == 2
    _enc(m, tok, texts[::-1], tmp_path)
    assert m.calls == 3
    _enc(m, tok, texts, tmp_path, key="other-model/random")
    assert m.calls == 4
    textbank.encode_cached(m, tok, [texts], cache_dir=tmp_path)   # no key -> no cache
    textbank.encode_cached(m, tok, [texts], cache_dir=tmp_path)
    assert m.calls == 6
    assert len(list(tmp_path.iterdir())) == 4  # no temp files left behind


def test_missing_lists_encoded_together_hits_reused(tiny, tmp_path):
    model, tok = tiny
    a, b = ["red fins", "a long tail"], ["whiskers", "stripes", "a beak"]
    m = Counting(model)
    _enc(m, tok, a, tmp_path)
    totals = []
    ea, eb = textbank.encode_cached(m, tok, [a, b], cache_dir=tmp_path, cache_key="tiny-vit/random",
                                    progress=lambda n: totals.append(n) or (lambda k: None))
    assert m.texts == 2 + 3 and totals == [3]   # only b was encoded
    with torch.no_grad():
        torch.testing.assert_close(eb, F.normalize(model.encode_text(tok(b)), dim=-1))
    assert ea.shape == (2, 32)


def test_corrupt_cache_is_recomputed(tiny, tmp_path):
    model, tok = tiny
    texts = ["red fins", "a long tail"]
    m = Counting(model)
    first = _enc(m, tok, texts, tmp_path, "k")
    path = textbank.cache_path(tmp_path, "k", texts)
    path.write_bytes(path.read_bytes()[:50])  # truncated
    again = _enc(m, tok, texts, tmp_path, "k")
    assert m.calls == 2
    torch.testing.assert_close(again, first)
    _enc(m, tok, texts, tmp_path, "k")        # the rewritten cache is valid again
    assert m.calls == 2


def test_cache_with_wrong_content_or_version_is_recomputed(tiny, tmp_path):
    model, tok = tiny
    texts = ["red fins", "a long tail"]
    path = textbank.cache_path(tmp_path, "k", texts)
    torch.save({"version": textbank.CACHE_VERSION, "cache_key": "k", "texts_sha256": textbank.texts_sha256(texts),
                "embeddings": torch.zeros(5, 32)}, path)  # wrong row count
    m = Counting(model)
    assert _enc(m, tok, texts, tmp_path, "k").shape == (2, 32) and m.calls == 1
    torch.save({"version": 1, "cache_key": "k", "texts_sha256": textbank.texts_sha256(texts),
                "embeddings": torch.zeros(2, 32)}, path)  # an old version
    _enc(m, tok, texts, tmp_path, "k")
    assert m.calls == 2


def test_build_text_bank_matches_method_functions(tiny, tmp_path):
    from generator.method import text

    model, tok = tiny
    loaded = SimpleNamespace(model=model, tokenizer=tok, spec=SimpleNamespace(id="tiny-vit"), weights="random")
    classes, templates = ["cat", "sea lion"], ["a photo of a {}.", "art of the {}."]
    descs = [f"descriptor {i}" for i in range(6)]
    cfg = MethodConfig(language_topk=3)
    bank = textbank.build_text_bank(loaded, classes, templates, descs, cfg, cache_dir=tmp_path)
    torch.testing.assert_close(bank.class_embeds, text.class_embeddings(model, tok, classes, templates))
    torch.testing.assert_close(bank.desc_prompted, text.descriptor_embeddings(model, tok, descs))
    torch.testing.assert_close(bank.desc_raw, text.descriptor_embeddings(model, tok, descs, prompt="{}"))
    assert bank.language.shape == (2, 3) and len(list(tmp_path.glob("text-*.pt"))) == 3
