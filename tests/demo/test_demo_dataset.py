"""Dataset-with-masks format: writer, readers, registry compatibility, shipped demo dataset."""
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generator.demo.dataset import has_masks, load_mask, load_parts, mask_path, write_dataset
from generator.demo.render import render_indexed
from generator.demo.world import CLASS_NAMES, PART_INDEX
from generator.errors import UserError

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "demo" / "dataset"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    d = tmp_path_factory.mktemp("ds") / "demo"
    write_dataset(d, per_class=2, seed=5)
    return d


def test_layout_masks_hidden_from_class_scan(tiny):
    from generator.registry.datasets import scan_image_folder

    ds = scan_image_folder(tiny)
    assert len(ds.classes) == len(CLASS_NAMES) and ds.n_images == 2 * len(CLASS_NAMES)
    assert sorted(ds.classnames) == sorted(CLASS_NAMES)
    assert has_masks(tiny)


def test_masks_match_the_renderer(tiny):
    meta = load_parts(tiny)
    assert meta["parts"] == {i: n for n, i in PART_INDEX.items()}
    for i in (0, 13):
        s = render_indexed("dataset", 5, i, CLASS_NAMES)
        folder = meta["classes"][s.class_name]["folder"]
        img = tiny / folder / f"{i // len(CLASS_NAMES):04d}.png"
        assert np.array_equal(np.asarray(Image.open(img)), s.image)
        assert np.array_equal(load_mask(tiny, img), s.mask)
        assert mask_path(tiny, img) == tiny / ".masks" / folder / img.name
        assert load_mask(tiny, img, size=32).shape == (32, 32)


def test_readers_give_clear_errors(tmp_path, tiny):
    with pytest.raises(UserError, match="no ground-truth masks"):
        load_parts(tmp_path)
    (tmp_path / "house").mkdir()
    (tmp_path / "house" / "x.png").write_bytes(b"")
    with pytest.raises(UserError, match="mask missing"):
        load_mask(tmp_path, tmp_path / "house" / "x.png")


def test_shipped_demo_dataset_is_the_generator_output():
    assert has_masks(SHIPPED)
    folders = sorted(p.name for p in SHIPPED.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert len(folders) >= 12
    assert all(len(list((SHIPPED / f).glob("*.png"))) >= 20 for f in folders)
    meta = json.loads((SHIPPED / ".masks" / "parts.json").read_text())
    for i in (0, 7, 100):
        s = render_indexed("dataset", meta["seed"], i, CLASS_NAMES)
        img = SHIPPED / meta["classes"][s.class_name]["folder"] / f"{i // len(CLASS_NAMES):04d}.png"
        assert np.array_equal(np.asarray(Image.open(img)), s.image)
        assert np.array_equal(load_mask(SHIPPED, img), s.mask)


def test_colours_file_names_each_visible_part_colour(tiny):
    colours = json.loads((tiny / ".masks" / "colours.json").read_text())
    assert len(colours) == 2 * len(CLASS_NAMES)
    s = render_indexed("dataset", 5, 13, CLASS_NAMES)
    folder = load_parts(tiny)["classes"][s.class_name]["folder"]
    assert colours[f"{folder}/0001.png"] == s.colours and set(s.colours) == set(s.parts)


def test_patterns_file_names_each_patterned_part_and_the_world(tiny):
    """World 3: .masks/patterns.json holds each patterned part's pattern and second colour; parts.json the world."""
    from generator.demo.world import WORLD

    patterns = json.loads((tiny / ".masks" / "patterns.json").read_text())
    assert len(patterns) == 2 * len(CLASS_NAMES) and any(patterns.values())
    s = render_indexed("dataset", 5, 13, CLASS_NAMES)
    folder = load_parts(tiny)["classes"][s.class_name]["folder"]
    assert patterns[f"{folder}/0001.png"] == {p: list(v) for p, v in s.patterns.items()}
    assert json.loads((tiny / ".masks" / "parts.json").read_text())["world"] == WORLD == 3


def test_unknown_world_is_a_one_line_error(tmp_path):
    with pytest.raises(UserError, match="demo world 9 unknown"):
        write_dataset(tmp_path / "x", per_class=1, world=9)
