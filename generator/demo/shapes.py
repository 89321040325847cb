"""Rasterising primitives and textures for the synthetic world (numpy only, pixel-centre sampling, no anti-aliasing).

A primitive is a plain tuple in the object's unit frame (``x`` right, ``y`` down, the object's square box is
``[0, 1]^2``); :func:`rasterise` maps it into pixels and returns a boolean mask. A texture fills a part's pixels
with its colour pattern. Both are registries (dicts), so adding a shape or a texture is one function and one entry.
"""
from __future__ import annotations

from typing import Callable

import numpy as np


def _ellipse(xx, yy, cx, cy, rx, ry):
    return ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1.0


def _rect(xx, yy, x0, y0, x1, y1):
    return (xx >= x0) & (xx < x1) & (yy >= y0) & (yy < y1)


def _polygon(xx, yy, *pts):
    """Convex polygon given by its vertices (either winding)."""
    pts = np.asarray(pts, dtype=float).reshape(-1, 2)
    signs = []
    for (ax, ay), (bx, by) in zip(pts, np.roll(pts, -1, axis=0)):
        signs.append((bx - ax) * (yy - ay) - (by - ay) * (xx - ax))
    s = np.stack(signs)
    return np.all(s >= 0, axis=0) | np.all(s <= 0, axis=0)


def _half_ellipse_top(xx, yy, cx, cy, rx, ry):
    """Upper half of an ellipse (a dome), cut at ``cy``."""
    return _ellipse(xx, yy, cx, cy, rx, ry) & (yy <= cy)


def _half_ellipse_bottom(xx, yy, cx, cy, rx, ry):
    return _ellipse(xx, yy, cx, cy, rx, ry) & (yy >= cy)


# kind -> fn(xx, yy, *params in pixel units) -> bool mask. Params are (x, y) pairs or (cx, cy, rx, ry).
SHAPES: dict[str, Callable] = {
    "ellipse": _ellipse,
    "rect": _rect,
    "polygon": _polygon,
    "dome": _half_ellipse_top,
    "bowl": _half_ellipse_bottom,
}

# Which parameters of each kind are x coordinates (scaled by size and flipped), y coordinates, or lengths.
_PARAM_ROLES: dict[str, str] = {"ellipse": "xyll", "dome": "xyll", "bowl": "xyll", "rect": "xyxy", "polygon": "xy*"}


