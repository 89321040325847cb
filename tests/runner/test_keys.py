"""Keys that cannot lie (issue 10): a cache key changes whenever what it stands for changes."""
from __future__ import annotations

import os

import numpy as np
from PIL import Image

from generator import hashing
from generator.hashing import HashCache
from generator.method.config import MethodConfig
from generator.registry import datasets as ds_registry
from generator.registry.models import check_weights, resolve_model, weights_identity
from generator.runner.units import make_units
from tests.fixtures.tiny import tiny_config_path


def test_weights_identity_hashes_the_whole_checkpoint_once(tmp_path, monkeypatch):
    """A local checkpoint rewritten in its middle (bytes 1-1.6 MiB of a 2.6 MB file) kept its identity: only the first
    and last MiB were read, so a rerun reused every class and reported the old AUC."""
    monkeypatch.setenv("MKBENCH_CACHE", str(tmp_path / "cache"))
    ckpt = tmp_path / "model.pt"
    ckpt.write_bytes(np.random.default_rng(0).bytes(2_600_000))
    spec = resolve_model(None, str(ckpt), str(tiny_config_path("vit")))
    before = weights_identity(spec, check_weights(spec), 0)
    st = ckpt.stat()
    with open(ckpt, "r+b") as fh:                      # same size, first and last MiB untouched
        fh.seek(1 << 20)
        fh.write(b"\0" * 600_000)
    os.utime(ckpt, ns=(st.st_atime_ns, st.st_mtime_ns))  # even with the old mtime
    after = weights_identity(spec, check_weights(spec), 0)
    assert before != after

    reads = []
    real = hashing.file_sha256
    monkeypatch.setattr(hashing, "file_sha256", lambda p: reads.append(p) or real(p))
    HashCache._memory.clear()                          # a new process: only the memo file remains
    assert weights_identity(spec, check_weights(spec), 0) == after and reads == []   # remembered: not re-read
    assert (tmp_path / "cache" / "hashes" / "files.json").is_file()


def _bmp(path, value):
    Image.fromarray(np.full((8, 8, 3), value, np.uint8)).save(path)   # BMP: same size whatever the pixels


def test_two_images_that_swap_content_with_mv_change_the_keys(tmp_path, monkeypatch):
    """Two images of the same byte size swapped with `mv` (which keeps mtimes) left every key unchanged."""
    monkeypatch.setenv("MKBENCH_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "d" / "cls"
    folder.mkdir(parents=True)
    a, b = folder / "a.bmp", folder / "b.bmp"
    _bmp(a, 10)
    _bmp(b, 200)
    assert a.stat().st_size == b.stat().st_size

    def keys():
        ds = ds_registry.scan_image_folder(tmp_path / "d")
        return [u.key for u in make_units(ds, "m", "w", "sha", ["a {}."], MethodConfig(), 0, 4)]

    first = keys()
    assert keys() == first                             # stable (and served from the memo)
    os.rename(a, folder / "tmp.bmp")
    os.rename(b, a)
    os.rename(folder / "tmp.bmp", b)
    assert keys() != first


def test_hash_cache_survives_a_corrupt_memo_and_a_read_only_cache(tmp_path):
    memo = tmp_path / "memo.json"
    memo.write_text("{not json")
    f = tmp_path / "f.bin"
    f.write_bytes(b"abc")
    cache = HashCache(memo)
    assert cache.sha256(f) == hashing.file_sha256(f)
    cache.save()
    assert HashCache(memo).entries                     # rewritten
    f.write_bytes(b"abd")                              # same size, new content
    assert HashCache(memo).sha256(f) == hashing.file_sha256(f)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        c = HashCache(ro / "sub" / "memo.json")
        c.sha256(f)
        c.save()                                       # best effort: no error
    finally:
        ro.chmod(0o700)
