"""Language side: top-u descriptors of the predicted class (spec §2.4). CONTRACT STUB."""
from __future__ import annotations

import torch


def language_concepts(class_embeds: torch.Tensor, desc_prompted: torch.Tensor, u: int = 50) -> torch.Tensor:
    """(n_classes, u) descriptor ids per class, most similar first (W_cls @ W_desc^T, top-u)."""
    raise NotImplementedError
