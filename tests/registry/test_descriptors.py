"""Descriptor pools: validation, de-duplication, pinned fetch (spec §2.1)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from generator.errors import UserError
from generator.registry import descriptors as dmod
from generator.registry.descriptors import KNOWN_POOLS, fetch_pool, load_pool

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "descriptors"


def _write(tmp_path, obj, name="pool.json") -> Path:
    p = tmp_path / name
    p.write_text(obj if isinstance(obj, str) else json.dumps(obj), encoding="utf-8")
    return p


def test_dedup_first_occurrence_order(tmp_path):
    p = _write(tmp_path, {"cat": ["whiskers", "fur", "a tail"], "dog": ["fur", "a snout", "whiskers"]})
    pool = load_pool(p)
    assert pool.descriptors == ["whiskers", "fur", "a tail", "a snout"]
    assert pool.classes["dog"] == ["fur", "a snout", "whiskers"]
    assert pool.id_of("a snout") == 3
    assert pool.sha256 == hashlib.sha256(p.read_bytes()).hexdigest()
    assert pool.source == str(p)


@pytest.mark.parametrize("content, fragment", [
    ("{not json", "not valid JSON"),
    (["a", "b"], "not an object"),
    ({}, "no classes"),
    ({"cat": "whiskers"}, "not a list"),
    ({"cat": [], "dog": []}, "every class has an empty descriptor list"),
    ({"cat": ["ok", 3]}, "not a string"),
    ({"cat": ["ok", "  "]}, "is empty"),
])
def test_malformed_pool_names_file_and_fix(tmp_path, content, fragment):
    p = _write(tmp_path, content)
    with pytest.raises(UserError) as e:
        load_pool(p)
    msg = str(e.value)
    assert str(p) in msg and fragment in msg and "JSON object mapping each class name" in msg


def test_empty_class_list_allowed_unless_strict(tmp_path):
    p = _write(tmp_path, {"cat": ["fur"], "donuts": []})
    pool = load_pool(p)
    assert pool.descriptors == ["fur"] and pool.empty_classes == ["donuts"]
    with pytest.raises(UserError, match="class 'donuts' has an empty descriptor list"):
        load_pool(p, allow_empty=False)


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_pool(tmp_path / "nope.json")


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared descriptor pools not available")
def test_imagenet_pool_has_4229_descriptors():
    pool = load_pool(SHARED / "descriptors_imagenet.json")
    assert len(pool.classes) == 1000
    assert len(pool) == len(pool.descriptors) == 4229
    assert pool.sha256 == KNOWN_POOLS["imagenet"].sha256


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared descriptor pools not available")
@pytest.mark.parametrize("name", sorted(KNOWN_POOLS))
def test_known_pools_match_pinned_metadata(name):
    known = KNOWN_POOLS[name]
    pool = load_pool(SHARED / known.filename)
    assert (pool.sha256, len(pool.classes), len(pool)) == (known.sha256, known.n_classes, known.n_unique)
    assert dmod.MENON_COMMIT in known.url and known.url.endswith(known.filename)


def _fake_known(monkeypatch, tmp_path, content: bytes, url: str | None = None):
    src = tmp_path / "src" / "descriptors_imagenet.json"
    src.parent.mkdir()
    src.write_bytes(content)
    known = dmod.KnownPool("descriptors_imagenet.json", url or src.as_uri(), hashlib.sha256(content).hexdigest(), 1, 2)
    monkeypatch.setitem(KNOWN_POOLS, "imagenet", known)
    return src, known


def test_fetch_from_file_good_checksum(monkeypatch, tmp_path):
    content = json.dumps({"cat": ["fur", "whiskers"]}).encode()
    src, _ = _fake_known(monkeypatch, tmp_path, content, url="http://invalid.invalid/never-used")
    out = fetch_pool("imagenet", tmp_path / "dest", from_file=src)
    assert out == tmp_path / "dest" / "descriptors_imagenet.json"
    assert out.read_bytes() == content
    assert load_pool(out).descriptors == ["fur", "whiskers"]
    # a second call reuses the verified file even if the source is gone
    src.unlink()
    assert fetch_pool("imagenet", tmp_path / "dest", from_file=src) == out


def test_fetch_bad_checksum_leaves_nothing(monkeypatch, tmp_path):
    content = json.dumps({"cat": ["fur"]}).encode()
    src, known = _fake_known(monkeypatch, tmp_path, content)
    src.write_bytes(content + b" ")  # tampered
    dest = tmp_path / "dest"
    with pytest.raises(UserError, match="does not match the pinned"):
        fetch_pool("imagenet", dest, from_file=src)
    assert not dest.exists() or list(dest.iterdir()) == []
    # same via the URL path
    with pytest.raises(UserError, match=str(known.sha256)):
        fetch_pool("imagenet", dest)
    assert not dest.exists() or list(dest.iterdir()) == []


def test_fetch_file_url(monkeypatch, tmp_path):
    content = json.dumps({"cat": ["fur", "whiskers"], "dog": ["fur"]}).encode()
    _fake_known(monkeypatch, tmp_path, content)
    out = fetch_pool("imagenet", tmp_path / "dest")
    assert out.read_bytes() == content
    assert [p.name for p in out.parent.iterdir()] == ["descriptors_imagenet.json"]  # no temp files left


def test_fetch_stale_file_is_replaced(monkeypatch, tmp_path):
    content = json.dumps({"cat": ["fur"]}).encode()
    _fake_known(monkeypatch, tmp_path, content)
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "descriptors_imagenet.json").write_bytes(b"old")
    assert fetch_pool("imagenet", dest).read_bytes() == content


def test_fetch_unreachable_url_is_user_error(monkeypatch, tmp_path):
    _fake_known(monkeypatch, tmp_path, b"{}", url=(tmp_path / "missing.json").as_uri())
    with pytest.raises(UserError, match="from_file"):
        fetch_pool("imagenet", tmp_path / "dest")


def test_fetch_unknown_name(tmp_path):
    with pytest.raises(UserError, match="imagenet"):
        fetch_pool("nope", tmp_path)


@pytest.mark.parametrize("pool", [{"fish": ["orange\x00fins"]}, {"fi\x1bsh": ["fins"]}, {"fish": ["a\x7f"]}])
def test_control_characters_are_refused_naming_the_class(tmp_path, pool):
    """A descriptor with a NUL byte reached 30 site pages as a raw NUL."""
    path = tmp_path / "pool.json"
    path.write_text(json.dumps(pool))
    with pytest.raises(UserError, match="control character"):
        load_pool(path)
