"""Parts = visual concepts: PCA / K-means on a class batch's foreground patches (spec §2.2.4 [P §3.1, App. K; C]).

The clustering runs **jointly over the foreground patches of all B images**, so part ids are shared across the
images of a class. Methods live in the :data:`PART_METHODS` registry (decorator :func:`part_method`):

* ``"pca"`` (official ``get_component_feats``): sklearn ``PCA(n_parts)`` on the **raw** foreground features,
  ``MinMaxScaler(clip=True)`` per component, label = argmax over components. ``random_state=seed`` only matters
  when sklearn picks its randomised solver.
* ``"kmeans"`` (official ``kmeans_clustering``): L2-normalised features, Euclidean k-means. The official code uses
  ``kmeans_pytorch`` (random initial centres drawn from the data, stop when the centre shift is < 1e-4 or after
  ``iter_limit=500``). We use sklearn ``KMeans(init="random", n_init=1, max_iter=iter_limit, random_state=seed)``:
  the same algorithm (Lloyd's, centres initialised on random data points) but seeded, hence deterministic, and with
  sklearn's variance-relative tolerance; label ids therefore differ from kmeans_pytorch's for the same data.

**On CUDA** (patch features on a CUDA device) the same two methods run as torch operations on that device
(:data:`TORCH_PART_METHODS`), in float64, so the foreground features never leave the GPU: PCA by a full SVD of the
centred features with sklearn's sign convention (``svd_flip(u_based_decision=False)``), MinMax, argmax; K-means
by Lloyd's algorithm from the same initial centres sklearn draws for ``random_state=seed``
(``RandomState(seed).choice(M, k, replace=False, p=uniform)``), with sklearn's tolerance rule
(``tol = 1e-4 * mean(var(X, 0))`` on the squared centre shift, stop early when labels do not change, final
labels from the final centres). Differences from the CPU (sklearn) path: sklearn's ``auto`` solver picks a
randomized SVD for large batches, so PCA labels can differ where two components tie closely; an empty K-means
cluster keeps its previous centre (sklearn moves it to a far point). **On the CPU nothing changes**: the torch
versions are used only for CUDA tensors (tests compare them with sklearn on the CPU).

Edge cases (the official code crashes on them): with M foreground patches and M < n_parts (or C < n_parts for
PCA) the number of parts shrinks to what the data allows (min(n_parts, M[, C])); with M = 0 every patch is
background (-1).
"""
from __future__ import annotations

import warnings
from typing import Callable

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler

from generator.method.foreground import upsample_nearest

# name -> fn(fg_feats: np.ndarray (M,C), n_parts, seed, **kw) -> labels (M,) int in [0, n_parts)
PART_METHODS: dict[str, Callable[..., np.ndarray]] = {}


def part_method(name: str):
    def deco(fn):
        PART_METHODS[name] = fn
        return fn
    return deco


@part_method("pca")
def pca_parts(feats: np.ndarray, n_parts: int, seed: int = 0, **_) -> np.ndarray:
    k = min(n_parts, feats.shape[0], feats.shape[1])
    if k <= 1:                          # one component (or one patch): argmax is 0 everywhere
        return np.zeros(feats.shape[0], dtype=np.int64)
    comps = PCA(n_components=k, random_state=seed).fit_transform(feats.astype(np.float64))
    comps = MinMaxScaler(clip=True).fit_transform(comps)
    return comps.argmax(axis=1)


@part_method("kmeans")
def kmeans_parts(feats: np.ndarray, n_parts: int, seed: int = 0, iter_limit: int = 500, **_) -> np.ndarray:
    x = feats.astype(np.float64)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    k = min(n_parts, x.shape[0])
    with warnings.catch_warnings():   # fewer distinct points than clusters: sklearn warns, labels stay valid
        warnings.simplefilter("ignore", ConvergenceWarning)
        km = KMeans(n_clusters=k, init="random", n_init=1, max_iter=iter_limit, random_state=seed)
        return km.fit_predict(x)


# name -> fn(fg_feats: torch.Tensor (M,C) on the device, n_parts, seed, **kw) -> labels (M,) int64 tensor
TORCH_PART_METHODS: dict[str, Callable[..., torch.Tensor]] = {}


def torch_part_method(name: str):
    def deco(fn):
        TORCH_PART_METHODS[name] = fn
        return fn
    return deco


