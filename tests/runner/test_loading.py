"""Class prefetching with DataLoader workers gives the same images as the synchronous path (issue 11)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from generator.errors import UserError
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
            x, raw = loader.get(i, paths)
            want_x, want_raw = pre.load_batch(paths)
            assert np.array_equal(raw, want_raw) and torch.equal(x, want_x)


def test_skipped_units_are_dropped_and_out_of_order_is_synchronous(batches):
    pre = Preprocess(32)
    loader = loading.ClassLoader(pre, batches, workers=1)
    x, raw = loader.get(2, batches[2])        # units 0 and 1 were done elsewhere
    assert np.array_equal(raw, pre.load_batch(batches[2])[1]) and loader._next == 3
    x, raw = loader.get(0, batches[0])        # behind the loader: decoded here
    assert np.array_equal(raw, pre.load_batch(batches[0])[1])
    loader.close()


def test_no_workers_on_cpu_by_default(batches):
    assert loading.default_workers("cpu") == 0 and loading.default_workers("cuda") >= 1
    loader = loading.ClassLoader(Preprocess(32), batches)
    assert loader._it is None
    assert np.array_equal(loader.get(0, batches[0])[1], Preprocess(32).load_batch(batches[0])[1])


def test_worker_error_is_the_one_line_user_error(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    loader = loading.ClassLoader(Preprocess(32), [[bad]], workers=1)
    with pytest.raises(UserError, match="bad.png: cannot read this image"):
        loader.get(0, [bad])
