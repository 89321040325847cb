"""Part overlays (spec §4.1): the image with each part's pixels blended (alpha 0.5) with the part's colour
from a fixed palette; the legend (colour, descriptors) lives in the image record's ``parts``."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from generator.results.io import atomic_write_bytes

# Fixed palette of 21 colours (as the official code's), indexed by part id.
PALETTE: list[str] = [
    "#e6194b", "#3cb44b", "#4363d8", "#ffe119", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45",
    "#fabed4", "#469990", "#dcbeff", "#9a6324", "#fffac8", "#800000", "#aaffc3", "#808000", "#ffd8b1",
    "#000075", "#a9a9a9", "#ffffff",
]
ALPHA = 0.5


def part_color(part: int) -> str:
    return PALETTE[part % len(PALETTE)]


def _rgb(hex_color: str) -> tuple[int, int, int]:
    return tuple(int(hex_color[i:i + 2], 16) for i in (1, 3, 5))


def overlay(image: np.ndarray, part_map: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """uint8 (S,S,3), int (S,S) with -1 background -> uint8 (S,S,3) colour overlay."""
    out = image.astype(np.float32).copy()
    for part in np.unique(part_map):
        if part < 0:
            continue
        sel = part_map == part
        out[sel] = (1 - alpha) * out[sel] + alpha * np.asarray(_rgb(part_color(int(part))), np.float32)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def write_overlay(path: Path, image: np.ndarray, part_map: np.ndarray) -> None:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(overlay(image, part_map)).save(buf, format="PNG")
    atomic_write_bytes(path, buf.getvalue())
