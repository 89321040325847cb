"""Language side: top-u descriptors of the predicted class (spec §2.4; official ``circle_analysis`` /
``get_deletion_score``).

weight_dissection = W_cls @ W_descᵀ (n_classes × N) is the text-text similarity between each class's
template-ensemble embedding and each "a photo showing {d}" descriptor embedding; D_ŷ is the top-u row of
the predicted class ŷ (u = 50 for MI/AUC, 15 for the Venn diagram). This module returns the top-u of
*every* class once, so the per-image cost is an index lookup.

Choices: ties go to the lower descriptor id (stable sort; the official ``topk`` leaves them unspecified);
a pool with fewer than u descriptors gives all N of them (the official ``topk`` would raise) — the MI
then uses L_T = N, as its definition requires.
"""
from __future__ import annotations

import torch


def weight_dissection(class_embeds: torch.Tensor, desc_prompted: torch.Tensor) -> torch.Tensor:
    """(n_classes, N) similarities W_cls @ W_desc^T (float32)."""
    if class_embeds.ndim != 2 or desc_prompted.ndim != 2 or class_embeds.shape[1] != desc_prompted.shape[1]:
        raise ValueError(f"language: class embeddings {tuple(class_embeds.shape)} and descriptor embeddings "
                         f"{tuple(desc_prompted.shape)} must be (n, D) with the same D")
    return class_embeds.float() @ desc_prompted.to(class_embeds.device).float().T


def language_concepts(class_embeds: torch.Tensor, desc_prompted: torch.Tensor, u: int = 50) -> torch.Tensor:
    """(n_classes, u) descriptor ids per class, most similar first (W_cls @ W_desc^T, top-u).
    With fewer than u descriptors in the pool the result has N columns."""
    if u < 1:
        raise ValueError(f"language_concepts: u must be >= 1, got {u}")
    sims = weight_dissection(class_embeds, desc_prompted)
    return torch.sort(sims, dim=1, descending=True, stable=True).indices[:, :u]
