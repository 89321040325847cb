"""Image loading (issue 10): every PIL mode, 16-bit and float scaled, bad files named, decompression bombs refused;
scan notes (hidden folders), distinct class names, hostile class-name files."""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from generator.errors import UserError
from generator.registry.datasets import BadImage, read_class_names, read_rgb, scan_image_folder

RAMP = np.tile(np.linspace(0, 1, 32), (32, 1))           # left dark, right bright: mean 0.5


def _save(path, im, **kw):
    im.save(path, **kw)
    return path


@pytest.mark.parametrize("mode", ["L", "LA", "P", "RGB", "RGBA", "CMYK", "1", "YCbCr"])
def test_every_8_bit_mode_reads_as_rgb(tmp_path, mode):
    base = Image.fromarray((RAMP * 255).astype(np.uint8)).convert("RGB")
    im = base.convert(mode)
    path = _save(tmp_path / ("x.tiff" if mode in ("CMYK", "YCbCr") else "x.png") if mode != "YCbCr" else
                 tmp_path / "x.jpg", im)
    arr, note = read_rgb(path, 16)
    assert arr.shape == (16, 16, 3) and arr.dtype == np.uint8 and note is None


def test_16_bit_png_and_float_tiff_are_scaled_not_white_or_black(tmp_path):
    """A 16-bit PNG became 99.6% white (PIL clips I;16 to 255) and a float TIFF black."""
    p16 = _save(tmp_path / "a.png", Image.fromarray((RAMP * 65535).astype(np.uint16)))
    assert Image.open(p16).mode == "I;16"
    arr, note = read_rgb(p16, 32)
    assert abs(arr.mean() / 255 - 0.5) < 0.02 and "16-bit" in note
    pf = _save(tmp_path / "b.tiff", Image.fromarray(RAMP.astype(np.float32)))
    arr, note = read_rgb(pf, 32)
    assert abs(arr.mean() / 255 - 0.5) < 0.02 and "float" in note
    wide = _save(tmp_path / "c.tiff", Image.fromarray((RAMP * 1000 - 500).astype(np.float32)))   # not in [0, 1]
    arr, note = read_rgb(wide, 32)
    assert abs(arr.mean() / 255 - 0.5) < 0.02 and "min-max" in note
    i32 = _save(tmp_path / "d.tiff", Image.fromarray((RAMP * 65535).astype(np.int32)))
    assert abs(read_rgb(i32, 32)[0].mean() / 255 - 0.5) < 0.02


def test_multi_frame_files_use_the_first_frame(tmp_path):
    frames = [Image.new("RGB", (8, 8), c) for c in ((250, 0, 0), (0, 250, 0))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    arr, _ = read_rgb(path, 8)
    assert arr[..., 0].mean() > 200 and arr[..., 1].mean() < 50


def _png_header(width, height) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b""))


def _jpeg_bytes():
    buf = io.BytesIO()
    Image.fromarray((np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.mark.parametrize("name, data, reason", [
    ("zero.png", b"", "an empty file"),
    ("text.jpg", b"hello, I am not a picture\n", "not an image"),
    ("cut.jpg", _jpeg_bytes()[:400], "truncated"),
    ("bomb.png", _png_header(20000, 20000), "decompression bomb"),      # over 2 x MAX_IMAGE_PIXELS: PIL's error
    ("big.png", _png_header(10000, 10000), "decompression bomb"),       # over MAX_IMAGE_PIXELS: PIL's warning
])
def test_bad_files_raise_bad_image_naming_the_file_and_reason(tmp_path, name, data, reason):
    """Each of these ended `mkbench compute` (a truncated PNG, a zero-byte file, a text file named .jpg, a JPEG cut
    short with exit 2; a 20000 x 20000 image with a traceback)."""
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(BadImage) as e:
        read_rgb(path, 16)
    assert reason.lower() in e.value.reason.lower() and str(path) in str(e.value) and isinstance(e.value, UserError)


def test_truncated_png_is_a_bad_image(tmp_path):
    buf = io.BytesIO()
    Image.fromarray((np.random.default_rng(1).random((64, 64, 3)) * 255).astype(np.uint8)).save(buf, "PNG")
    path = tmp_path / "t.png"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(BadImage):
        read_rgb(path, 16)


def _folder(root, *classes):
    for c in classes:
        (root / c).mkdir(parents=True)
        Image.new("RGB", (4, 4)).save(root / c / "a.png")
    return root


def test_hidden_folders_are_skipped_with_a_note(tmp_path):
    """Folders starting with a dot were dropped silently."""
    root = _folder(tmp_path / "d", "cat", ".dog")
    (root / "cat" / "notes.txt").write_text("x")
    ds = scan_image_folder(root)
    assert ds.classnames == ["cat"]
    assert any(".dog" in n and "hidden" in n for n in ds.notes)
    assert any("notes.txt" in n for n in ds.notes)


def test_two_folders_with_one_display_name_are_an_error(tmp_path):
    """Two class folders named alike shared one class page (and identical prompts)."""
    root = _folder(tmp_path / "d", "n01", "n02")
    (root / "classnames.json").write_text('{"n01": "crane", "n02": "Crane "}')
    with pytest.raises(UserError, match="same name"):
        scan_image_folder(root)


def test_hostile_class_name_files_are_one_line_errors(tmp_path):
    """A deeply nested or non-UTF-8 class-name JSON gave a traceback."""
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000 + "]" * 100000)
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"a": "caf\xe9"}'.encode("latin-1"))
    ctrl = tmp_path / "ctrl.json"
    ctrl.write_text('["a\\u0000b"]')
    for path, needle in ((deep, "nested"), (latin, "UTF-8"), (ctrl, "control character")):
        with pytest.raises(UserError, match=needle) as e:
            read_class_names(path, ["a"])
        assert "\n" not in str(e.value)
