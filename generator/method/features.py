"""Patch features of the vision tower (spec §2.2.1 [P §3.1, App. A.1; C ``Extractor``]; CNN choice: spec §2.2.5).

One forward pass of ``model.encode_image`` gives both the image embedding and, through a forward hook, the
patch features f in R^{h x w x C} that the foreground (§2.2.2) and the parts (§2.2.4) are computed from.

Facets per tower kind (the tower kind is looked up by the class of ``model.visual``, see :data:`TOWER_KINDS`):

* ``vit`` (open_clip ``VisionTransformer``):
    - ``"tokens"`` (default, official ``last_layer``): output of ``visual.transformer`` (all resblocks), i.e.
      **before** ``ln_post`` and ``proj``; the prefix tokens (CLS) are dropped and the rest reshaped to the grid.
    - ``"keys"``: the input of the last resblock's attention (after ``ln_1``) times ``in_proj_weight``ᵀ
      **without** ``in_proj_bias``, k part only (official code; spec §5.4.7).
    Both are robust to open_clip's batch-first and sequence-first layouts.
* ``modified_resnet`` (open_clip ``ModifiedResNet``) and ``timm_convnext`` (open_clip ``TimmModel`` whose trunk is a
  timm ``ConvNeXt``): the paper and the official code are ViT-only [GAP]. We take **the last spatial feature map**
  [INF, spec §2.2.5]: RN ``layer4`` output (before ``attnpool``), ConvNeXt last stage output (before the head's
  pooling/norm/projection). These maps play the role of the token grid; only facet ``"tokens"`` exists for them.

Outputs are float32; they stay on the images' device.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from generator.registry.towers import TOWER_KINDS, UnsupportedTower, tower_kind  # noqa: F401 (re-exported)


@dataclass
class EncodedImages:
    embeds: torch.Tensor   # (B, D) L2-normalised image embeddings (the model's encode_image output, normalised)
    patches: torch.Tensor  # (B, h, w, C) float32 patch features of the chosen facet (CNN: last stage map)


# ----------------------------------------------------------------------------------------------------------------
# Extractors: kind -> fn(visual, facet, images) -> (module, hook kind, transform(captured) -> (B, h, w, C)).

@dataclass
class _Tap:
    module: torch.nn.Module
    pre: bool                                   # forward pre-hook (capture the first input) or forward hook (output)
    transform: Callable[[torch.Tensor], torch.Tensor]


EXTRACTORS: dict[str, Callable[..., _Tap]] = {}
FACETS: dict[str, tuple] = {}


def extractor(kind: str, facets: tuple):
    def deco(fn):
        EXTRACTORS[kind] = fn
        FACETS[kind] = facets
        return fn
    return deco


def _to_batch_first(x: torch.Tensor, batch: int, n_patches: int, hint: bool) -> torch.Tensor:
    """(B, L, C) from either (B, L, C) or (L, B, C); ``hint`` decides when the shape alone cannot."""
    nld = x.shape[0] == batch and x.shape[1] >= n_patches
    lnd = x.shape[1] == batch and x.shape[0] >= n_patches
    if nld == lnd:
        nld = hint
    return x if nld else x.transpose(0, 1)


def _vit_grid(visual, images: torch.Tensor) -> tuple[int, int]:
    ph, pw = visual.conv1.kernel_size
    return images.shape[-2] // ph, images.shape[-1] // pw


def _tokens_to_grid(x: torch.Tensor, batch: int, gh: int, gw: int, hint: bool) -> torch.Tensor:
    x = _to_batch_first(x, batch, gh * gw, hint)
    n_prefix = x.shape[1] - gh * gw
    if n_prefix < 0:
        raise RuntimeError(f"ViT gave {x.shape[1]} tokens, fewer than its {gh}x{gw} patch grid")
    return x[:, n_prefix:].reshape(batch, gh, gw, x.shape[-1])


@extractor("vit", facets=("tokens", "keys"))
def _vit(visual, facet: str, images: torch.Tensor) -> _Tap:
    batch, (gh, gw) = images.shape[0], _vit_grid(visual, images)
    transformer = visual.transformer
    if facet == "tokens":
        # current open_clip Transformers return batch-first whatever they run internally; old ones returned LND.
        hint = hasattr(transformer, "batch_first")
        return _Tap(transformer, False, lambda out: _tokens_to_grid(out, batch, gh, gw, hint))
    attn = transformer.resblocks[-1].attn
    width = attn.in_proj_weight.shape[1]
    w_k = attn.in_proj_weight[width:2 * width]      # rows of k in the packed (q, k, v) projection; bias left out

    def keys(x):
        return _tokens_to_grid(x @ w_k.T, batch, gh, gw, getattr(transformer, "batch_first", False))
    return _Tap(attn, True, keys)


def _nchw_to_grid(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 2, 3, 1)


@extractor("modified_resnet", facets=("tokens",))
def _modified_resnet(visual, facet: str, images: torch.Tensor) -> _Tap:
    return _Tap(visual.layer4, False, _nchw_to_grid)


@extractor("timm_convnext", facets=("tokens",))
def _timm_convnext(visual, facet: str, images: torch.Tensor) -> _Tap:
    return _Tap(visual.trunk.stages[-1], False, _nchw_to_grid)


# ----------------------------------------------------------------------------------------------------------------

def _input_like(model, images: torch.Tensor) -> torch.Tensor:
    param = next(model.visual.parameters())
    return images.to(device=param.device, dtype=param.dtype)


def encode_images(model, images: torch.Tensor, facet: str = "tokens") -> EncodedImages:
    """ONE forward pass of ``model.encode_image`` (hooks) giving both the embedding and the patch features."""
    kind = tower_kind(model)
    if facet not in FACETS[kind]:
        raise UnsupportedTower(f"facet {facet!r} is not available for a {kind} tower; available: "
                               f"{', '.join(FACETS[kind])} (set the method's 'facet' to one of these)")
    images = _input_like(model, images)
    tap = EXTRACTORS[kind](model.visual, facet, images)
    captured: list[torch.Tensor] = []
    if tap.pre:
        handle = tap.module.register_forward_pre_hook(lambda m, args: captured.append(tap.transform(args[0])))
    else:
        handle = tap.module.register_forward_hook(lambda m, args, out: captured.append(tap.transform(out)))
    try:
        with torch.inference_mode():
            embeds = model.encode_image(images)
    finally:
        handle.remove()
    if len(captured) != 1:
        raise RuntimeError(f"expected the {kind} feature hook to fire once, it fired {len(captured)} times")
    return EncodedImages(embeds=F.normalize(embeds.float(), dim=-1), patches=captured[0].float().contiguous())


def encode_image_embeds(model, images: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """(B, D) L2-normalised float32 embeddings only (used for prompt images), in batches of ``batch_size``."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if images.shape[0] == 0:   # towers cannot run an empty batch: learn D from one blank image
        return encode_image_embeds(model, images.new_zeros((1, *images.shape[1:])))[:0]
    out = []
    with torch.inference_mode():
        for start in range(0, images.shape[0], batch_size):
            chunk = _input_like(model, images[start:start + batch_size])
            out.append(F.normalize(model.encode_image(chunk).float(), dim=-1))
    return torch.cat(out)
