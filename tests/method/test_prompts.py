"""Visual prompts: red outline, grayscale outside, blur outside (spec §2.3.1)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from generator.method import prompts
from generator.method.prompts import PROMPT_KINDS, fit_part_ellipse, part_prompts

S = 64
RED = np.array([255, 0, 0], np.uint8)


def _image(seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (S, S, 3), dtype=np.uint8)


def _scene():
    """part 0: a disk; part 2: a tilted bar; part 1 is absent."""
    yy, xx = np.mgrid[:S, :S]
    pm = np.full((S, S), -1, np.int64)
    pm[(xx - 20) ** 2 + (yy - 22) ** 2 <= 8 ** 2] = 0
    u, v = (xx - 44) * 0.8 + (yy - 44) * 0.6, -(xx - 44) * 0.6 + (yy - 44) * 0.8
    pm[(np.abs(u) <= 12) & (np.abs(v) <= 4)] = 2
    return pm


def _level(ellipse):
    """Analytic (u/a)^2 + (v/b)^2 of every pixel centre for a cv2 RotatedRect: < 1 inside, > 1 outside."""
    (cx, cy), (w, h), ang = ellipse
    t = np.deg2rad(ang)
    yy, xx = np.mgrid[:S, :S].astype(float)
    dx, dy = xx - cx, yy - cy
    u, v = dx * np.cos(t) + dy * np.sin(t), -dx * np.sin(t) + dy * np.cos(t)
    return (u / (w / 2)) ** 2 + (v / (h / 2)) ** 2


def test_registry_has_the_three_kinds():
    assert set(PROMPT_KINDS) == {"red", "gray", "blur"}


def test_absent_parts_give_no_prompt_and_shapes():
    img, pm = _image(), _scene()
    ids, out = part_prompts(img, pm)
    assert ids == [0, 2]
    assert out.shape == (2, 3, S, S, 3) and out.dtype == np.uint8
    ids, out = part_prompts(img, np.full((S, S), -1))
    assert ids == [] and out.shape == (0, 3, S, S, 3)
    ids, out = part_prompts(img, pm, kinds=("blur",))
    assert out.shape == (2, 1, S, S, 3)


def test_ellipse_fits_the_part():
    (cx, cy), (w, h), _ = fit_part_ellipse(_scene() == 0)
    assert abs(cx - 20) < 0.5 and abs(cy - 22) < 0.5
    assert 14 <= w <= 18 and 14 <= h <= 18  # disk of radius 8 (contour runs through the border pixel centres)
    (cx, cy), (w, h), ang = fit_part_ellipse(_scene() == 2)
    assert abs(cx - 44) < 1 and abs(cy - 44) < 1 and max(w, h) > 2 * min(w, h)


@pytest.mark.parametrize("part", [0, 2])
def test_prompts_change_exactly_the_right_pixels(part):
    img, pm = _image(), _scene()
    ids, out = part_prompts(img, pm)
    red, gray, blur = out[ids.index(part)]
    ell = fit_part_ellipse(pm == part)
    level = _level(ell)
    # the red kind: only outline pixels change, they are pure red and lie on the ellipse
    changed = np.any(red != img, axis=-1)
    assert changed.sum() > 10
    assert np.all(red[changed] == RED)
    assert np.all(np.abs(np.sqrt(level[changed]) - 1) < 0.35)
    outline = np.all(red == RED, axis=-1)
    fill = prompts.ellipse_fill((S, S), ell)
    assert np.array_equal(outline & ~np.all(img == RED, axis=-1), changed)
    # independent of cv2's rasterisation: deep inside untouched, far outside processed
    inside, outside = level < 0.6, level > 1.6
    assert inside.sum() > 10 and np.all(fill[inside]) and not np.any(fill[outside])
    g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    b = cv2.GaussianBlur(img, (11, 11), 0)
    for kind_img in (gray, blur):
        assert np.array_equal(kind_img[inside], img[inside])
    assert np.all(gray[outside] == g[outside][:, None])
    assert np.array_equal(blur[outside], b[outside])
    # exact composition on every pixel: outline red, else filled-ellipse original, else gray / blurred
    keep = fill & ~outline
    rest = ~fill & ~outline
    assert np.all(gray[outline] == RED) and np.all(blur[outline] == RED)
    assert np.array_equal(gray[keep], img[keep]) and np.array_equal(blur[keep], img[keep])
    assert np.all(gray[rest] == g[rest][:, None]) and np.array_equal(blur[rest], b[rest])
    assert not np.array_equal(blur[rest], img[rest])


def test_deterministic():
    img, pm = _image(3), _scene()
    a = part_prompts(img, pm)[1]
    b = part_prompts(img.copy(), pm.copy())[1]
    assert np.array_equal(a, b)


def test_thickness_and_kernel_are_used():
    img, pm = _image(), _scene()
    thin = part_prompts(img, pm, kinds=("red",), thickness=1)[1]
    thick = part_prompts(img, pm, kinds=("red",), thickness=3)[1]
    assert np.all(thick == RED, axis=-1).sum() > np.all(thin == RED, axis=-1).sum()
    b5 = part_prompts(img, pm, kinds=("blur",), blur_kernel=5)[1]
    b11 = part_prompts(img, pm, kinds=("blur",))[1]
    assert not np.array_equal(b5, b11)


@pytest.mark.parametrize("pixels", [[(10, 12)], [(0, 0)], [(10, 12), (10, 13)], [(5, 5), (5, 6), (6, 5), (6, 6)]])
def test_tiny_parts_work(pixels):
    img = _image()
    pm = np.full((S, S), -1)
    for y, x in pixels:
        pm[y, x] = 4
    ids, out = part_prompts(img, pm)
    assert ids == [4]
    (cx, cy), (w, h), _ = fit_part_ellipse(pm == 4)
    ys, xs = zip(*pixels)
    assert abs(cx - np.mean(xs)) <= 0.5 and abs(cy - np.mean(ys)) <= 0.5 and max(w, h) < 5
    changed = np.any(out[0, 0] != img, axis=-1)
    yy, xx = np.nonzero(changed)
    assert len(yy) > 0 and np.all(np.abs(yy - np.mean(ys)) <= 3) and np.all(np.abs(xx - np.mean(xs)) <= 3)
    assert np.array_equal(part_prompts(img, pm)[1], out)


def test_scattered_part_uses_largest_piece():
    img = _image()
    pm = np.full((S, S), -1)
    pm[10:30, 10:30] = 1      # big piece
    pm[50:53, 50:53] = 1      # small stray piece, far away
    _, out = part_prompts(img, pm, kinds=("gray",))
    g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    assert np.all(out[0, 0, 50:53, 50:53] == g[50:53, 50:53][..., None])  # stray piece is outside the ellipse
    assert np.array_equal(out[0, 0, 18:22, 18:22], img[18:22, 18:22])


def test_bad_input():
    with pytest.raises(ValueError, match="uint8"):
        part_prompts(np.zeros((S, S, 3), np.float32), _scene())
    with pytest.raises(ValueError, match="unknown prompt kind"):
        part_prompts(_image(), _scene(), kinds=("sepia",))
    with pytest.raises(ValueError, match="does not match"):
        part_prompts(_image(), _scene()[:10])
