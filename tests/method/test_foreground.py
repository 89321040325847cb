"""SVD foreground, connected components, upsampling, optional CRF (spec §2.2.2-3) on planted synthetic features."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from generator.method.foreground import (crf_available, foreground_masks, keep_main_components, refine_crf,
                                         spectral_components, upsample_masks)

C = 16


def planted(objects: np.ndarray, noise: float = 0.05, seed: int = 0) -> torch.Tensor:
    """(B,h,w) bool -> (B,h,w,C) features: a shared direction plus a background or an object direction, plus noise."""
    g = torch.Generator().manual_seed(seed)
    shared, bg, obj = torch.eye(C)[:3]
    obj_mask = torch.from_numpy(objects)[..., None]
    return torch.where(obj_mask, shared + obj, shared + bg) + noise * torch.randn(*objects.shape, C, generator=g)


def test_recovers_planted_square():
    objects = np.zeros((3, 8, 8), bool)
    objects[0, 1:5, 1:5] = True
    objects[1, 4:7, 2:6] = True
    objects[2, 2:6, 3:7] = True
    masks = foreground_masks(planted(objects))
    assert masks.dtype == bool and masks.shape == (3, 8, 8)
    np.testing.assert_array_equal(masks, objects)


def test_planted_square_survives_feature_scale_and_sign_of_svd():
    """Rows are L2-normalised (scale-free) and the sign fix makes the answer independent of SVD's sign."""
    objects = np.zeros((2, 8, 8), bool)
    objects[0, 2:6, 2:6] = True
    objects[1, 0:3, 0:4] = True
    feats = planted(objects)
    feats = feats * torch.linspace(0.5, 3.0, 2 * 8 * 8).reshape(2, 8, 8, 1)
    np.testing.assert_array_equal(foreground_masks(feats), objects)
    u = spectral_components(feats)
    assert u.shape == (2 * 8 * 8, 3)
    positive = (u > 0).float().mean(0)
    assert bool(((positive <= 0.5) | (positive == 1.0)).all())


def test_second_component_rule():
    """Largest component + the second if >= second_min patches; a third never; 8-connectivity."""
    objects = np.zeros((3, 8, 8), bool)
    objects[0, 0:3, 0:3] = True          # 9
    objects[0, 5:8, 0:2] = True          # 6  -> kept (second, >= 5)
    objects[0, 0, 5:8] = True            # 3 + 2 below = 5 -> third largest, dropped
    objects[0, 1:3, 7] = True
    objects[1, 0:3, 0:3] = True          # 9
    objects[1, 6:8, 6:8] = True          # 4  -> second but < 5, dropped
    objects[2, 0:2, 0:2] = True          # 4 + diagonal chain = one component of 6
    objects[2, 2, 2] = objects[2, 3, 3] = True
    objects[2, 6:8, 0:2] = True          # 4 -> dropped
    expected = np.zeros_like(objects)
    expected[0, 0:3, 0:3] = expected[0, 5:8, 0:2] = True
    expected[1, 0:3, 0:3] = True
    expected[2, 0:2, 0:2] = True
    expected[2, 2, 2] = expected[2, 3, 3] = True
    masks = foreground_masks(planted(objects))
    np.testing.assert_array_equal(masks, expected)
    # second_min is honoured: with 4 the 4-patch second component of image 1 is kept
    kept = foreground_masks(planted(objects), second_min=4)
    assert kept[1, 6:8, 6:8].all() and kept[1].sum() == 13


def test_keep_main_components_directly():
    m = np.zeros((6, 6), bool)
    m[0:2, 0:3] = True                   # 6
    m[4:6, 4:6] = True                   # 4
    m[3, 0] = True                       # 1
    np.testing.assert_array_equal(keep_main_components(m, 5), m & (np.arange(6)[:, None] < 2))
    np.testing.assert_array_equal(keep_main_components(m, 4), m & ~((np.arange(6)[:, None] == 3)))
    assert not keep_main_components(np.zeros((4, 4), bool)).any()


def test_image_without_object_gets_an_empty_mask():
    objects = np.zeros((3, 8, 8), bool)
    objects[0, 1:5, 1:5] = True
    objects[2, 3:7, 3:7] = True          # image 1 has no object at all
    masks = foreground_masks(planted(objects))
    assert not masks[1].any()
    np.testing.assert_array_equal(masks, objects)
    # a threshold above every score leaves every image empty (explain then yields no parts)
    assert not foreground_masks(planted(objects), threshold=1.0).any()


