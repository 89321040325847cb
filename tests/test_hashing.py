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
