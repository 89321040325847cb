"""Explain one class batch by composing the steps (spec §2.2-2.6). CONTRACT STUB (owned by the runner helper)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch


@dataclass
class TextBank:
    classnames: list[str]
    descriptors: list[str]          # de-duplicated pool, index = descriptor id
    class_embeds: torch.Tensor      # (n_classes, D) template ensemble
    desc_prompted: torch.Tensor     # (N, D) "a photo showing {d}"
    desc_raw: torch.Tensor          # (N, D) raw descriptor text
    language: torch.Tensor          # (n_classes, u) top-u descriptor ids per class


@dataclass
class MethodExplanation:
    vision: list[int]               # D_v ids by importance
    scores: list[float]
    part_of: list[int]
    per_part: dict[int, list[int]]
    language: list[int]             # D_y ids
    mutual: list[int]
    mi: float
    curve: list[float]
    part_map: np.ndarray            # int (S,S), -1 background


@dataclass
class ImageExplanation:
    prediction: int
    foreground: np.ndarray          # bool (h,w) patch mask
    methods: dict[str, MethodExplanation] = field(default_factory=dict)


def explain_batch(model, images: torch.Tensor, raw: np.ndarray, bank: TextBank, cfg, seed: int,
                  normalize) -> list[ImageExplanation]:
    raise NotImplementedError
