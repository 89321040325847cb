"""Visual prompts per part: red ellipse, grayscale outside, blur outside (spec §2.3.1).

Follows the official ``draw_circle_on_components_with_augments``: the part's binary mask at S×S, its
external contours (``cv2.findContours``, RETR_EXTERNAL, CHAIN_APPROX_NONE), the largest by area, an
ellipse fitted with ``cv2.fitEllipse``, then three images built from the (de-normalised, uint8 RGB) image:

* ``red``:  the image with a red (255, 0, 0) ellipse outline of thickness 1;
* ``gray``: pixels outside the filled ellipse converted to grayscale (``cv2.COLOR_RGB2GRAY``), plus the outline;
* ``blur``: pixels outside the filled ellipse replaced by ``cv2.GaussianBlur(image, (11, 11), 0)``, plus the outline.

**On CUDA** :func:`part_prompts_torch` builds the same prompts on the model's device from a uint8 image tensor:
the ellipse fit and the filled / outline masks are still drawn by OpenCV on the CPU (tiny S x S uint8 masks, so the
pixels the ellipse covers are exactly OpenCV's), and the compositing runs as torch operations: grayscale with
OpenCV's fixed-point weights ((4899 R + 9617 G + 1868 B + 2^13) >> 14; equal to cv2 on 99.9 % of pixels and within
1 grey level on the rest, tested), the Gaussian blur as a separable
convolution with ``cv2.getGaussianKernel(k, 0)`` and reflect-101 borders (OpenCV's default), rounded to uint8:
within 1 grey level of ``cv2.GaussianBlur``'s fixed-point result (tested). The grayscale and blurred images are
computed once per image, not once per part. The CPU path (:func:`part_prompts`, used whenever the model is on the
CPU) is unchanged.

Differences from the official code (documented choices):

* ``cv2.fitEllipse`` needs at least 5 points. The official code pads short contours with *random* points
  drawn in the rectangle between the origin and the contour's last point (irreproducible, and a crash when
  that point lies on row or column 0). Here a contour with fewer than 5 points (a part of 1 to 4 pixels)
  is replaced by its points plus the 4 corners (±0.5, ±0.5) of each point's pixel: deterministic, and the
  ellipse stays on the part (a 1-pixel part gets a circle about 1.3 px across centred on it). The same
  fallback is used if ``fitEllipse`` returns a non-finite ellipse.
* Ties in contour area (e.g. several zero-area 1-pixel pieces) are broken by the number of contour points,
  then by OpenCV's order; the official code keeps OpenCV's first.
* Parts are ordered by part id rather than by the RGB colour the official code assigns them.
"""
from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

Ellipse = tuple  # ((cx, cy), (width, height), angle) as returned by cv2.fitEllipse
RED = (255, 0, 0)

# name -> fn(image uint8 (S,S,3), ellipse, thickness, blur_kernel) -> uint8 (S,S,3)
PROMPT_KINDS: dict[str, Callable[..., np.ndarray]] = {}


def prompt_kind(name: str):
    """Register a prompt builder under ``name`` in :data:`PROMPT_KINDS`."""
    def register(fn):
        PROMPT_KINDS[name] = fn
        return fn
    return register


def largest_contour(mask: np.ndarray) -> np.ndarray:
    """(n, 1, 2) int32 points of the largest external contour of the bool/0-1 ``mask``."""
    contours, _ = cv2.findContours(np.ascontiguousarray(mask, dtype=np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_NONE)
    if not contours:
        raise ValueError("largest_contour: the mask is empty")
    return max(contours, key=lambda c: (cv2.contourArea(c), len(c)))


def _pixel_corners(points: np.ndarray) -> np.ndarray:
    pts = points.reshape(-1, 2).astype(np.float32)
    offsets = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]], dtype=np.float32)
    corners = (pts[:, None, :] + offsets[None]).reshape(-1, 2)
    return np.concatenate([pts, corners])


def _finite(ellipse) -> bool:
    (cx, cy), (w, h), angle = ellipse
    return bool(np.all(np.isfinite([cx, cy, w, h, angle])))


def fit_part_ellipse(mask: np.ndarray) -> Ellipse:
    """cv2.fitEllipse of the largest external contour of ``mask`` (deterministic padding, see module doc)."""
    contour = largest_contour(mask)
    if len(contour) >= 5:
        ellipse = cv2.fitEllipse(contour)
        if _finite(ellipse):
            return ellipse
    return cv2.fitEllipse(_pixel_corners(contour))


