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


# ---- spectral_components: eigh of the Gram matrix equals the SVD (issue 11) ---------------------------------------

import generator.method.foreground as fgmod  # noqa: E402

SVD_TOL = 1e-5   # max |difference| of the sign-fixed columns (unit vectors of n entries), float32 SVD vs eigh


def _svd_reference(patches: torch.Tensor, k: int = 3) -> torch.Tensor:
    """The implementation before issue 11: torch.linalg.svd, first k columns, majority sign fix."""
    flat = torch.nn.functional.normalize(patches.reshape(-1, patches.shape[-1]).float(), dim=-1)
    u = torch.linalg.svd(flat, full_matrices=False)[0][:, :k].clone()
    positive = (u > 0).float().mean(dim=0)
    flip = (positive > 0.5) & (positive < 1.0)
    u[:, flip] = -u[:, flip]
    return u


def _counting_svd(monkeypatch) -> list:
    calls, real = [], torch.linalg.svd

    def counted(*a, **k):
        calls.append(a[0].shape)
        return real(*a, **k)
    monkeypatch.setattr(fgmod.torch.linalg, "svd", counted)
    return calls


@pytest.mark.parametrize("shape", [(1, 7, 7, 96), (2, 7, 7, 96), (3, 5, 5, 300), (51, 7, 7, 32)])
def test_eigh_matches_svd_on_random_features(shape, monkeypatch):
    """n >= C (XᵀX) and n < C (XXᵀ): random features with a few strong directions. No SVD runs unless a column
    is split exactly 50/50 (it happens: shape (2,7,7,96) has 49 of 98 positive in component 1)."""
    g = torch.Generator().manual_seed(1)
    n, c = int(np.prod(shape[:3])), shape[3]
    x = torch.randn(n, 4, generator=g) @ (torch.randn(4, c, generator=g) * torch.tensor([[6.], [4.], [3.], [2.]]))
    x = (x + torch.randn(n, c, generator=g)).reshape(shape)
    ref = _svd_reference(x)
    calls = _counting_svd(monkeypatch)
    u = spectral_components(x)
    assert u.dtype == torch.float32 and u.shape == ref.shape
    assert float((u - ref).abs().max()) < SVD_TOL
    ties = bool(((ref > 0).float().mean(dim=0) == 0.5).any())
    assert len(calls) == int(ties) and ties == (shape == (2, 7, 7, 96))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_eigh_matches_svd_on_planted_and_tiny_model_features(sign, monkeypatch):
    """Structured inputs: the planted fixtures, and the patch features of the tiny random ViT on generated images
    (highly correlated: component 0 of one sign, which the majority rule cannot orient -> the SVD's column)."""
    from generator.method.features import encode_images
    from tests.fixtures.images import shape_image
    from tests.fixtures.tiny import tiny_model

    objects = np.zeros((3, 8, 8), bool)
    objects[0, 1:5, 1:5] = objects[1, 4:7, 2:6] = objects[2, 2:6, 3:7] = True
    torch.manual_seed(0)
    model, size = tiny_model("vit")
    rng = np.random.default_rng(0)
    ims = np.stack([np.asarray(shape_image(s, "red", size, rng)) for s in ("circle", "square", "triangle") * 2])
    x = torch.from_numpy(ims).permute(0, 3, 1, 2).float() / 255
    tiny = encode_images(model, x).patches
    real = fgmod._eigh_left_singular_vectors       # either sign of eigh's vectors gives the SVD's answer
    monkeypatch.setattr(fgmod, "_eigh_left_singular_vectors", lambda x, k: sign * real(x, k))
    for feats in (planted(objects), planted(objects, noise=0.3, seed=2), tiny, tiny[:1]):
        ref = _svd_reference(feats)
        assert float((spectral_components(feats) - ref).abs().max()) < SVD_TOL


def test_degenerate_inputs_keep_the_svd_answer():
    """Rank < 3, n < 3, C < 3, zero rows, all-zero input: the same shapes and values as the SVD."""
    g = torch.Generator().manual_seed(3)
    rank2 = (torch.randn(40, 2, generator=g) @ torch.randn(2, 16, generator=g)).reshape(1, 5, 8, 16)
    zero_rows = torch.randn(1, 4, 4, 16, generator=g)
    zero_rows[0, 0, :3] = 0
    cases = [rank2, torch.randn(1, 1, 2, 16, generator=g), torch.randn(1, 4, 4, 2, generator=g), zero_rows,
             torch.zeros(1, 2, 2, 8), torch.randn(1, 1, 1, 5, generator=g)]
    for feats in cases:
        ref = _svd_reference(feats)
        u = spectral_components(feats)
        assert u.shape == ref.shape, feats.shape
        assert (float((u - ref).abs().max()) if u.numel() else 0.0) < SVD_TOL, feats.shape


def test_an_exact_tie_keeps_the_svds_sign(monkeypatch):
    """Component 1 split exactly 50/50 (mirror-symmetric features): the majority rule cannot orient it, so the
    SVD's own sign is kept for the column a method uses, and the masks equal the SVD implementation's."""
    g = torch.Generator().manual_seed(4)
    half = torch.randn(32, 16, generator=g) * 0.1 + torch.eye(16)[0]
    a = half + torch.eye(16)[1]
    b = half - torch.eye(16)[1]
    feats = torch.cat([a, b]).reshape(1, 8, 8, 16)
    ref = _svd_reference(feats)
    assert float((ref[:, 1] > 0).float().mean()) == 0.5
    real = fgmod._eigh_left_singular_vectors
    for sign in (1.0, -1.0):      # whatever sign eigh returns, the result is the SVD's
        monkeypatch.setattr(fgmod, "_eigh_left_singular_vectors", lambda x, k: sign * real(x, k))
        u = spectral_components(feats, columns=(1,))
        np.testing.assert_array_equal(u[:, 1].numpy(), ref[:, 1].numpy())
        assert bool(fgmod._sign_open(u)[1])
        assert float((u[:, 2] - ref[:, 2]).abs().max()) < SVD_TOL          # an orientable column: eigh's


@pytest.mark.parametrize("method", sorted(FOREGROUND_METHODS))
def test_every_method_gives_the_svd_implementations_masks(method, monkeypatch):
    """Every registered foreground method: identical masks with the eigh path and with the SVD implementation."""
    objects = _central_objects()
    big = np.zeros((2, 8, 8), bool)
    big[:, 1:7, 1:7] = True
    torch.manual_seed(0)
    inputs = [planted(objects), planted(objects, noise=0.3, seed=5), planted(big), torch.randn(2, 6, 6, 24)]
    new = [foreground_masks(x, method=method) for x in inputs]
    monkeypatch.setattr(fgmod, "spectral_components", lambda p, n=3, columns=None: _svd_reference(p, n))
    for x, m in zip(inputs, new):
        np.testing.assert_array_equal(m, foreground_masks(x, method=method))


def test_the_decomposition_runs_on_one_cpu_thread_and_restores_the_setting(monkeypatch):
    """LAPACK on two oversubscribed threads was 3-15x slower than on one (measured); the setting is restored."""
    seen, real = [], torch.linalg.eigh

    def eigh(*a, **k):
        seen.append(torch.get_num_threads())
        return real(*a, **k)
    before = torch.get_num_threads()
    monkeypatch.setattr(fgmod.torch.linalg, "eigh", eigh)
    torch.set_num_threads(2)
    try:
        spectral_components(planted(_central_objects()))
        assert seen == [1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
