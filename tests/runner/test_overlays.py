"""Part overlays: outline + light fill in an Okabe-Ito colour, background untouched; hover layers, original, mask."""
from __future__ import annotations

import json

import numpy as np
from PIL import Image

from generator.runner.overlays import (FILL, PALETTE, layer, layer_path, outline, overlay, part_color, write_mask,
                                       write_original, write_overlay)


def _srgb_to_lab(rgb):
    c = np.asarray(rgb, float) / 255
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    xyz = c @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    xyz /= [0.95047, 1.0, 1.08883]
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _deuteranopia(hex_color):
    """Machado et al. 2009 deuteranopia simulation (severity 1) in linear RGB."""
    m = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]])
    c = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    lin = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    out = np.clip(m @ lin, 0, 1)
    return 255 * np.where(out > 0.0031308, 1.055 * out ** (1 / 2.4) - 0.055, 12.92 * out)


def test_outline_and_light_fill():
    img = np.full((8, 8, 3), 100, np.uint8)
    pm = np.full((8, 8), -1)
    pm[1:6, 1:6] = 0
    out = overlay(img, pm)
    r, g, b = (int(PALETTE[0][i:i + 2], 16) for i in (1, 3, 5))
    assert out[1, 1].tolist() == [r, g, b]                     # border pixel: the part's colour, opaque
    assert out[3, 3].tolist() == [round(100 * (1 - FILL) + FILL * v) for v in (r, g, b)]   # interior: light fill
    assert out[7, 7].tolist() == [100, 100, 100]               # background untouched
    assert outline(pm == 0).sum() == 16 and part_color(len(PALETTE)) == PALETTE[0]


def test_first_parts_stay_distinct_under_deuteranopia():
    labs = [_srgb_to_lab(_deuteranopia(c)) for c in PALETTE[:5]]
    worst = min(np.linalg.norm(a - b) for i, a in enumerate(labs) for b in labs[i + 1:])
    assert worst > 20   # the old palette's parts 0 and 1 (red, green) were ~9 apart


def test_files(tmp_path):
    img = np.full((6, 6, 3), 50, np.uint8)
    pm = np.full((6, 6), -1)
    pm[:3], pm[4:, 4:] = 0, 2
    path = tmp_path / "overlays" / "pca" / "c" / "a.png"
    write_overlay(path, img, pm)
    assert np.array_equal(np.asarray(Image.open(path)), overlay(img, pm))
    lay = np.asarray(Image.open(layer_path(path, 2)))
    assert lay.shape == (6, 6, 4) and np.array_equal(lay, layer(pm, 2)) and (lay[pm != 2, 3] == 0).all()
    assert not layer_path(path, 1).exists()   # only parts present get a layer
    write_original(tmp_path / "o.png", img)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "o.png")), img)
    mask = np.zeros((6, 6), np.uint8)
    mask[:2] = 2
    write_mask(tmp_path / "m.png", img, mask, {1: "wheel", 2: "<roof>"})
    assert json.loads((tmp_path / "m.json").read_text()) == {"parts": [{"name": "<roof>", "color": PALETTE[1]}]}