def ellipse_fill(shape: tuple[int, int], ellipse: Ellipse) -> np.ndarray:
    """bool (H, W): the filled ellipse as drawn by cv2.ellipse(thickness=-1) (the official mask)."""
    canvas = np.zeros(shape, dtype=np.uint8)
    cv2.ellipse(canvas, ellipse, 255, thickness=-1)
    return canvas != 0


def ellipse_outline(shape: tuple[int, int], ellipse: Ellipse, thickness: int = 1) -> np.ndarray:
    """bool (H, W): the pixels the red outline covers."""
    canvas = np.zeros(shape, dtype=np.uint8)
    cv2.ellipse(canvas, ellipse, 255, thickness=thickness)
    return canvas != 0


def _outlined(image: np.ndarray, ellipse: Ellipse, thickness: int) -> np.ndarray:
    out = np.ascontiguousarray(image, dtype=np.uint8).copy()
    cv2.ellipse(out, ellipse, RED, thickness=thickness)
    return out


@prompt_kind("red")
def red_prompt(image: np.ndarray, ellipse: Ellipse, thickness: int = 1, blur_kernel: int = 11) -> np.ndarray:
    return _outlined(image, ellipse, thickness)


@prompt_kind("gray")
def gray_prompt(image: np.ndarray, ellipse: Ellipse, thickness: int = 1, blur_kernel: int = 11) -> np.ndarray:
    gray = np.repeat(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[:, :, None], 3, axis=2)
    inside = ellipse_fill(image.shape[:2], ellipse)[:, :, None]
    return _outlined(np.where(inside, image, gray), ellipse, thickness)


@prompt_kind("blur")
def blur_prompt(image: np.ndarray, ellipse: Ellipse, thickness: int = 1, blur_kernel: int = 11) -> np.ndarray:
    blurred = cv2.GaussianBlur(image, (blur_kernel, blur_kernel), 0)
    inside = ellipse_fill(image.shape[:2], ellipse)[:, :, None]
    return _outlined(np.where(inside, image, blurred), ellipse, thickness)


def part_prompts(image: np.ndarray, part_map: np.ndarray, kinds=("red", "gray", "blur"), thickness: int = 1,
                 blur_kernel: int = 11) -> tuple[list[int], np.ndarray]:
    """image uint8 (S,S,3), part_map int (S,S) (-1 background) -> (part ids present, uint8 (L, len(kinds), S, S, 3)).
    Ellipse fitted to the largest contour of each part's mask (cv2.fitEllipse). Part ids ascending."""
    image = np.asarray(image)
    part_map = np.asarray(part_map)
    _check_inputs(image.dtype == np.uint8, image, part_map, kinds, PROMPT_KINDS, blur_kernel)
    image = np.ascontiguousarray(image)
    ids = [int(p) for p in np.unique(part_map) if p >= 0]
    out = np.empty((len(ids), len(kinds)) + image.shape, dtype=np.uint8)
    for i, pid in enumerate(ids):
        ellipse = fit_part_ellipse(part_map == pid)
        for j, kind in enumerate(kinds):
            out[i, j] = PROMPT_KINDS[kind](image, ellipse, thickness, blur_kernel)
    return ids, out


# ------------------------------------------------------------------------------------------ torch (CUDA) path

_GRAY_W = (4899, 9617, 1868)   # OpenCV's RGB2GRAY fixed-point weights (shift 14)

# name -> fn(image uint8 (S,S,3) tensor, inside bool (S,S,1) tensor, derived: _Derived) -> uint8 (S,S,3) tensor
TORCH_PROMPT_KINDS: dict[str, Callable] = {}


def torch_prompt_kind(name: str):
    def register(fn):
        TORCH_PROMPT_KINDS[name] = fn
        return fn
    return register


def gray_torch(image):
    """uint8 (S,S,3) tensor -> its grayscale replicated to 3 channels, as cv2.COLOR_RGB2GRAY computes it."""
    import torch

    x = image.to(torch.int32)
    y = (x[..., 0] * _GRAY_W[0] + x[..., 1] * _GRAY_W[1] + x[..., 2] * _GRAY_W[2] + (1 << 13)) >> 14
    return y.clamp(0, 255).to(torch.uint8)[..., None].expand(-1, -1, 3)


