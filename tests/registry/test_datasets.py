"""Image-folder datasets, class-name maps, templates and the Resize-without-crop preprocessing."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from generator.errors import UserError
from generator.registry import datasets as D
from tests.fixtures.images import make_image_folder


def test_scan_sorted_classes_and_files(tmp_path):
    root = make_image_folder(tmp_path / "shapes", per_class=2)
    (root / "red_circle" / "notes.txt").write_text("not an image")
    ds = D.scan_image_folder(root)
    assert ds.name == "shapes"
    assert [c.folder for c in ds.classes] == ["blue_triangle", "green_square", "red_circle"]
    assert ds.classnames == ["blue_triangle", "green_square", "red_circle"]
    assert [c.index for c in ds.classes] == [0, 1, 2]
    assert ds.n_images == 6 and [f.name for f in ds.classes[2].files] == ["img_0.png", "img_1.png"]
    assert ds.relative(ds.classes[0].files[0]) == "blue_triangle/img_0.png"
    assert D.scan_image_folder(root, name="other").name == "other"
    with pytest.raises(UserError, match="cannot name a results folder"):
        D.scan_image_folder(root, name="a/b")
    assert ds.part_masks is None  # hook only


def test_class_names_from_json_map_list_txt_and_auto_file(tmp_path):
    root = make_image_folder(tmp_path / "d", per_class=1)
    m = tmp_path / "map.json"
    m.write_text(json.dumps({"red_circle": "red disc", "green_square": "green box", "blue_triangle": "blue wedge"}))
    assert D.scan_image_folder(root, class_names=m).classnames == ["blue wedge", "green box", "red disc"]
    txt = tmp_path / "names.txt"
    txt.write_text("a\nb\n\nc\n")
    assert D.scan_image_folder(root, class_names=txt).classnames == ["a", "b", "c"]
    (root / "classnames.json").write_text(json.dumps(["x", "y", "z"]))
    ds = D.scan_image_folder(root)
    assert ds.classnames == ["x", "y", "z"] and ds.classnames_source.endswith("classnames.json")


def test_class_name_errors(tmp_path):
    root = make_image_folder(tmp_path / "d", per_class=1)
    m = tmp_path / "map.json"
    m.write_text(json.dumps({"red_circle": "r", "green_square": "g", "blue_triangle": "b", "cat": "c"}))
    with pytest.raises(UserError, match="map.json: names classes with no folder: \\['cat'\\]"):
        D.scan_image_folder(root, class_names=m)
    m.write_text(json.dumps({"red_circle": "r"}))
    with pytest.raises(UserError, match="no name for class folders"):
        D.scan_image_folder(root, class_names=m)
    t = tmp_path / "n.txt"
    t.write_text("a\nb\n")
    with pytest.raises(UserError, match="lists 2 class names but the dataset has 3"):
        D.scan_image_folder(root, class_names=t)


def test_folder_errors(tmp_path):
    with pytest.raises(UserError, match="dataset folder not found"):
        D.scan_image_folder(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no class sub-folders"):
        D.scan_image_folder(tmp_path / "empty")
    root = make_image_folder(tmp_path / "d", per_class=1)
    (root / "zzz").mkdir()
    with pytest.raises(UserError, match="zzz: class folder holds no images"):
        D.scan_image_folder(root)


def test_corrupt_image_names_file_and_fix(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG not really")
    with pytest.raises(UserError, match="bad.png: cannot read this image .*delete or replace"):
        D.Preprocess(32).load(bad)


def test_preprocess_resizes_without_crop_and_normalises(tmp_path):
    arr = np.zeros((40, 80, 3), np.uint8)
    arr[:, :40] = (255, 0, 0)    # left half red, right half blue: a centre crop would drop most of both
    arr[:, 40:] = (0, 0, 255)
    p = tmp_path / "wide.png"
    Image.fromarray(arr).save(p)
    pre = D.Preprocess(32)
    x, raw = pre.load_batch([p])
    assert raw.shape == (1, 32, 32, 3) and raw.dtype == np.uint8
    assert raw[0, 16, 2].tolist() == [255, 0, 0] and raw[0, 16, 29].tolist() == [0, 0, 255]
    assert x.shape == (1, 3, 32, 32) and x.dtype == torch.float32
    expect = (1.0 - D.CLIP_MEAN[0]) / D.CLIP_STD[0]
    assert x[0, 0, 16, 2].item() == pytest.approx(expect, abs=1e-5)
    grey = Image.fromarray(np.full((10, 10), 128, np.uint8), mode="L")
    grey.save(tmp_path / "g.png")
    assert pre.load(tmp_path / "g.png").shape == (32, 32, 3)  # converted to RGB


def test_templates_registry_and_files(tmp_path):
    assert len(D.TEMPLATES["imagenet"]) == 8 and len(D.TEMPLATES["places365"]) == 3
    assert D.TEMPLATES["food101"] == ["a photo of {}, a type of food."]
    assert D.resolve_templates(None) == ("default", ["a photo of a {}."])
    assert D.resolve_templates("imagenet")[1][0] == "itap of a {}."
    f = tmp_path / "mine.txt"
    f.write_text("a {} photo\nart of {}\n")
    assert D.resolve_templates(str(f)) == ("mine", ["a {} photo", "art of {}"])
    f.write_text("no placeholder\n")
    with pytest.raises(UserError, match="must contain"):
        D.resolve_templates(str(f))
    with pytest.raises(UserError, match="neither a known template set"):
        D.resolve_templates("nope")


def test_class_names_with_control_characters_are_refused(tmp_path):
    import json as _json

    from generator.errors import UserError as _UserError
    from generator.registry.datasets import read_class_names

    path = tmp_path / "classnames.json"
    path.write_text(_json.dumps({"a": "cat\x00", "b": "dog"}))
    with pytest.raises(_UserError, match="control character"):
        read_class_names(path, ["a", "b"])
