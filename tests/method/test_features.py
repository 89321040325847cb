"""Patch features per tower kind, one forward pass, facets (spec §2.2.1, §2.2.5)."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from fixtures.tiny import tiny_model
from generator.errors import UserError
from generator.method.features import encode_image_embeds, encode_images, tower_kind

# kind -> expected (h, w, C) of the patch grid at the fixture's image size
GRIDS = {"vit": (8, 8, 32), "modified_resnet": (2, 2, 256), "timm_convnext": (4, 4, 320)}


@pytest.fixture(scope="module", params=sorted(GRIDS))
def tower(request):
    torch.manual_seed(0)
    model, size = tiny_model(request.param)
    return request.param, model, size


def _count_visual_calls(model):
    calls = []
    handle = model.visual.register_forward_hook(lambda *a: calls.append(1))
    return calls, handle


def test_tower_kind(tower):
    kind, model, _ = tower
    assert tower_kind(model) == kind


def test_unknown_tower_is_a_clear_error():
    class Odd(torch.nn.Module):
        pass

    class Fake(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.visual = Odd()

    with pytest.raises(ValueError, match=r"Odd.*vit, modified_resnet, timm_convnext"):
        tower_kind(Fake())
    with pytest.raises(UserError):
        tower_kind(Fake())


def test_shapes_embedding_and_single_forward(tower):
    kind, model, size = tower
    images = torch.randn(3, 3, size, size)
    calls, handle = _count_visual_calls(model)
    try:
        out = encode_images(model, images)
    finally:
        handle.remove()
    assert len(calls) == 1
    assert out.patches.shape == (3, *GRIDS[kind]) and out.patches.dtype == torch.float32
    with torch.no_grad():
        ref = F.normalize(model.encode_image(images), dim=-1)
    assert out.embeds.shape == (3, 32) and out.embeds.dtype == torch.float32
    torch.testing.assert_close(out.embeds, ref, atol=1e-5, rtol=1e-5)
    # per-image features: image 1 alone gives the same patches as inside the batch
    single = encode_images(model, images[1:2]).patches
    torch.testing.assert_close(single[0], out.patches[1], atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("kind", ["modified_resnet", "timm_convnext"])
def test_cnn_patches_are_the_last_stage_map(kind):
    model, size = tiny_model(kind)
    images = torch.randn(2, 3, size, size)
    visual = model.visual
    with torch.no_grad():
        if kind == "modified_resnet":
            x = visual.stem(images)
            for layer in (visual.layer1, visual.layer2, visual.layer3, visual.layer4):
                x = layer(x)
        else:
            x = visual.trunk.stages(visual.trunk.stem(images))
    torch.testing.assert_close(encode_images(model, images).patches, x.permute(0, 2, 3, 1))


def test_vit_tokens_before_ln_post_without_cls():
    model, size = tiny_model("vit")
    visual = model.visual
    images = torch.randn(2, 3, size, size)
    with torch.no_grad():
        x = visual.transformer(visual._embeds(images))          # (B, 1 + 64, C), batch-first
    expected = x[:, 1:].reshape(2, 8, 8, -1)
    torch.testing.assert_close(encode_images(model, images, "tokens").patches, expected)
    # row-major grid order after dropping CLS: patch (r, c) = token 1 + r*8 + c
    assert torch.equal(expected[1, 2, 3], x[1, 1 + 2 * 8 + 3])


def test_vit_keys_without_bias():
    model, size = tiny_model("vit")
    visual = model.visual
    attn = visual.transformer.resblocks[-1].attn
    with torch.no_grad():
        attn.in_proj_bias.normal_()          # a non-zero bias that must NOT appear in the keys
    images = torch.randn(2, 3, size, size)
    with torch.no_grad():
        x = visual._embeds(images)
        for block in visual.transformer.resblocks[:-1]:
            x = block(x)
        h = visual.transformer.resblocks[-1].ln_1(x)
        c = h.shape[-1]
        k = h @ attn.in_proj_weight[c:2 * c].T
    keys = encode_images(model, images, "keys").patches
    assert keys.shape == (2, 8, 8, 32)
    torch.testing.assert_close(keys, k[:, 1:].reshape(2, 8, 8, c))


def test_vit_sequence_first_layout():
    """Older open_clip ran the transformer sequence-first (L, B, C); the grid must come out the same."""
    model, size = tiny_model("vit")
    images = torch.randn(2, 3, size, size)
    expected = encode_images(model, images).patches
    handle = model.visual.transformer.register_forward_hook(lambda m, a, out: out.transpose(0, 1))
    try:
        got = encode_images(model, images).patches
    finally:
        handle.remove()
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("kind", ["modified_resnet", "timm_convnext"])
def test_keys_on_cnn_is_a_clear_error(kind):
    model, size = tiny_model(kind)
    with pytest.raises(ValueError, match=rf"facet 'keys'.*{kind}.*tokens"):
        encode_images(model, torch.randn(1, 3, size, size), "keys")


def test_encode_image_embeds_batches():
    model, size = tiny_model("vit")
    images = torch.randn(5, 3, size, size)
    calls, handle = _count_visual_calls(model)
    try:
        got = encode_image_embeds(model, images, batch_size=2)
    finally:
        handle.remove()
    assert len(calls) == 3
    with torch.no_grad():
        ref = F.normalize(model.encode_image(images), dim=-1)
    torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-5)
    assert torch.allclose(got.norm(dim=-1), torch.ones(5))
    assert encode_image_embeds(model, images[:0]).shape == (0, 32)


def test_timm_tower_with_other_trunk_is_unsupported():
    model, _ = tiny_model("timm_convnext")
    model.visual.trunk = torch.nn.Identity()
    with pytest.raises(ValueError, match=r"TimmModel \(trunk Identity\) is not supported"):
        tower_kind(model)


@pytest.mark.slow
@pytest.mark.parametrize("name, grid", [("ViT-B-16", (14, 14, 768)), ("RN50", (7, 7, 2048)),
                                        ("convnext_base", (7, 7, 1024))])
def test_real_size_architectures(name, grid):
    """Spec §2.2.5 grids at 224 px with random weights: 14x14 tokens, 7x7 layer4, 7x7 last ConvNeXt stage."""
    import open_clip
    model = open_clip.create_model(name, pretrained=None).eval()
    out = encode_images(model, torch.randn(1, 3, 224, 224))
    assert tuple(out.patches.shape) == (1, *grid)
