"""Parts: PCA / K-means over a batch's foreground patches, joint ids, background -1, edge cases (spec §2.2.4)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from sklearn.preprocessing import MinMaxScaler

from generator.method.parts import PART_METHODS, part_maps, pixel_part_maps

B, H, W, C, K = 3, 8, 8, 16, 3


def planted(seed: int = 0, noise: float = 0.1):
    """Foreground = the central 6x6 of each image, its patches drawn from K clusters along orthogonal axes;
    background far away along another axis. Returns (features, fg mask, true cluster per patch (-1 background))."""
    rng = np.random.default_rng(seed)
    fg = np.zeros((B, H, W), bool)
    fg[:, 1:7, 1:7] = True
    truth = np.full((B, H, W), -1)
    truth[fg] = rng.integers(0, K, fg.sum())
    feats = rng.normal(0, noise, (B, H, W, C))
    feats[fg] += 3 * np.eye(C)[truth[fg]]
    feats[~fg] += 5 * np.eye(C)[K + 2]
    return torch.tensor(feats, dtype=torch.float32), fg, truth


def contingency(truth: np.ndarray, labels: np.ndarray, fg: np.ndarray) -> np.ndarray:
    table = np.zeros((K, K), int)
    np.add.at(table, (truth[fg], labels[fg]), 1)
    return table


def test_registry_names():
    assert {"pca", "kmeans"} <= set(PART_METHODS)


@pytest.mark.parametrize("method", ["pca", "kmeans"])
def test_background_is_minus_one_and_ids_in_range(method):
    feats, fg, _ = planted()
    maps = part_maps(feats, fg, method, n_parts=K, seed=0)
    assert maps.shape == (B, H, W) and np.issubdtype(maps.dtype, np.integer)
    assert (maps[~fg] == -1).all()
    assert ((maps[fg] >= 0) & (maps[fg] < K)).all()


def test_kmeans_recovers_planted_clusters_jointly_across_images():
    feats, fg, truth = planted()
    maps = part_maps(feats, fg, "kmeans", n_parts=K, seed=0)
    table = contingency(truth, maps, fg)
    # a perfect one-to-one match: each true cluster -> one label (the same label in every image)
    assert sorted(np.count_nonzero(table, axis=1)) == [1, 1, 1]
    assert len(set(table.argmax(axis=1))) == K


def test_kmeans_uses_normalised_features():
    feats, fg, _ = planted()
    scale = torch.from_numpy(np.random.default_rng(1).uniform(0.2, 5.0, (B, H, W, 1))).float()
    a = part_maps(feats, fg, "kmeans", n_parts=K, seed=0)
    b = part_maps(feats * scale, fg, "kmeans", n_parts=K, seed=0)
    np.testing.assert_array_equal(a, b)


def test_pca_recovers_planted_clusters_mostly():
    """PCA parts are argmax over min-max-scaled components, not a clustering: with K clusters only K-1 components
    carry signal, so a few patches may follow the noise component; the planted clusters must still dominate."""
    feats, fg, truth = planted(noise=0.05)
    maps = part_maps(feats, fg, "pca", n_parts=K, seed=0)
    table = contingency(truth, maps, fg)
    assert len(set(table.argmax(axis=1))) == K
    assert table.max(axis=1).sum() / table.sum() >= 0.95


def test_pca_is_the_official_recipe_on_raw_joint_foreground():
    feats, fg, _ = planted()
    fg = fg.copy()
    fg[1, 1:4] = False                  # uneven foreground per image
    raw = feats.numpy()[fg].astype(np.float64)
    expected = MinMaxScaler(clip=True).fit_transform(PCA(K, random_state=0).fit_transform(raw)).argmax(1)
    maps = part_maps(feats, fg, "pca", n_parts=K, seed=0)
    np.testing.assert_array_equal(maps[fg], expected)


@pytest.mark.parametrize("method", ["pca", "kmeans"])
def test_deterministic_for_a_seed(method):
    feats, fg, _ = planted(noise=1.0)    # no clear clusters: initialisation matters
    a = part_maps(feats, fg, method, n_parts=5, seed=3)
    b = part_maps(feats, fg, method, n_parts=5, seed=3)
    np.testing.assert_array_equal(a, b)


def test_kmeans_iter_limit_is_passed_through():
    feats, fg, _ = planted(noise=1.0)
    one = part_maps(feats, fg, "kmeans", n_parts=5, seed=3, iter_limit=1)
    many = part_maps(feats, fg, "kmeans", n_parts=5, seed=3, iter_limit=500)
    assert (one != many).any()


@pytest.mark.parametrize("method", ["pca", "kmeans"])
def test_no_foreground_gives_all_background(method):
    feats, _, _ = planted()
    maps = part_maps(feats, np.zeros((B, H, W), bool), method, n_parts=5)
    assert (maps == -1).all()


@pytest.mark.parametrize("method", ["pca", "kmeans"])
def test_fewer_foreground_patches_than_parts(method):
    feats, _, _ = planted()
    fg = np.zeros((B, H, W), bool)
    fg[0, 0, 0] = fg[2, 4, 4] = fg[2, 7, 7] = True
    maps = part_maps(feats, fg, method, n_parts=5, seed=0)
    assert (maps[~fg] == -1).all()
    assert set(maps[fg]) <= {0, 1, 2}
    if method == "kmeans":               # three distinct points, three clusters
        assert len(set(maps[fg])) == 3
    single = np.zeros((B, H, W), bool)
    single[1, 2, 2] = True
    assert part_maps(feats, single, method, n_parts=5)[1, 2, 2] == 0


def test_bad_arguments_are_clear_errors():
    feats, fg, _ = planted()
    with pytest.raises(ValueError, match="unknown part method 'dbscan'.*kmeans, pca"):
        part_maps(feats, fg, "dbscan")
    with pytest.raises(ValueError, match="does not match the patch grid"):
        part_maps(feats, fg[:, :4], "pca")


def test_pixel_part_maps_nearest_and_keep():
    maps = np.array([[[0, 1], [-1, 2]]])
    pixels = pixel_part_maps(maps, 4)
    np.testing.assert_array_equal(pixels[0], np.kron(maps[0], np.ones((2, 2), int)))
    keep = np.ones((1, 4, 4), bool)
    keep[0, 0, :] = False
    kept = pixel_part_maps(maps, 4, keep)
    assert (kept[0, 0] == -1).all()
    np.testing.assert_array_equal(kept[0, 1:], pixels[0, 1:])
    with pytest.raises(ValueError, match="keep mask"):
        pixel_part_maps(maps, 4, keep[:, :2])
