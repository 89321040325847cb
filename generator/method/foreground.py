"""Foreground ("prominent patches") by spectral decomposition (spec §2.2.2-3). CONTRACT STUB."""
from __future__ import annotations

import numpy as np
import torch


def foreground_masks(patches: torch.Tensor, component: int = 1, threshold: float = 0.0,
                     second_min: int = 5) -> np.ndarray:
    """patches (B,h,w,C) -> bool (B,h,w): SVD of L2-normalised stacked features, sign fix, > threshold,
    largest connected component (+ the second if >= second_min patches)."""
    raise NotImplementedError


def upsample_masks(masks: np.ndarray, size: int) -> np.ndarray:
    """bool (B,h,w) -> bool (B,size,size), nearest neighbour."""
    raise NotImplementedError


def crf_available() -> bool:
    raise NotImplementedError


def refine_crf(mask: np.ndarray, image: np.ndarray, params) -> np.ndarray:
    """mask bool (S,S), image uint8 (S,S,3) -> refined bool (S,S). Requires SimpleCRF."""
    raise NotImplementedError
