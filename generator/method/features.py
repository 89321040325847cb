"""Patch features of the vision tower (spec §2.2.1 [P §3.1, App. A.1]; CNN choice: spec §2.2.5 [GAP]).

CONTRACT STUB - to be implemented.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class EncodedImages:
    embeds: torch.Tensor   # (B, D) L2-normalised image embeddings (the model's encode_image output, normalised)
    patches: torch.Tensor  # (B, h, w, C) float32 patch features of the chosen facet (CNN: last stage map)


def tower_kind(model) -> str:
    """'vit' | 'modified_resnet' | 'timm_convnext' (raises ValueError naming the class otherwise)."""
    raise NotImplementedError


def encode_images(model, images: torch.Tensor, facet: str = "tokens") -> EncodedImages:
    """ONE forward pass of ``model.visual`` (hooks) giving both the embedding and the patch features."""
    raise NotImplementedError


def encode_image_embeds(model, images: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """(B, D) L2-normalised embeddings only (used for prompt images), in batches of ``batch_size``."""
    raise NotImplementedError
