"""Part overlays (paper §4.1, figures of parts): what the site's explanation explorer shows for the first N images
of each class, written next to the results (paths relative to the run folder, inside ``overlays/``):

* ``overlays/<method>/<name>.png`` - the image with each part's outline (opaque) and a light fill (alpha
  :data:`FILL`) in the part's colour; background pixels untouched, so the legend swatch (outline colour over a
  light fill of the same colour) matches what is drawn;
* ``overlays/<method>/<name>.part<k>.png`` - one transparent layer per part (stronger fill, outline): the site
  shows it when the reader hovers the part's legend entry;
* ``overlays/original/<name>.png`` - the image as the model saw it (resized), shown beside the overlay;
* ``overlays/mask/<name>.png`` and ``.json`` - for data sets with part masks, the ground-truth parts drawn the same
  way and their legend ``{"parts": [{"name", "color"}]}``.

Colours: the Okabe-Ito palette (Okabe & Ito 2008), distinguishable under the common colour-vision deficiencies;
parts beyond the eighth reuse colours (the method uses 5 parts by default).
"""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Mapping

import numpy as np

from generator.results.io import atomic_write_bytes

# Okabe-Ito, ordered so that the first five (the default number of parts) stay > 20 dE apart under deuteranopia
PALETTE: list[str] = ["#D55E00", "#0072B2", "#F0E442", "#009E73", "#56B4E9", "#E69F00", "#CC79A7", "#000000"]
FILL = 0.25          # alpha of the light fill in the overlay
LAYER_FILL = 0.55    # alpha of the fill in a part's hover layer


def part_color(part: int) -> str:
    return PALETTE[part % len(PALETTE)]


def _rgb(hex_color: str) -> np.ndarray:
    return np.asarray([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)], np.float32)


def outline(sel: np.ndarray, width: int = 1) -> np.ndarray:
    """Pixels of the boolean mask ``sel`` within ``width`` pixels of its border (4-neighbourhood)."""
    edge = np.zeros_like(sel)
    inner = sel.copy()
    for _ in range(max(1, width)):
        p = np.pad(inner, 1, constant_values=False)
        interior = p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:] & inner
        edge |= inner & ~interior
        inner = interior
    return edge


def outline_width(size: int) -> int:
    return 1 if size < 160 else 2


def overlay(image: np.ndarray, part_map: np.ndarray, fill: float = FILL) -> np.ndarray:
    """uint8 (S,S,3), int (S,S) with -1 (or any negative) background -> uint8 (S,S,3): light fill + outline."""
    out = image.astype(np.float32).copy()
    width = outline_width(part_map.shape[0])
    for part in np.unique(part_map):
        if part < 0:
            continue
        sel = part_map == part
        color = _rgb(part_color(int(part)))
        out[sel] = (1 - fill) * out[sel] + fill * color
        out[outline(sel, width)] = color
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def layer(part_map: np.ndarray, part: int, fill: float = LAYER_FILL) -> np.ndarray:
    """uint8 (S,S,4) RGBA: part ``part`` filled (alpha ``fill``) and outlined, everything else transparent."""
    sel = part_map == part
    out = np.zeros(part_map.shape + (4,), np.uint8)
    out[..., :3] = _rgb(part_color(int(part))).astype(np.uint8)
    out[sel, 3] = int(round(255 * fill))
    out[outline(sel, outline_width(part_map.shape[0])), 3] = 255
    return out


def _png(array: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def layer_path(path: Path, part: int) -> Path:
    """``overlays/<method>/<name>.png`` -> its hover layer ``overlays/<method>/<name>.part<k>.png``."""
    return path.with_name(f"{path.stem}.part{int(part)}{path.suffix}")


def write_overlay(path: Path, image: np.ndarray, part_map: np.ndarray) -> None:
    """The overlay PNG at ``path`` and one hover layer per part beside it."""
    atomic_write_bytes(path, _png(overlay(image, part_map)))
    for part in np.unique(part_map):
        if part >= 0:
            atomic_write_bytes(layer_path(path, int(part)), _png(layer(part_map, int(part))))


def write_original(path: Path, image: np.ndarray) -> None:
    """The image as the model saw it (uint8 S x S x 3), shown beside its overlays."""
    if not path.exists():
        atomic_write_bytes(path, _png(np.ascontiguousarray(image, np.uint8)))


def write_mask(path: Path, image: np.ndarray, mask: np.ndarray, part_names: Mapping[int, str]) -> None:
    """Ground-truth parts (``mask``: uint8 part index per pixel, 0 = background, ``part_names`` index -> name)
    drawn like an overlay (index i in colour i - 1), and its legend ``<path>.json`` beside it."""
    part_map = mask.astype(np.int64) - 1
    atomic_write_bytes(path, _png(overlay(image, part_map)))
    present = [int(p) for p in np.unique(part_map) if p >= 0]
    legend = {"parts": [{"name": str(part_names.get(p + 1, f"part {p + 1}")), "color": part_color(p)}
                        for p in present]}
    atomic_write_bytes(path.with_suffix(".json"), json.dumps(legend, ensure_ascii=False).encode("utf-8"))
