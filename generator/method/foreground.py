"""Foreground ("prominent patches") by spectral decomposition and its upsampling (spec §2.2.2-3).

Implements the official code (``get_pca_features`` with ``foreground_method='svd'``, ``threshold_by_negative=True``,
then ``get_foreground_background_indices``), not the paper's per-image Fiedler-vector wording (spec §5.4.1):

1. Stack the patch features of the **whole batch** into F (B*h*w, C), L2-normalise the rows, and take
   ``U`` of ``torch.linalg.svd(F, full_matrices=False)`` (first 3 columns, as the code's K=3). Computed from
   ``eigh`` of the smaller Gram matrix in float64 (:func:`spectral_components`: the same U to float32 tolerance,
   several times faster for a class batch; the SVD itself where that does not hold).
2. Sign fix on every column k: negate it when 0.5 < mean(U[:, k] > 0) < 1, so its positive side is the minority.
3. Foreground candidates: U[:, component] > threshold (component 1, threshold 0).
4. Per image, keep the largest 8-connected component (``skimage.measure.label``, default full connectivity) and OR
   in the second largest if it has >= ``second_min`` patches.

Choice where the code breaks: an image with **no** candidate patch gets an **empty** mask (the official
``get_largest_cc`` returns ``np.array([1])`` and crashes downstream); its part map is then all background and
the explain step produces no parts (and so no descriptors) for it.

Foreground methods (registry :data:`FOREGROUND_METHODS`, decorator :func:`foreground_method`; the method config's
``foreground_method`` names one; each maps patches (B,h,w,C) to bool (B,h,w) and ends with the connected-component
rule of step 4):

* ``"batch_svd"`` (default; the official code, steps 1-4 above);
* ``"image_svd"``: the paper's own wording (§3.1: the eigenvector of the second-largest eigenvalue of the
  per-image affinity f fᵀ): steps 1-4 on each image's N patches alone;
* ``"batch_svd_majority"`` / ``"image_svd_majority"``: the same component with the opposite sign (its *majority*
  side; the sign heuristic of step 2 assumes the object is the minority of patches, which fails for large objects);
* ``"image_svd_border"``: per-image SVD; of components 0..2 and both signs, the side whose patches touch the image
  border least (the border prior of LOST / TokenCut: background touches the frame), first by lowest border share;
* ``"border_contrast"``: per image, the background prototype is the mean of the L2-normalised features of the
  patches on the image border (renormalised); a patch is foreground when its cosine to that prototype is below the
  image's mean cosine minus ``threshold`` (the border-as-background prior of LOST / TokenCut applied as a contrast,
  no SVD); then step 4. Needs objects that do not fill the frame;
* ``"every_patch"``: every patch (a reference, not a segmentation: the level a foreground must beat).

Which one finds the object is measured per model family (docs/method.md, ``benchmarks/foreground.py``); the
paper's ``batch_svd`` stays the default for real models.

§2.2.3: the patch mask is upsampled by nearest neighbour (exact pixel replication for integer factors, the same
mapping as ``cv2.INTER_NEAREST``); a dense CRF (SimpleCRF, optional extra) may refine it. SimpleCRF 0.2.1.1 does
not build against NumPy 2 without patching, so it is never a hard dependency: :func:`crf_available` tells.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from skimage.measure import label as measure_label

N_COMPONENTS = 3   # the official K of get_pca_features


EIGH_RANK_RTOL = 1e-8   # eigh path only when sigma_k^2 > rtol * sigma_1^2 (else torch.linalg.svd)
EIGH_GAP_RTOL = 1e-6    # ... and every gap between the first k+1 sigma^2 exceeds rtol * sigma_1^2


@contextmanager
def _one_cpu_thread(device: torch.device):
    """Run the enclosed CPU linear algebra on one intra-op thread (restored after). LAPACK's eigh / SVD of a
    class batch synchronises its threads thousands of times: on a loaded machine two threads took 1.6-2.7 s for
    the 768 x 768 eigh and 5-30 s for the 2,450 x 768 SVD, one thread 0.6 s and 1.7 s. One thread also makes the
    result independent of the thread setting."""
    if device.type != "cpu" or torch.get_num_threads() == 1:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _eigh_left_singular_vectors(x: torch.Tensor, k: int) -> torch.Tensor | None:
    """(n, C) -> (n, k) top-k left singular vectors of ``x`` from ``torch.linalg.eigh`` of the smaller Gram matrix
    (XᵀX when n >= C, else XXᵀ) in float64, ``U = X V / sigma``; None where that is not the SVD's answer to
    float tolerance: rank below k (a zero sigma: the SVD's column is an arbitrary completion) or two of the first
    k+1 sigma^2 (nearly) equal (an arbitrary basis of their subspace), or non-finite input.

    Exact arithmetic gives the SVD's U up to column signs; in float64 its error is below float32 SVD's own unless
    sigma_1 / sigma_k > ~3e4 (the Gram squares the condition number), which the rank check excludes."""
    n, c = x.shape
    x64 = x.double()
    lam, vec = torch.linalg.eigh(x64.T @ x64 if n >= c else x64 @ x64.T)
    lam, vec = lam.flip(0), vec.flip(1)                     # descending, as the SVD
    top = lam[0]
    if not (torch.isfinite(lam).all() and top > 0 and lam[k - 1] > EIGH_RANK_RTOL * top):
        return None
    gaps = lam[:min(k + 1, len(lam))].diff().neg()
    if len(gaps) and not bool((gaps > EIGH_GAP_RTOL * top).all()):
        return None
    sigma = lam[:k].sqrt()
    v = vec[:, :k] if n >= c else (x64.T @ vec[:, :k]) / sigma   # right singular vectors
    return ((x64 @ v) / sigma).to(x.dtype)


def _sign_open(u: torch.Tensor) -> torch.Tensor:
    """bool (k,): columns the majority rule cannot orient (neither u nor -u is flipped: an exact 50/50 split,
    a column of one sign, zeros): there the result is the decomposition's own sign."""
    pos, neg = (u > 0).float().mean(dim=0), (u < 0).float().mean(dim=0)
    return ((pos <= 0.5) | (pos == 1.0)) & ((neg <= 0.5) | (neg == 1.0))


def spectral_components(patches: torch.Tensor, n_components: int = N_COMPONENTS,
                        columns: tuple[int, ...] | None = None) -> torch.Tensor:
    """(B,h,w,C) -> (B*h*w, min(n_components, B*h*w, C)) sign-fixed left singular vectors of the row-normalised
    stacked features: ``torch.linalg.svd(F, full_matrices=False)[0]``'s first columns, then the majority sign fix.

    Computed by ``eigh`` of the smaller Gram matrix in float64 (:func:`_eigh_left_singular_vectors`; the batch's
    2,450 x 768 SVD of a ViT-B/32 class takes seconds, its 768 x 768 eigh a fraction), equal to the SVD's to
    float32 tolerance (tested). The sign fix makes the answer independent of the decomposition's signs except in
    the columns it cannot orient (:func:`_sign_open`); for those of ``columns`` (default all) the SVD's own
    column is taken, and where the eigh path does not apply (rank < k, equal singular values) the SVD is used:
    the result is the SVD's in every case."""
    flat = F.normalize(patches.reshape(-1, patches.shape[-1]).float(), dim=-1)
    k = min(n_components, *flat.shape)
    with _one_cpu_thread(flat.device):
        u = _eigh_left_singular_vectors(flat, k) if k > 0 else None
        if u is None:
            u = torch.linalg.svd(flat, full_matrices=False)[0][:, :n_components].clone()
        else:
            need = torch.zeros(k, dtype=torch.bool, device=u.device)
            need[list(range(k)) if columns is None else [c for c in columns if c < k]] = True
            take = _sign_open(u) & need
            if bool(take.any()):
                u[:, take] = torch.linalg.svd(flat, full_matrices=False)[0][:, :k][:, take]
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


FOREGROUND_METHODS: dict[str, Callable[..., np.ndarray]] = {}


def foreground_method(name: str):
    """Register ``fn(patches (B,h,w,C), component, threshold, second_min) -> bool (B,h,w)`` under ``name``."""
    def deco(fn):
        FOREGROUND_METHODS[name] = fn
        return fn
    return deco


def _check_component(patches: torch.Tensor, component: int, n_rows: int) -> None:
    c = patches.shape[-1]
    n_available = min(n_rows, c)
    if component >= n_available:
        b, h, w = patches.shape[:3]
        raise ValueError(f"foreground component {component} does not exist: the {b}x{h}x{w} patches of dimension "
                         f"{c} have only {n_available} singular vectors (lower 'foreground_component')")


def _components(candidates: np.ndarray, second_min: int) -> np.ndarray:
    return np.stack([keep_main_components(m, second_min) for m in candidates]) if len(candidates) else candidates


def _batch_scores(patches: torch.Tensor, component: int) -> np.ndarray:
    b, h, w, _ = patches.shape
    _check_component(patches, component, b * h * w)
    u = spectral_components(patches, max(N_COMPONENTS, component + 1), columns=(component,))
    return u[:, component].reshape(b, h, w).cpu().numpy()


def _image_scores(patches: torch.Tensor, component: int) -> np.ndarray:
    b, h, w, _ = patches.shape
    _check_component(patches, component, h * w)
    k = max(N_COMPONENTS, component + 1)
    out = [spectral_components(patches[i:i + 1], k, columns=(component,))[:, component].reshape(h, w).cpu().numpy() for i in range(b)]
    return np.stack(out) if out else np.zeros((0, h, w), np.float32)


@foreground_method("batch_svd")
def batch_svd(patches, component: int = 1, threshold: float = 0.0, second_min: int = 5) -> np.ndarray:
    return _components(_batch_scores(patches, component) > threshold, second_min)


@foreground_method("batch_svd_majority")
def batch_svd_majority(patches, component: int = 1, threshold: float = 0.0, second_min: int = 5) -> np.ndarray:
    return _components(-_batch_scores(patches, component) > threshold, second_min)


@foreground_method("image_svd")
def image_svd(patches, component: int = 1, threshold: float = 0.0, second_min: int = 5) -> np.ndarray:
    return _components(_image_scores(patches, component) > threshold, second_min)


@foreground_method("image_svd_majority")
def image_svd_majority(patches, component: int = 1, threshold: float = 0.0, second_min: int = 5) -> np.ndarray:
    return _components(-_image_scores(patches, component) > threshold, second_min)


def border_share(mask: np.ndarray) -> float:
    """Share of a (h,w) mask's patches on the image border (1.0 for an empty mask: never preferred)."""
    if not mask.any():
        return 1.0
    border = np.zeros_like(mask, dtype=bool)
    border[0], border[-1], border[:, 0], border[:, -1] = True, True, True, True
    return float((mask & border).sum() / mask.sum())


@foreground_method("image_svd_border")
def image_svd_border(patches, component: int = 1, threshold: float = 0.0, second_min: int = 5) -> np.ndarray:
    b, h, w, _ = patches.shape
    n = min(N_COMPONENTS, h * w, patches.shape[-1])
    out = np.zeros((b, h, w), bool)
    for i in range(b):
        u = spectral_components(patches[i:i + 1], n).reshape(h, w, n).cpu().numpy()
        sides = [keep_main_components(sign * u[..., k] > threshold, second_min)
                 for k in range(n) for sign in (1.0, -1.0)]
        sides = [m for m in sides if m.any()]
        if sides:
            out[i] = min(sides, key=border_share)
    return out


@foreground_method("border_contrast")
def border_contrast(patches, component: int = 1, threshold: float = 0.0, second_min: int = 5) -> np.ndarray:
    b, h, w, c = patches.shape
    x = F.normalize(patches.reshape(b, h * w, c).float(), dim=-1)
    ring = torch.zeros(h, w, dtype=torch.bool)
    ring[0], ring[-1], ring[:, 0], ring[:, -1] = True, True, True, True
    proto = F.normalize(x[:, ring.reshape(-1).to(x.device)].mean(dim=1), dim=-1)       # (B, C)
    cos = torch.einsum("bnc,bc->bn", x, proto)
    candidates = (cos < cos.mean(dim=1, keepdim=True) - threshold).reshape(b, h, w).cpu().numpy()
    return _components(candidates, second_min)


@foreground_method("every_patch")
def every_patch(patches, component: int = 1, threshold: float = 0.0, second_min: int = 5) -> np.ndarray:
    return np.ones(tuple(patches.shape[:3]), bool)


def foreground_masks(patches: torch.Tensor, component: int = 1, threshold: float = 0.0,
                     second_min: int = 5, method: str = "batch_svd") -> np.ndarray:
    """patches (B,h,w,C) -> bool (B,h,w) by the registered foreground ``method`` (default the official batch SVD:
    SVD of L2-normalised stacked features, sign fix, > threshold, largest connected component (+ the second if >=
    second_min patches)). No candidate -> empty mask."""
    if patches.ndim != 4:
        raise ValueError(f"patches must be (B, h, w, C), got shape {tuple(patches.shape)}")
    if method not in FOREGROUND_METHODS:
        raise ValueError(f"unknown foreground method {method!r}; known: {', '.join(sorted(FOREGROUND_METHODS))}")
    return FOREGROUND_METHODS[method](patches, component, threshold, second_min)


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
