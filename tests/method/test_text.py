"""Text side: encode, template ensemble, descriptor prompt, short-sequence encoding (spec §2.1; issue 11).
The on-disk cache moved to the runner: tests/runner/test_textbank.py."""
from __future__ import annotations

import json

import open_clip
import pytest
import torch
import torch.nn.functional as F

from generator.errors import UserError
from generator.method import text
from tests.fixtures.tiny import Counting, tiny_model, tiny_vit_with_tokenizer


@pytest.fixture(scope="module")
def tiny():
    return tiny_vit_with_tokenizer()


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


def test_empty_texts_rejected(tiny):
    model, tok = tiny
    with pytest.raises(ValueError, match="no texts"):
        text.encode_texts(model, tok, [])


# ---------------------------------------------------------------------------------- short sequences (issue 11)

TEXTS = ["a photo showing long ears", "whiskers", "a photo of the small sea lion with a very long and curved "
         "tail that ends in a flat fin", "red fins", "a", "stripes on the back and the belly", "x " * 40]
TOL = text.TOLERANCE


def _tower(tmp_path, name, **text_cfg):
    cfg = {"embed_dim": 32, "custom_text": True,
           "vision_cfg": {"image_size": 64, "layers": 1, "width": 32, "head_width": 16, "patch_size": 16},
           "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2, **text_cfg}}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(cfg))
    open_clip.add_model_config(path)
    return open_clip.create_model(name, pretrained=None).eval()


@pytest.mark.parametrize("kind", ["vit", "modified_resnet"])
def test_short_equals_full_context_openai_style(kind):
    model, _ = tiny_model(kind)
    tok = open_clip.get_tokenizer(f"tiny-{'vit' if kind == 'vit' else 'rn'}")
    assert text.truncation_kind(model) == "clip-causal"
    short = text.encode_texts(model, tok, TEXTS, batch_size=3)
    full = text.encode_texts(model, tok, TEXTS, batch_size=3, short=False)
    assert (short - full).abs().max() <= TOL
    torch.testing.assert_close(full, _ref(model, tok, TEXTS))   # full context is model.encode_text itself


def test_short_runs_fewer_positions_in_length_sorted_batches(tiny, monkeypatch):
    model, tok = tiny
    seen = []
    fwd = text.SHORT_TOWERS["clip-causal"][2]
    monkeypatch.setitem(text.SHORT_TOWERS, "clip-causal", (*text.SHORT_TOWERS["clip-causal"][:2],
                                                          lambda m, t: seen.append(tuple(t.shape)) or fwd(m, t)))
    monkeypatch.setattr(model, "_mkbench_short_text_ok", True, raising=False)
    texts = ["a b c d e f g h"] + ["a"] * 4 + ["a b c d e f g h"]
    emb = text.encode_texts(model, tok, texts, batch_size=2)
    assert seen == [(2, 10), (2, 3), (2, 3)]   # the two long texts batched together; SOT + tokens + EOT
    assert (emb - _ref(model, tok, texts)).abs().max() <= TOL   # and back in input order


def test_short_equals_full_custom_causal_text_transformer(tmp_path):
    model = _tower(tmp_path, "tiny-custom-causal")
    tok = open_clip.get_tokenizer("tiny-vit")
    assert text.truncation_kind(model) == "custom-causal"
    short = text.encode_texts(model, tok, TEXTS, batch_size=4)
    assert (short - _ref(model, tok, TEXTS)).abs().max() <= TOL


def test_non_causal_tower_falls_back_to_full_context(tmp_path):
    # SigLIP-style: bidirectional, pooled at the last position; truncation would change the embedding
    model = _tower(tmp_path, "tiny-noncausal", no_causal_mask=True, pool_type="last")
    tok = open_clip.get_tokenizer("tiny-vit")
    assert text.truncation_kind(model) is None
    got = text.encode_texts(model, tok, TEXTS, batch_size=4)
    torch.testing.assert_close(got, _ref(model, tok, TEXTS))
    with torch.no_grad():   # why the fallback is needed: the same tower run on the real tokens only differs
        cut = tok(TEXTS[:1])[:, :8]
        assert (F.normalize(model.encode_text(cut), dim=-1) - _ref(model, tok, TEXTS[:1])).abs().max() > 1e-3


def test_cls_token_tower_falls_back(tmp_path):
    model = _tower(tmp_path, "tiny-cls", embed_cls=True)
    assert text.truncation_kind(model) is None


def test_failed_self_check_falls_back(tmp_path, monkeypatch):
    model = _tower(tmp_path, "tiny-custom-check")
    tok = open_clip.get_tokenizer("tiny-vit")
    applies, pool, fwd = text.SHORT_TOWERS["custom-causal"]
    monkeypatch.setitem(text.SHORT_TOWERS, "custom-causal", (applies, pool, lambda m, t: fwd(m, t) + 1.0))
    got = text.encode_texts(model, tok, TEXTS)
    assert model._mkbench_short_text_ok is False
    torch.testing.assert_close(got, _ref(model, tok, TEXTS))


def test_wrapper_without_internals_uses_full_context(tiny):
    model, tok = tiny
    m = Counting(model)
    assert text.truncation_kind(m) is None
    torch.testing.assert_close(text.encode_texts(m, tok, TEXTS), _ref(model, tok, TEXTS))


def test_progress_counts_every_text(tiny):
    model, tok = tiny
    done = []
    text.encode_texts(model, tok, TEXTS, batch_size=3, progress=done.append)
    assert done == [3, 3, 1]


class _FakeHFTransformer(torch.nn.Module):
    """A tiny bidirectional stand-in for a Hugging Face encoder (every position mixes with every other, pads
    included, as a tower without a causal mask may): ``forward(input_ids, attention_mask)`` -> last_hidden_state."""

    def __init__(self, vocab: int = 49408, width: int = 16, context: int = 32):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.emb = torch.nn.Parameter(torch.randn(vocab, width, generator=g) * 0.1)
        self.pos = torch.nn.Parameter(torch.randn(context, width, generator=g) * 0.1)
        self.seen: list[tuple] = []

    def forward(self, input_ids, attention_mask):
        from types import SimpleNamespace

        self.seen.append(tuple(input_ids.shape))
        x = self.emb[input_ids] + self.pos[:input_ids.shape[1]]
        return SimpleNamespace(last_hidden_state=x + x.mean(dim=1, keepdim=True))


def _fake_hf_model(tmp_path):
    """A CustomTextCLIP whose text tower is open_clip's HFTextEncoder (built without ``transformers``) around
    :class:`_FakeHFTransformer`, mean pooling and a linear projection."""
    from types import SimpleNamespace

    from open_clip.hf_model import HFTextEncoder, MeanPooler

    model = _tower(tmp_path, "tiny-hf-text")
    enc = HFTextEncoder.__new__(HFTextEncoder)
    torch.nn.Module.__init__(enc)
    enc.output_tokens, enc.output_dim = False, 32
    enc.config = SimpleNamespace(pad_token_id=0)
    enc.transformer, enc.pooler = _FakeHFTransformer(), MeanPooler()
    enc.proj = torch.nn.Linear(16, 32, bias=False)
    model.text = enc
    return model.eval()


def test_hugging_face_text_tower_uses_the_full_context(tmp_path):
    """Issue 11: towers where the short context is not known to hold (Hugging Face) fall back to full context."""
    model = _fake_hf_model(tmp_path)
    tok = open_clip.get_tokenizer("tiny-vit")
    assert text.truncation_kind(model) is None
    model.text.transformer.seen.clear()
    got = text.encode_texts(model, tok, TEXTS, batch_size=4)
    assert model.text.transformer.seen == [(4, 32), (3, 32)]          # every batch at the full 32-token context
    torch.testing.assert_close(got, _ref(model, tok, TEXTS))
    with torch.no_grad():   # why: this tower run on the real tokens only gives another embedding
        cut = tok(TEXTS[:1])[:, :8]
        assert (F.normalize(model.encode_text(cut), dim=-1) - _ref(model, tok, TEXTS[:1])).abs().max() > 1e-3


def test_real_hugging_face_text_tower_uses_the_full_context(tmp_path):
    """The same with a real (tiny, randomly initialised) transformers BERT tower, where transformers is installed."""
    transformers = pytest.importorskip("transformers")
    from open_clip.hf_model import HFTextEncoder

    model = _tower(tmp_path, "tiny-hf-bert")
    cfg = transformers.BertConfig(vocab_size=49408, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                  intermediate_size=32, max_position_embeddings=32, pad_token_id=0)
    model.text = HFTextEncoder("bert", output_dim=32, config=cfg, pooler_type="mean_pooler", proj_type="linear")
    model.eval()
    tok = open_clip.get_tokenizer("tiny-vit")
    assert text.truncation_kind(model) is None
    torch.testing.assert_close(text.encode_texts(model, tok, TEXTS, batch_size=4), _ref(model, tok, TEXTS))
