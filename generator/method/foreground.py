"""Foreground ("prominent patches") by spectral decomposition and its upsampling (spec §2.2.2-3).

Implements the official code (``get_pca_features`` with ``foreground_method='svd'``, ``threshold_by_negative=True``,
then ``get_foreground_background_indices``), not the paper's per-image Fiedler-vector wording (spec §5.4.1):

1. Stack the patch features of the **whole batch** into F (B*h*w, C), L2-normalise the rows, and take
   ``U`` of ``torch.linalg.svd(F, full_matrices=False)`` (first 3 columns, as the code's K=3).
2. Sign fix on every column k: negate it when 0.5 < mean(U[:, k] > 0) < 1, so its positive side is the minority.
3. Foreground candidates: U[:, component] > threshold (component 1, threshold 0).
4. Per image, keep the largest 8-connected component (``skimage.measure.label``, default full connectivity) and OR
   in the second largest if it has >= ``second_min`` patches.

Choice where the code breaks: an image with **no** candidate patch gets an **empty** mask (the official
``get_largest_cc`` returns ``np.array([1])`` and crashes downstream); its part map is then all background and
the explain step produces no parts (and so no descriptors) for it.

§2.2.3: the patch mask is upsampled by nearest neighbour (exact pixel replication for integer factors, the same
mapping as ``cv2.INTER_NEAREST``); a dense CRF (SimpleCRF, optional extra) may refine it. SimpleCRF 0.2.1.1 does
not build against NumPy 2 without patching, so it is never a hard dependency: :func:`crf_available` tells.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from skimage.measure import label as measure_label

N_COMPONENTS = 3   # the official K of get_pca_features


def spectral_components(patches: torch.Tensor, n_components: int = N_COMPONENTS) -> torch.Tensor:
    """(B,h,w,C) -> (B*h*w, n_components) sign-fixed left singular vectors of the row-normalised stacked features."""
    flat = F.normalize(patches.reshape(-1, patches.shape[-1]).float(), dim=-1)
    u = torch.linalg.svd(flat, full_matrices=False)[0][:, :n_components].clone()
    positive = (u > 0).float().mean(dim=0)
    flip = (positive > 0.5) & (positive < 1.0)
    u[:, flip] = -u[:, flip]
    return u


def _largest_component(mask: np.ndarray) -> np.ndarray:
    labels = measure_label(mask)
    if labels.max() == 0:
        return np.zeros_like(mask, dtype=bool)
    return labels == (np.argmax(np.bincount(labels.ravel())[1:]) + 1)


def keep_main_components(candidates: np.ndarray, second_min: int = 5) -> np.ndarray:
    """bool (h,w) -> bool (h,w): largest connected component, plus the second largest if >= second_min patches."""
    first = _largest_component(candidates)
    second = _largest_component(candidates & ~first)
    return first | second if second.sum() >= second_min else first


def foreground_masks(patches: torch.Tensor, component: int = 1, threshold: float = 0.0,
                     second_min: int = 5) -> np.ndarray:
    """patches (B,h,w,C) -> bool (B,h,w): SVD of L2-normalised stacked features, sign fix, > threshold,
    largest connected component (+ the second if >= second_min patches). No candidate -> empty mask."""
    if patches.ndim != 4:
        raise ValueError(f"patches must be (B, h, w, C), got shape {tuple(patches.shape)}")
    b, h, w, c = patches.shape
    n_available = min(b * h * w, c)
    if component >= n_available:
        raise ValueError(f"foreground component {component} does not exist: the {b}x{h}x{w} patches of dimension "
                         f"{c} have only {n_available} singular vectors (lower 'foreground_component')")
    u = spectral_components(patches, max(N_COMPONENTS, component + 1))
    candidates = (u[:, component] > threshold).reshape(b, h, w).cpu().numpy()
    return np.stack([keep_main_components(m, second_min) for m in candidates]) if b else candidates


def nearest_indices(n: int, size: int) -> np.ndarray:
    """Source index of each of ``size`` target cells (floor(i * n / size), i.e. cv2.INTER_NEAREST)."""
    return (np.arange(size) * n) // size


def upsample_nearest(maps: np.ndarray, size: int) -> np.ndarray:
    """(B,h,w) -> (B,size,size), any dtype, nearest neighbour."""
    rows, cols = nearest_indices(maps.shape[1], size), nearest_indices(maps.shape[2], size)
    return maps[:, rows][:, :, cols]


def upsample_masks(masks: np.ndarray, size: int) -> np.ndarray:
    """bool (B,h,w) -> bool (B,size,size), nearest neighbour."""
    return upsample_nearest(np.asarray(masks, dtype=bool), size)


def crf_available() -> bool:
    """True only when SimpleCRF (``import denseCRF``) can be imported."""
    try:
        import denseCRF  # noqa: F401
    except ImportError:
        return False
    return True


def refine_crf(mask: np.ndarray, image: np.ndarray, params) -> np.ndarray:
    """mask bool (S,S), image uint8 (S,S,3) -> refined bool (S,S). Requires SimpleCRF.

    ``params`` = (w1, alpha, beta, w2, gamma, iters), default (10, 40, 13, 3, 3, 5) (spec §2.2.3); the unary is the
    one-hot of the mask and the result is ``label != 0`` (official ``get_foreground_crf_map``)."""
    try:
        import denseCRF
    except ImportError as exc:
        raise RuntimeError("the dense CRF needs SimpleCRF (`import denseCRF`), which is not installed; "
                           "install it or turn the method's 'crf' setting off") from exc
    params = tuple(float(p) for p in params)
    if len(params) != 6:
        raise ValueError(f"CRF params must be (w1, alpha, beta, w2, gamma, iters), got {params}")
    mask = np.asarray(mask, dtype=bool)
    if image.shape[:2] != mask.shape or image.dtype != np.uint8 or image.ndim != 3:
        raise ValueError(f"image must be uint8 (S,S,3) matching mask {mask.shape}, got {image.dtype} {image.shape}")
    unary = np.stack([~mask, mask], axis=-1).astype(np.float32)
    out = denseCRF.densecrf(np.ascontiguousarray(image), unary, params)
    return np.asarray(out) != 0
