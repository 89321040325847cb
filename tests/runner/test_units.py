"""Work-unit keys: stable for the same inputs, changed by everything that determines a class's result."""
from __future__ import annotations

from dataclasses import replace

from generator.method.config import MethodConfig
from generator.registry.datasets import scan_image_folder
from generator.runner.units import make_units
from tests.fixtures.images import make_image_folder

BASE = dict(model_id="m", weights="w", descriptor_sha256="s", templates=["a {}"], cfg=MethodConfig(), seed=0,
            overlays_per_class=2)


def _keys(ds, **over):
    args = {**BASE, **over}
    return [u.key for u in make_units(ds, args.pop("model_id"), **args)]


def test_units_one_per_class_with_relative_files(tmp_path):
    ds = scan_image_folder(make_image_folder(tmp_path / "d", per_class=2))
    units = make_units(ds, **BASE)
    assert [(u.class_index, u.folder, u.dataset, u.model_id) for u in units] == [
        (0, "blue_triangle", "d", "m"), (1, "green_square", "d", "m"), (2, "red_circle", "d", "m")]
    assert units[2].files == ("red_circle/img_0.png", "red_circle/img_1.png")
    assert len({u.key for u in units}) == 3
    assert _keys(scan_image_folder(ds.root)) == _keys(ds)  # stable


def test_every_ingredient_changes_every_key(tmp_path):
    ds = scan_image_folder(make_image_folder(tmp_path / "d", per_class=2))
    base = _keys(ds)
    for over in [dict(model_id="m2"), dict(weights="w2"), dict(descriptor_sha256="s2"), dict(templates=["b {}"]),
                 dict(cfg=replace(MethodConfig(), n_parts=4)), dict(cfg=replace(MethodConfig(), methods=("pca",))),
                 dict(seed=1), dict(overlays_per_class=0)]:
        assert all(a != b for a, b in zip(_keys(ds, **over), base)), over
    renamed = scan_image_folder(ds.root)
    renamed.classes[0].name = "other name"  # class names enter every prediction
    assert all(a != b for a, b in zip(_keys(renamed), base))


def test_changing_one_class_changes_only_its_key(tmp_path):
    root = make_image_folder(tmp_path / "d", per_class=2)
    before = _keys(scan_image_folder(root))
    (root / "green_square" / "img_0.png").write_bytes((root / "red_circle" / "img_0.png").read_bytes() + b"x")
    after = _keys(scan_image_folder(root))
    assert [a == b for a, b in zip(before, after)] == [True, False, True]


def test_overlay_names_never_collide():
    """issue 10: x.jpg and x.jpg.png shared one overlay file; a 250-byte image name made an overlay path too long."""
    from generator.runner.units import overlay_names

    assert overlay_names(["c/a.png", "c/b.jpg"]) == ["c/a.png", "c/b.jpg.png"]   # unchanged when distinct
    names = overlay_names(["c/x.jpg", "c/x.jpg.png"])
    assert names[1] == "c/x.jpg.png" and names[0] != names[1] and names[0].endswith(".png")
    assert len({n.lower() for n in overlay_names(["c/A.jpg", "c/a.jpg"])}) == 2   # case-insensitive file systems
    long = overlay_names(["c/" + "y" * 250 + ".jpg", "c/" + "y" * 250 + ".png"])
    assert len(set(long)) == 2 and all(len(n.split("/")[-1].encode()) <= 120 for n in long)
