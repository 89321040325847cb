"""The shared hashes: canonical JSON (key order and spacing do not matter, values do) and a file's sha256."""
from __future__ import annotations

import hashlib

from generator.hashing import file_sha256, stable_hash


def test_stable_hash_is_canonical_and_sensitive():
    assert stable_hash({"a": 1, "b": [1, 2]}) == stable_hash({"b": [1, 2], "a": 1})
    assert stable_hash({"a": 1, "b": [1, 2]}) != stable_hash({"a": 1, "b": [2, 1]})
    expected = hashlib.sha256(b'[1,"x",[["f",3]]]').hexdigest()[:16]
    assert stable_hash([1, "x", [("f", 3)]]) == expected


def test_file_sha256_reads_in_chunks_and_equals_the_bytes_hash(tmp_path):
    data = bytes(range(256)) * ((3 << 20) // 256 + 7)   # > 3 chunks, last one partial
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
    (tmp_path / "empty").write_bytes(b"")
    assert file_sha256(tmp_path / "empty") == hashlib.sha256(b"").hexdigest()


def test_short_name_keeps_short_names_and_bounds_long_ones_distinctly():
    from generator.hashing import short_name, short_path

    assert short_name("imagenet") == "imagenet"
    a, b = short_name("x" * 300 + "a"), short_name("x" * 300 + "b")
    assert a != b and len(a.encode()) <= 120 and len(b.encode()) <= 120
    u = short_name("é" * 200)                       # multi-byte: cut on a character boundary
    assert len(u.encode()) <= 120 and u.startswith("é")
    p = short_path("c" * 130 + "/" + "f" * 250 + ".jpg.png", keep_suffix=".png")
    assert p.endswith(".png") and all(len(x.encode()) <= 120 for x in p.split("/"))
