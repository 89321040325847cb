"""The region-text training term (generator.demo.train.region_targets / region_embeddings)."""
from pathlib import Path

import numpy as np
import torch

from generator.demo.train import MIN_PROMPT_PIXELS, TrainSpec, build_pool, load_model, region_embeddings, \
    region_targets, train
from generator.demo.world import CLASS_BY_NAME, CLASS_NAMES, PART_INDEX

CONFIG = str(Path(__file__).resolve().parents[2] / "data" / "demo" / "configs" / "demo-vit-s.json")


def test_region_targets_weight_the_chosen_part_by_its_patch_cover():
    pool = build_pool(24, 0)
    grid = 8
    w, texts, rows = region_targets(pool, range(24), np.random.default_rng(0), grid)
    assert len(rows) == len(texts) == w.shape[0] > 20 and w.shape[1] == grid * grid
    for row, weights, text in zip(rows, w, texts):
        m = pool.masks[row]
        cls = CLASS_NAMES[int(pool.labels[row])]
        # the weights are one part's pixel shares: summed, they give that part's pixel count
        candidates = [p for p in pool.parts[row] if int((m == PART_INDEX[p]).sum()) >= MIN_PROMPT_PIXELS]
        matched = [p for p in candidates
                   if np.isclose(float(weights.sum()) * 64, int((m == PART_INDEX[p]).sum()))
                   and np.allclose(weights.numpy(), (m == PART_INDEX[p]).reshape(8, 8, 8, 8).mean(axis=(1, 3)).ravel())]
        assert matched, (row, cls)
        part = matched[0]
        kind = CLASS_BY_NAME[cls].part(part).kind
        colour = pool.colours[row].get(part)
        pat, second = pool.patterns[row].get(part, (None, None))
        assert text in set(kind.phrases(colour, pat, second)) | set(kind.plain), (text, part)
        assert cls not in text


def test_region_targets_without_masks_are_empty():
    pool = build_pool(4, 0)
    pool.masks = None
    w, texts, rows = region_targets(pool, range(4), np.random.default_rng(0), 8)
    assert w.shape == (0, 64) and texts == [] and rows == []


def test_region_embeddings_follow_the_pooled_path():
    model, _ = load_model(CONFIG)
    visual = model.visual
    g = visual.grid_size[0]
    tokens = torch.randn(3, 1 + g * g, visual.ln_post.normalized_shape[0])
    one_hot = torch.zeros(3, g * g)
    one_hot[torch.arange(3), torch.tensor([0, 5, 63])] = 1.0
    got = region_embeddings(visual, tokens, one_hot)
    want = visual.ln_post(tokens[torch.arange(3), 1 + torch.tensor([0, 5, 63])]) @ visual.proj
    assert torch.allclose(got, want / want.norm(dim=-1, keepdim=True), atol=1e-6)
    half = torch.zeros(1, g * g)
    half[0, [1, 2]] = 0.5
    mean = visual.ln_post(tokens[:1, [2, 3]]).mean(1) @ visual.proj
    assert torch.allclose(region_embeddings(visual, tokens[:1], half), mean / mean.norm(dim=-1, keepdim=True),
                          atol=1e-6)


def test_region_weight_changes_training_and_zero_keeps_it():
    pool = build_pool(96, 0)
    spec = TrainSpec(config=CONFIG, n_images=96, steps=3, batch_size=32, eval_images=24)
    base, rec0 = train(spec, pool=pool, log=lambda m: None)
    same, _ = train(TrainSpec(**{**spec.__dict__, "region_weight": 0.0}), pool=pool, log=lambda m: None)
    region, rec1 = train(TrainSpec(**{**spec.__dict__, "region_weight": 1.0}), pool=pool, log=lambda m: None)
    sb, ss, sr = base.state_dict(), same.state_dict(), region.state_dict()
    assert all(torch.equal(sb[k], ss[k]) for k in sb)
    assert not all(torch.equal(sb[k], sr[k]) for k in sb)
    assert rec1["losses"][0] > rec0["losses"][0]           # the region term adds a positive loss
    assert rec1["spec"]["region_weight"] == 1.0


def test_region_weight_on_a_tower_without_patch_tokens_is_a_clear_error():
    import pytest

    from tests.fixtures.tiny import tiny_config_path

    spec = TrainSpec(config=str(tiny_config_path("modified_resnet")), n_images=8, steps=1, batch_size=4,
                     region_weight=1.0)
    with pytest.raises(ValueError, match="region_weight needs a ViT vision tower"):
        train(spec, pool=build_pool(8, 0), log=lambda m: None)
