"""Parts = visual concepts: PCA(5) / K-means(5) on a class batch's foreground patches (spec §2.2.4). CONTRACT STUB."""
from __future__ import annotations

import numpy as np
import torch

PART_METHODS: dict = {}  # name -> fn(fg_feats: np.ndarray (M,C), n_parts, seed, **kw) -> labels (M,) int in [0, n_parts)


def part_maps(patches: torch.Tensor, fg: np.ndarray, method: str, n_parts: int = 5, seed: int = 0,
              **kw) -> np.ndarray:
    """patches (B,h,w,C), fg bool (B,h,w) -> int (B,h,w): part id in [0, n_parts) on foreground, -1 on background.
    The clustering runs jointly over all foreground patches of the batch."""
    raise NotImplementedError


def pixel_part_maps(maps: np.ndarray, size: int, keep: np.ndarray | None = None) -> np.ndarray:
    """int (B,h,w) -> int (B,size,size) nearest-neighbour; pixels where keep (bool (B,size,size), e.g. CRF mask) is
    False become -1."""
    raise NotImplementedError