def to_pixels(kind: str, params: tuple, x0: float, y0: float, size: float, flip: bool) -> tuple:
    """Map unit-frame parameters of a primitive to pixel coordinates of a box at (x0, y0) of side ``size``."""
    roles = _PARAM_ROLES[kind]
    if roles.endswith("*"):
        roles = roles[:-1] * (len(params) // len(roles[:-1]))
    out = []
    for role, v in zip(roles, params):
        if role == "x":
            out.append(x0 + size * ((1.0 - v) if flip else v))
        elif role == "y":
            out.append(y0 + size * v)
        else:
            out.append(size * v)
    if kind == "rect" and flip:  # keep x0 < x1 after mirroring
        out[0], out[2] = min(out[0], out[2]), max(out[0], out[2])
    return tuple(out)


def grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates."""
    yy, xx = np.mgrid[0:h, 0:w].astype(float)
    return xx + 0.5, yy + 0.5


def rasterise(kind: str, params: tuple, xx: np.ndarray, yy: np.ndarray) -> np.ndarray:
    if kind not in SHAPES:
        raise ValueError(f"unknown shape kind {kind!r}; known: {sorted(SHAPES)}")
    return SHAPES[kind](xx, yy, *params)


# --- textures: fn(xx, yy, colour (3,) float, rng, scale px, part mask) -> (h, w, 3) float image --------------------------------

def _shade(c, f):
    return np.clip(np.asarray(c, float) * f, 0, 255)


def _solid(xx, yy, c, rng, scale, mask):
    return np.broadcast_to(np.asarray(c, float), xx.shape + (3,)).copy()


def _stripes(phase_fn):
    def tex(xx, yy, c, rng, scale, mask):
        period = max(3.0, 0.09 * scale)
        on = (np.floor(phase_fn(xx, yy) / (period / 2)) % 2).astype(bool)
        img = _solid(xx, yy, c, rng, scale, mask)
        img[on] = _shade(c, 0.62)
        return img
    return tex


def _bands(xx, yy, c, rng, scale, mask):
    """Broad horizontal bands alternating the colour and red (lighthouse tower)."""
    period = max(6.0, 0.22 * scale)
    on = (np.floor(yy / (period / 2)) % 2).astype(bool)
    img = _solid(xx, yy, c, rng, scale, mask)
    img[on] = (200, 35, 35)
    return img


def _dots(xx, yy, c, rng, scale, mask):
    period = max(5.0, 0.16 * scale)
    r = period * 0.28
    ox, oy = rng.uniform(0, period, 2)
    dx = (xx + ox) % period - period / 2
    dy = (yy + oy) % period - period / 2
    img = _solid(xx, yy, c, rng, scale, mask)
    img[dx ** 2 + dy ** 2 <= r ** 2] = (245, 245, 245)
    return img


def _checker(xx, yy, c, rng, scale, mask):
    period = max(4.0, 0.1 * scale)
    u = np.floor((xx + yy) / period) + np.floor((xx - yy) / period)
    img = _solid(xx, yy, c, rng, scale, mask)
    img[(u % 2).astype(bool)] = _shade(c, 0.75)
    return img


def _gradient(xx, yy, c, rng, scale, mask):
    """Vertical blend from the colour (top) to bright yellow (bottom): flames."""
    ys = yy[mask] if mask.any() else yy
    t = np.clip((yy - ys.min()) / max(1.0, float(np.ptp(ys))), 0, 1)
    top = np.asarray(c, float)
    bottom = np.asarray((250, 235, 80), float)
    return top[None, None] * (1 - t[..., None]) + bottom[None, None] * t[..., None]


TEXTURES: dict[str, Callable] = {
    "solid": _solid,
    "hstripes": _stripes(lambda xx, yy: yy),
    "vstripes": _stripes(lambda xx, yy: xx),
    "dstripes": _stripes(lambda xx, yy: xx + yy),
    "bands": _bands,
    "dots": _dots,
    "checker": _checker,
    "gradient": _gradient,
}


def texture(name: str, xx, yy, colour, rng, scale, mask) -> np.ndarray:
    if name not in TEXTURES:
        raise ValueError(f"unknown texture {name!r}; known: {sorted(TEXTURES)}")
    return TEXTURES[name](xx, yy, colour, rng, scale, mask)


# --- world 3: two-colour patterns (fn(xx, yy, colour, second colour, rng, period px) -> (h, w, 3) float image) ---------

def _two(xx, c1, c2, on):
    img = np.broadcast_to(np.asarray(c1, float), xx.shape + (3,)).copy()
    img[on] = np.asarray(c2, float)
    return img


def _p_striped(xx, yy, c1, c2, rng, period):
    angle = (0.0, 0.25, 0.5, 0.75)[int(rng.integers(4))] * np.pi
    phase = xx * np.cos(angle) + yy * np.sin(angle) + rng.uniform(0, period)
    return _two(xx, c1, c2, (np.floor(phase / (period / 2)) % 2).astype(bool))


def _p_spotted(xx, yy, c1, c2, rng, period):
    ox, oy = rng.uniform(0, period, 2)
    dx = (xx + ox) % period - period / 2
    dy = (yy + oy) % period - period / 2
    return _two(xx, c1, c2, dx ** 2 + dy ** 2 <= (0.3 * period) ** 2)


def _p_checked(xx, yy, c1, c2, rng, period):
    ox, oy = rng.uniform(0, period, 2)
    u = np.floor((xx + ox) / (period / 2)) + np.floor((yy + oy) / (period / 2))
    return _two(xx, c1, c2, (u % 2).astype(bool))


def _p_solid(xx, yy, c1, c2, rng, period):
    return _two(xx, c1, c1, np.zeros(xx.shape, bool))


PATTERNS: dict[str, Callable] = {"solid": _p_solid, "striped": _p_striped, "spotted": _p_spotted,
                                 "checked": _p_checked}


def pattern(name: str, xx, yy, colour, second, rng, period: float) -> np.ndarray:
    if name not in PATTERNS:
        raise ValueError(f"unknown pattern {name!r}; known: {sorted(PATTERNS)}")
    return PATTERNS[name](xx, yy, colour, second, rng, period)