@torch_part_method("pca")
def pca_parts_torch(feats: torch.Tensor, n_parts: int, seed: int = 0, **_) -> torch.Tensor:
    x = feats.to(torch.float64)
    k = min(n_parts, x.shape[0], x.shape[1])
    if k <= 1:
        return torch.zeros(x.shape[0], dtype=torch.int64, device=x.device)
    xc = x - x.mean(dim=0, keepdim=True)
    _, _, vt = torch.linalg.svd(xc, full_matrices=False)
    vt = vt[:k]
    pick = vt.abs().argmax(dim=1)
    signs = torch.sign(vt[torch.arange(k, device=x.device), pick])
    signs[signs == 0] = 1
    comps = xc @ (vt * signs[:, None]).T
    lo, hi = comps.min(dim=0).values, comps.max(dim=0).values
    rng = hi - lo
    rng[rng == 0] = 1.0                      # sklearn's _handle_zeros_in_scale
    return ((comps - lo) / rng).argmax(dim=1)


def _kmeans_init(n: int, k: int, seed: int) -> np.ndarray:
    """The initial centre indices sklearn's ``KMeans(init="random", random_state=seed)`` draws."""
    return np.random.RandomState(seed).choice(n, size=k, replace=False, p=np.full(n, 1.0 / n))


@torch_part_method("kmeans")
def kmeans_parts_torch(feats: torch.Tensor, n_parts: int, seed: int = 0, iter_limit: int = 500,
                       tol: float = 1e-4, **_) -> torch.Tensor:
    x = feats.to(torch.float64)
    x = x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)
    k = min(n_parts, x.shape[0])
    centres = x[torch.as_tensor(_kmeans_init(x.shape[0], k, seed), device=x.device)].clone()
    tol_abs = float(x.var(dim=0, unbiased=False).mean()) * tol
    labels = None
    strict = False
    for _ in range(iter_limit):
        new = torch.cdist(x, centres).argmin(dim=1)
        counts = torch.bincount(new, minlength=k)
        sums = torch.zeros_like(centres).index_add_(0, new, x)
        moved = torch.where(counts[:, None] > 0, sums / counts.clamp_min(1)[:, None], centres)
        shift = float(((moved - centres) ** 2).sum())
        centres = moved
        if labels is not None and torch.equal(new, labels):
            strict = True
            labels = new
            break
        labels = new
        if shift <= tol_abs:
            break
    if not strict:
        labels = torch.cdist(x, centres).argmin(dim=1)
    return labels


def cluster_on_device(patches: torch.Tensor) -> bool:
    """Whether the parts are clustered by torch where ``patches`` are (CUDA) rather than by sklearn on the CPU."""
    return patches.is_cuda


def part_maps(patches: torch.Tensor, fg: np.ndarray, method: str, n_parts: int = 5, seed: int = 0,
              **kw) -> np.ndarray:
    """patches (B,h,w,C), fg bool (B,h,w) -> int (B,h,w): part id in [0, n_parts) on foreground, -1 on background.
    The clustering runs jointly over all foreground patches of the batch. ``kw`` goes to the method
    (e.g. ``iter_limit`` for k-means)."""
    if method not in PART_METHODS:
        raise ValueError(f"unknown part method {method!r}; known: {', '.join(sorted(PART_METHODS))}")
    if n_parts < 1:
        raise ValueError(f"n_parts must be >= 1, got {n_parts}")
    fg = np.asarray(fg, dtype=bool)
    if tuple(fg.shape) != tuple(patches.shape[:3]):
        raise ValueError(f"foreground mask {fg.shape} does not match the patch grid {tuple(patches.shape[:3])}")
    maps = np.full(fg.shape, -1, dtype=np.int64)
    if fg.any() and cluster_on_device(patches) and method in TORCH_PART_METHODS:
        feats = patches.detach().float()[torch.as_tensor(fg, device=patches.device)]
        maps[fg] = TORCH_PART_METHODS[method](feats, n_parts, seed, **kw).cpu().numpy()
    elif fg.any():
        feats = patches.detach().float().cpu().numpy()[fg]
        maps[fg] = PART_METHODS[method](feats, n_parts, seed, **kw)
    return maps


def pixel_part_maps(maps: np.ndarray, size: int, keep: np.ndarray | None = None) -> np.ndarray:
    """int (B,h,w) -> int (B,size,size) nearest-neighbour; pixels where keep (bool (B,size,size), e.g. CRF mask) is
    False become -1."""
    pixels = upsample_nearest(np.asarray(maps), size).astype(np.int64, copy=True)
    if keep is not None:
        keep = np.asarray(keep, dtype=bool)
        if keep.shape != pixels.shape:
            raise ValueError(f"keep mask {keep.shape} does not match the pixel maps {pixels.shape}")
        pixels[~keep] = -1
    return pixels
