"""Atomic writes leave either the old file or the new one, never a partial file or a temp file."""
from __future__ import annotations

import pytest

from generator.results import io


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    path = tmp_path / "sub" / "a.json"
    io.atomic_write_text(path, "one")
    io.atomic_write_text(path, "zwei ü")
    assert path.read_text(encoding="utf-8") == "zwei ü"
    assert [p.name for p in path.parent.iterdir()] == ["a.json"]


def test_atomic_writes_respect_the_umask(tmp_path):
    """mkstemp creates 0600 files: results and overlays must be readable by a web server as another user."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        io.atomic_write_text(tmp_path / "a.json", "x")
        io.write_json(tmp_path / "b.json", {"a": 1})
        os.umask(0o027)
        io.atomic_write_bytes(tmp_path / "c.png", b"png")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "b.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "c.png").stat().st_mode) == 0o640


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "a.json"
    io.atomic_write_text(path, "old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(io.os, "replace", boom)
    with pytest.raises(OSError):
        io.atomic_write_bytes(path, b"new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_invalid_json_names_the_file_and_the_fix(tmp_path):
    bad = tmp_path / "summary.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="summary.json.*recompute"):
        io.read_summary(bad)