def test_component_out_of_range_is_a_clear_error():
    with pytest.raises(ValueError, match="foreground component 3 does not exist.*only 2"):
        foreground_masks(torch.randn(1, 2, 2, 2), component=3)


def test_upsample_masks_nearest():
    masks = np.array([[[True, False], [False, True]]])
    up = upsample_masks(masks, 4)
    assert up.dtype == bool and up.shape == (1, 4, 4)
    np.testing.assert_array_equal(up[0], np.kron(masks[0], np.ones((2, 2), bool)))
    rng = np.random.default_rng(0)
    odd = rng.random((2, 3, 3)) > 0.5
    for i in range(2):            # non-integer factor: same mapping as cv2.INTER_NEAREST
        ref = cv2.resize(odd[i].astype(np.uint8), (7, 7), interpolation=cv2.INTER_NEAREST).astype(bool)
        np.testing.assert_array_equal(upsample_masks(odd, 7)[i], ref)


def test_crf_available_matches_import():
    try:
        import denseCRF  # noqa: F401
        importable = True
    except ImportError:
        importable = False
    assert crf_available() is importable


@pytest.mark.skipif(not crf_available(), reason="SimpleCRF (optional extra 'crf') is not installed")
def test_refine_crf_snaps_to_the_image_edge():
    image = np.zeros((32, 32, 3), np.uint8)
    image[8:24, 8:24] = 200
    mask = np.zeros((32, 32), bool)
    mask[6:20, 6:20] = True              # overshoots the bright square by 2 px on the top/left
    refined = refine_crf(mask, image, (10, 40, 13, 3, 3, 5))
    assert refined.dtype == bool and refined.shape == (32, 32)
    expected = np.zeros((32, 32), bool)
    expected[8:20, 8:20] = True
    np.testing.assert_array_equal(refined, expected)


def test_refine_crf_without_simplecrf_says_how_to_fix(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_crf(name, *a, **k):
        if name == "denseCRF":
            raise ImportError("no denseCRF")
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_crf)
    assert crf_available() is False
    with pytest.raises(RuntimeError, match="SimpleCRF.*'crf' setting off"):
        refine_crf(np.zeros((4, 4), bool), np.zeros((4, 4, 3), np.uint8), (10, 40, 13, 3, 3, 5))


# ---- the registry of foreground methods ---------------------------------------------------------------------------

from generator.method.foreground import FOREGROUND_METHODS, border_share  # noqa: E402


def _central_objects(b: int = 3) -> np.ndarray:
    objects = np.zeros((3, 8, 8), bool)
    objects[0, 2:6, 2:5] = True
    objects[1, 3:7, 1:5] = True
    objects[2, 1:4, 3:7] = True
    return objects[:b]


def test_registry_holds_the_measured_methods_and_the_default_is_the_papers():
    assert {"batch_svd", "image_svd", "batch_svd_majority", "image_svd_majority", "image_svd_border",
            "border_contrast", "every_patch"} <= set(FOREGROUND_METHODS)
    objects = _central_objects()
    np.testing.assert_array_equal(foreground_masks(planted(objects)),
                                  foreground_masks(planted(objects), method="batch_svd"))


@pytest.mark.parametrize("method", ["image_svd", "image_svd_border", "border_contrast"])
def test_per_image_methods_recover_a_planted_object(method):
    objects = _central_objects()
    np.testing.assert_array_equal(foreground_masks(planted(objects), method=method), objects)


def test_majority_side_is_the_opposite_sign():
    objects = _central_objects()
    maj = foreground_masks(planted(objects), method="image_svd_majority", second_min=100)
    # the background (majority, one ring-shaped component) is what the opposite sign keeps
    np.testing.assert_array_equal(maj, ~objects)


def test_border_contrast_ignores_which_side_is_the_minority():
    """An object covering most of the frame (the minority-sign heuristic picks the background) is still found."""
    objects = np.zeros((2, 8, 8), bool)
    objects[:, 1:7, 1:7] = True                          # 36 of 64 patches: the object is the majority
    np.testing.assert_array_equal(foreground_masks(planted(objects), method="border_contrast"), objects)
    assert not np.array_equal(foreground_masks(planted(objects), method="batch_svd"), objects)


def test_every_patch_and_border_share_and_unknown_method():
    feats = planted(_central_objects(2))
    assert foreground_masks(feats, method="every_patch").all()
    m = np.zeros((4, 4), bool)
    m[0, 0] = m[1, 1] = True
    assert border_share(m) == 0.5 and border_share(np.zeros((4, 4), bool)) == 1.0
    with pytest.raises(ValueError, match="unknown foreground method 'magic'.*batch_svd"):
        foreground_masks(feats, method="magic")
