"""explain_batch: composition of the steps on a class batch, batched prompt encoding, invariants."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from generator.method import explain as E
from generator.method import features, grounding
from generator.method.config import MethodConfig
from generator.registry.datasets import Preprocess
from tests.fixtures.images import make_image_folder
from tests.fixtures.tiny import tiny_model

U = 12


def _bank(model, n_classes=3, n_desc=40, seed=0) -> E.TextBank:
    g = torch.Generator().manual_seed(seed)
    dim = model.text_projection.shape[1] if hasattr(model, "text_projection") else 32
    norm = lambda *s: F.normalize(torch.randn(*s, generator=g), dim=-1)  # noqa: E731
    class_embeds, desc_prompted, desc_raw = norm(n_classes, dim), norm(n_desc, dim), norm(n_desc, dim)
    language = (class_embeds @ desc_prompted.T).topk(U, dim=1).indices
    return E.TextBank([f"c{i}" for i in range(n_classes)], [f"d{i}" for i in range(n_desc)], class_embeds,
                      desc_prompted, desc_raw, language)


@pytest.fixture(scope="module")
def vit_batch(tmp_path_factory):
    torch.manual_seed(0)
    model, size = tiny_model("vit")
    root = make_image_folder(tmp_path_factory.mktemp("imgs"), per_class=4, size=size)
    pre = Preprocess(size)
    images, raw = pre.load_batch(sorted((root / "red_circle").iterdir()))
    return model, pre, images, raw


class _Counter:
    """Counts model.encode_image calls and the images they encode."""

    def __init__(self, model, monkeypatch):
        self.calls, self.images = 0, 0
        original = model.encode_image

        def counted(x, *a, **k):
            self.calls += 1
            self.images += x.shape[0]
            return original(x, *a, **k)
        monkeypatch.setattr(model, "encode_image", counted)


def test_invariants_and_language_side(vit_batch):
    model, pre, images, raw = vit_batch
    bank = _bank(model)
    cfg = MethodConfig(language_topk=U)
    out = E.explain_batch(model, images, raw, bank, cfg, seed=0, normalize=pre.normalize)
    assert len(out) == len(raw)
    logits = features.encode_images(model, images).embeds @ bank.class_embeds.T
    assert [o.prediction for o in out] == logits.argmax(1).tolist()
    for o in out:
        assert o.foreground.dtype == bool and o.foreground.shape == (8, 8)
        assert set(o.methods) == {"pca", "kmeans"}
        for m in o.methods.values():
            assert m.part_map.shape == (64, 64) and m.part_map.min() >= -1 and m.part_map.max() < cfg.n_parts
            assert m.language == bank.language[o.prediction].tolist()
            assert len(m.vision) == len(set(m.vision)) <= cfg.topk_per_part * cfg.n_parts
            assert len(m.scores) == len(m.part_of) == len(m.vision)
            assert m.scores == sorted(m.scores, reverse=True)
            assert set(m.part_of) <= set(np.unique(m.part_map[m.part_map >= 0]).tolist())
            assert m.mutual == [d for d in m.vision if d in set(m.language)]
            assert len(m.curve) == len(m.vision) + 1 and m.curve[-1] == 0.0 and m.curve[0] == m.mi
            expect = math.log(len(m.vision) * U * len(m.mutual)) if m.mutual else 0.0
            assert m.mi == pytest.approx(expect, abs=1e-6)
    assert any(o.methods["pca"].vision for o in out)


def test_prompts_are_encoded_in_few_batched_passes(vit_batch, monkeypatch):
    model, pre, images, raw = vit_batch
    bank = _bank(model)
    cfg = MethodConfig(language_topk=U)
    counter = _Counter(model, monkeypatch)
    out = E.explain_batch(model, images, raw, bank, cfg, seed=0, normalize=pre.normalize, batch_size=1000)
    n_parts = sum(len(np.unique(m.part_map[m.part_map >= 0])) for o in out for m in o.methods.values())
    # cost floor: B images once + 3 prompts per part per method, in 1 + one pass per method
    assert counter.images == len(raw) + 3 * n_parts
    assert counter.calls == 1 + len(cfg.methods)
    counter.calls = counter.images = 0
    E.explain_batch(model, images, raw, bank, cfg, seed=0, normalize=pre.normalize, batch_size=7)
    per_method = [sum(len(np.unique(o.methods[k].part_map[o.methods[k].part_map >= 0])) for o in out)
                  for k in cfg.methods]
    assert counter.calls == 1 + sum(math.ceil(3 * n / 7) for n in per_method)


def test_part_embedding_is_mean_of_prompt_embeddings_without_renormalisation(vit_batch, monkeypatch):
    from generator.method.prompts import part_prompts

    model, pre, images, raw = vit_batch
    bank = _bank(model)
    cfg = MethodConfig(language_topk=U, methods=("pca",))
    seen = []
    real_ground = grounding.ground
    monkeypatch.setattr(grounding, "ground", lambda pe, ids, *a, **k: seen.append((pe, ids)) or real_ground(pe, ids, *a, **k))
    out = E.explain_batch(model, images, raw, bank, cfg, seed=0, normalize=pre.normalize)
    first = next(i for i, o in enumerate(out) if o.methods["pca"].vision)
    part_embeds, ids = seen[first]
    ids2, prompts = part_prompts(raw[first], out[first].methods["pca"].part_map)
    assert list(ids) == list(ids2)
    emb = features.encode_image_embeds(model, pre.normalize(prompts.reshape(-1, 64, 64, 3)))
    expect = emb.view(len(ids2), 3, -1).mean(1)
    assert torch.allclose(part_embeds, expect, atol=1e-5)
    assert not torch.allclose(part_embeds.norm(dim=-1), torch.ones(len(ids2)))  # not renormalised


def test_no_foreground_gives_empty_explanation(vit_batch, monkeypatch):
    from generator.method import foreground

    model, pre, images, raw = vit_batch
    monkeypatch.setattr(foreground, "foreground_masks", lambda p, *a, **k: np.zeros(p.shape[:3], bool))
    out = E.explain_batch(model, images, raw, _bank(model), MethodConfig(language_topk=U), seed=0,
                          normalize=pre.normalize)
    for o in out:
        for m in o.methods.values():
            assert m.vision == [] and m.mutual == [] and m.mi == 0.0 and m.curve == [0.0]
            assert (m.part_map == -1).all() and len(m.language) == U


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ViT-B-32", "RN50", "convnext_base"])
def test_real_architectures_random_weights(name, tmp_path):
    """The real towers (random weights) give 7x7 feature grids at 224 and explain two images."""
    from generator.registry.models import load_model, resolve_model

    loaded = load_model(resolve_model(name, "none"), seed=0)
    assert loaded.image_size == 224
    root = make_image_folder(tmp_path, classes=(("circle", "red"),), per_class=2, size=224)
    pre = Preprocess(224)
    images, raw = pre.load_batch(sorted((root / "red_circle").iterdir()))
    enc = features.encode_images(loaded.model, images)
    assert tuple(enc.patches.shape[:3]) == (2, 7, 7)
    out = E.explain_batch(loaded.model, images, raw, _bank(loaded.model, n_desc=60), MethodConfig(
        language_topk=U, methods=("pca",)), seed=0, normalize=pre.normalize)
    for o in out:
        m = o.methods["pca"]
        assert m.part_map.shape == (224, 224) and len(m.curve) == len(m.vision) + 1


def test_balanced_pass_sizes():
    assert E.balanced_passes(219, 50) == [44, 44, 44, 44, 43] and E.balanced_passes(200, 50) == [50] * 4
    assert E.balanced_passes(7, 64) == [7] and E.balanced_passes(0, 64) == [] and E.balanced_passes(3, 1) == [1] * 3
    for n in range(0, 130):
        for bs in (1, 7, 32, 50, 64):
            sizes = E.balanced_passes(n, bs)
            assert sum(sizes) == n and len(sizes) == math.ceil(n / bs)    # never more passes than before
            assert all(s <= bs for s in sizes) and (not sizes or max(sizes) - min(sizes) <= 1)


@pytest.mark.parametrize("kind", ["vit", "modified_resnet"])
def test_prompt_passes_are_balanced_and_composition_free(kind, monkeypatch):
    """10 prompts at batch 4: passes of 4, 3, 3 (not 4, 4, 2), and each embedding equals the one of a single pass
    over all prompts (to float tolerance; bitwise equal on this machine, as for ViT-B-32 and RN50)."""
    torch.manual_seed(0)
    model, size = tiny_model(kind)
    pre = Preprocess(size)
    prompts = np.random.default_rng(0).integers(0, 256, (10, size, size, 3), dtype=np.uint8)
    one = E._encode_prompts(model, prompts, pre.normalize, "cpu", batch_size=64)
    sizes, real = [], model.encode_image
    monkeypatch.setattr(model, "encode_image", lambda x, *a, **k: sizes.append(x.shape[0]) or real(x, *a, **k))
    got = E._encode_prompts(model, prompts, pre.normalize, "cpu", batch_size=4)
    assert sizes == [4, 3, 3]
    torch.testing.assert_close(got, one, atol=1e-6, rtol=0)
