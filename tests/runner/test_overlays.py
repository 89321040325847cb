"""Part overlays: alpha-0.5 blend of the fixed palette colour on part pixels, background untouched."""
from __future__ import annotations

import numpy as np
from PIL import Image

from generator.runner.overlays import PALETTE, overlay, part_color, write_overlay


def test_blend_and_png(tmp_path):
    img = np.full((4, 4, 3), 100, np.uint8)
    pm = np.full((4, 4), -1)
    pm[0, 0], pm[1, 1] = 0, 2
    out = overlay(img, pm)
    r, g, b = (int(PALETTE[0][i:i + 2], 16) for i in (1, 3, 5))
    assert out[0, 0].tolist() == [round(50 + r / 2), round(50 + g / 2), round(50 + b / 2)]
    assert out[2, 2].tolist() == [100, 100, 100]
    assert out[1, 1].tolist() != out[0, 0].tolist()
    assert part_color(len(PALETTE)) == PALETTE[0] and len(PALETTE) == 21 and len(set(PALETTE)) == 21
    write_overlay(tmp_path / "x" / "o.png", img, pm)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "x" / "o.png")), out)
