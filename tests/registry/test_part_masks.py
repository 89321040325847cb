"""Ground-truth part masks: found for datasets with ``.masks/parts.json``, nearest-neighbour resizing, identity keys,
clear errors for broken metadata or missing masks."""
import json

import numpy as np
import pytest

from generator.demo.dataset import write_dataset
from generator.errors import UserError
from generator.registry.datasets import scan_image_folder
from generator.registry.part_masks import PartMasks, find_part_masks, load_mask
from generator.runner.units import make_units
from generator.method.config import MethodConfig
from tests.fixtures.images import make_image_folder

UNIT_ARGS = dict(model_id="m", weights="w", descriptor_sha256="s", templates=["a {}"], cfg=MethodConfig(), seed=0,
                 overlays_per_class=0)


@pytest.fixture()
def demo(tmp_path):
    root = tmp_path / "demo"
    write_dataset(root, per_class=1)
    return root


def test_plain_folder_has_no_masks(tmp_path):
    root = make_image_folder(tmp_path / "d", per_class=1)
    assert find_part_masks(root) is None and scan_image_folder(root).part_masks is None


def test_demo_dataset_masks_names_and_resizing(demo):
    pm = scan_image_folder(demo).part_masks
    assert isinstance(pm, PartMasks) and pm.part_names[1] == "wall" and pm.descriptor_parts
    full = pm.mask("house/0000.png")
    assert full.shape == (64, 64) and full.dtype == np.uint8
    assert np.array_equal(full, load_mask(demo, demo / "house" / "0000.png"))
    small, big = pm.mask("house/0000.png", 32), pm.mask("house/0000.png", 128)
    assert small.shape == (32, 32) and big.shape == (128, 128)
    assert set(np.unique(small)) <= set(np.unique(full)) and set(np.unique(big)) == set(np.unique(full))  # nearest
    assert "wall" in pm.names_present(full) and pm.masks(["house/0000.png", "car/0000.png"], 16).shape == (2, 16, 16)


def test_unit_keys_follow_the_masks(demo):
    ds = scan_image_folder(demo)
    keys = [u.key for u in make_units(ds, **UNIT_ARGS)]
    ds.part_masks = None
    assert all(a != b for a, b in zip(keys, (u.key for u in make_units(ds, **UNIT_ARGS))))
    house = ds.classes[[c.folder for c in ds.classes].index("house")].index
    mask = demo / ".masks" / "house" / "0000.png"
    mask.write_bytes(mask.read_bytes() + b"\0")  # a changed mask recomputes its class only
    after = [u.key for u in make_units(scan_image_folder(demo), **UNIT_ARGS)]
    assert [a == b for a, b in zip(keys, after)] == [i != house for i in range(len(keys))]


def test_missing_mask_and_bad_metadata_are_user_errors(demo):
    (demo / ".masks" / "car" / "0000.png").unlink()
    with pytest.raises(UserError, match=r"no mask for 1 image\(s\), e.g. car/0000.png"):
        scan_image_folder(demo)
    (demo / ".masks" / "parts.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(UserError, match="parts.json: expected format"):
        scan_image_folder(demo)
    (demo / ".masks" / "parts.json").write_text("{not json")
    with pytest.raises(UserError, match="not valid JSON"):
        scan_image_folder(demo)
