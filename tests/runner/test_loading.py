"""Class prefetching with DataLoader workers gives the same images as the synchronous path (issue 11)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from generator.registry.datasets import Preprocess
from generator.runner import loading
from tests.fixtures.images import make_image_folder


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    root = make_image_folder(tmp_path_factory.mktemp("img") / "f", per_class=2, size=40)
    return [sorted(d.iterdir()) for d in sorted(p for p in root.iterdir() if p.is_dir())]


def test_workers_give_the_synchronous_images(batches):
    pre = Preprocess(32)
    with loading.ClassLoader(pre, batches, workers=2) as loader:
        for i, paths in enumerate(batches):
            x, raw = loader.get(i, paths)[:2]
            want_x, want_raw = pre.load_batch(paths)
            assert np.array_equal(raw, want_raw) and torch.equal(x, want_x)


def test_skipped_units_are_dropped_and_out_of_order_is_synchronous(batches):
    pre = Preprocess(32)
    loader = loading.ClassLoader(pre, batches, workers=1)
    x, raw = loader.get(2, batches[2])[:2]        # units 0 and 1 were done elsewhere
    assert np.array_equal(raw, pre.load_batch(batches[2])[1]) and loader._next == 3
    x, raw = loader.get(0, batches[0])[:2]        # behind the loader: decoded here
    assert np.array_equal(raw, pre.load_batch(batches[0])[1])
    loader.close()


def test_no_workers_on_cpu_by_default(batches):
    assert loading.default_workers("cpu") == 0 and loading.default_workers("cuda") >= 1
    loader = loading.ClassLoader(Preprocess(32), batches)
    assert loader._it is None
    assert np.array_equal(loader.get(0, batches[0])[1], Preprocess(32).load_batch(batches[0])[1])


def test_unreadable_images_come_back_from_workers_as_skipped(tmp_path, batches):
    """A corrupt image in a worker is returned as skipped (issue 10: one bad file must not stop the run)."""
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    good = batches[0][0]
    loader = loading.ClassLoader(Preprocess(32), [[bad, good]], workers=1)
    x, raw, kept, skipped, notes = loader.get(0, [bad, good])
    assert kept == [1] and len(raw) == 1 and "bad.png: cannot read this image" in str(skipped[0])
    assert np.array_equal(raw, Preprocess(32).load_batch([good])[1])