def blur_torch(image, kernel: int = 11):
    """uint8 (S,S,3) tensor -> GaussianBlur((kernel, kernel), 0) as a separable float convolution with reflect-101
    borders, rounded (within 1 level of OpenCV)."""
    import torch
    import torch.nn.functional as F

    g = torch.as_tensor(cv2.getGaussianKernel(kernel, 0).ravel(), dtype=torch.float32, device=image.device)
    x = image.permute(2, 0, 1)[:, None].float()                       # (3, 1, S, S)
    r = kernel // 2
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), g.view(1, 1, 1, -1))
    x = F.conv2d(F.pad(x, (0, 0, r, r), mode="reflect"), g.view(1, 1, -1, 1))
    return x[:, 0].permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8)


class _Derived:
    """The grayscale and blurred versions of one image, computed on first use."""

    def __init__(self, image, blur_kernel: int):
        self.image, self.blur_kernel, self._gray, self._blur = image, blur_kernel, None, None

    def gray(self):
        if self._gray is None:
            self._gray = gray_torch(self.image)
        return self._gray

    def blur(self):
        if self._blur is None:
            self._blur = blur_torch(self.image, self.blur_kernel)
        return self._blur


@torch_prompt_kind("red")
def _red_t(image, inside, derived):
    return image


@torch_prompt_kind("gray")
def _gray_t(image, inside, derived):
    import torch

    return torch.where(inside, image, derived.gray())


@torch_prompt_kind("blur")
def _blur_t(image, inside, derived):
    import torch

    return torch.where(inside, image, derived.blur())


def part_prompts_torch(image, part_map: np.ndarray, kinds=("red", "gray", "blur"), thickness: int = 1,
                       blur_kernel: int = 11):
    """:func:`part_prompts` on a uint8 (S,S,3) tensor (any device): (part ids, uint8 tensor (L, len(kinds), S, S, 3)
    on the image's device). Masks by OpenCV on the CPU, compositing by torch (module doc)."""
    import torch

    part_map = np.asarray(part_map)
    _check_inputs(image.dtype == torch.uint8, image, part_map, kinds, TORCH_PROMPT_KINDS, blur_kernel)
    ids = [int(p) for p in np.unique(part_map) if p >= 0]
    shape = tuple(part_map.shape)
    out = torch.empty((len(ids), len(kinds)) + tuple(image.shape), dtype=torch.uint8, device=image.device)
    if not ids:
        return ids, out
    fills, lines = [], []
    for pid in ids:
        ellipse = fit_part_ellipse(part_map == pid)
        fills.append(ellipse_fill(shape, ellipse))
        lines.append(ellipse_outline(shape, ellipse, thickness))
    inside = torch.as_tensor(np.stack(fills), device=image.device)[..., None]    # (L, S, S, 1)
    outline = torch.as_tensor(np.stack(lines), device=image.device)[..., None]
    red = torch.tensor(RED, dtype=torch.uint8, device=image.device)
    derived = _Derived(image, blur_kernel)
    for i in range(len(ids)):
        for j, kind in enumerate(kinds):
            out[i, j] = torch.where(outline[i], red, TORCH_PROMPT_KINDS[kind](image, inside[i], derived))
    return ids, out


def _check_inputs(is_uint8: bool, image, part_map: np.ndarray, kinds, known, blur_kernel: int) -> None:
    """The argument checks shared by the OpenCV and torch prompt drawers (``image`` a numpy array or a tensor)."""
    shape = tuple(image.shape)
    if not is_uint8 or len(shape) != 3 or shape[2] != 3:
        raise ValueError(f"part_prompts: image must be uint8 (H, W, 3), got {image.dtype} {shape}")
    if part_map.shape != shape[:2]:
        raise ValueError(f"part_prompts: part_map {part_map.shape} does not match image {shape[:2]}")
    unknown = [k for k in kinds if k not in known]
    if unknown:
        raise ValueError(f"unknown prompt kind(s) {unknown}; known: {sorted(known)}")
    if blur_kernel < 1 or blur_kernel % 2 == 0:
        raise ValueError(f"blur_kernel must be a positive odd number, got {blur_kernel}")
