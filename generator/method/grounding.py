"""Grounding parts to descriptors -> D_v (spec §2.3.2-7). CONTRACT STUB."""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Grounding:
    per_part: dict[int, list[int]]  # part id -> descriptor ids (top-3 of its OT row, de-duplicated)
    ordered: list[int]              # D_v: unique descriptor ids, by importance, descending
    scores: list[float]             # importance of each id in ``ordered``: 2.5 * cos(image, raw descriptor)
    part_of: list[int]              # part id each ordered descriptor came from (first part that chose it)


def sinkhorn(cost: torch.Tensor, lam: float = 1.0, iters: int = 1000, tol: float | None = None) -> torch.Tensor:
    """P = exp(cost / lam); alternate row then column normalisation ``iters`` times."""
    raise NotImplementedError


def ground(part_embeds: torch.Tensor, part_ids: list[int], image_embed: torch.Tensor,
           desc_prompted: torch.Tensor, desc_raw: torch.Tensor, cfg) -> Grounding:
    """part_embeds (L,D) mean of the prompt embeddings (not renormalised); image_embed (D,) normalised;
    desc_prompted/desc_raw (N,D) normalised; cfg a MethodConfig."""
    raise NotImplementedError
