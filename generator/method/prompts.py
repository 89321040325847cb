"""Visual prompts per part: red ellipse, grayscale outside, blur outside (spec §2.3.1). CONTRACT STUB."""
from __future__ import annotations

import numpy as np

PROMPT_KINDS: dict = {}  # "red" | "gray" | "blur" -> fn(image uint8 (S,S,3), ellipse, thickness, blur_kernel) -> uint8 (S,S,3)


def part_prompts(image: np.ndarray, part_map: np.ndarray, kinds=("red", "gray", "blur"), thickness: int = 1,
                 blur_kernel: int = 11) -> tuple[list[int], np.ndarray]:
    """image uint8 (S,S,3), part_map int (S,S) (-1 background) -> (part ids present, uint8 (L, len(kinds), S, S, 3)).
    Ellipse fitted to the largest contour of each part's mask (cv2.fitEllipse)."""
    raise NotImplementedError
