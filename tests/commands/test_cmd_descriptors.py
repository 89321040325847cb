"""``mkbench descriptors``: fetch a known pool from a local copy (sha256-checked) into the cache, clear errors when
the checksum does not match or the download fails, and suites that name a pool find the cached copy."""
from __future__ import annotations

import hashlib
import json

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.errors import UserError
from generator.registry import descriptors as registry
from generator.runner.resources import resolve_pool


@pytest.fixture
def known_pool(tmp_path, monkeypatch):
    """A known pool 'toy' whose pinned sha256 is that of a generated file; the URL cannot be reached."""
    copy = tmp_path / "downloaded.json"
    copy.write_text(json.dumps({"cat": ["whiskers", "a long tail"], "dog": ["a wet nose", "a long tail"]}))
    sha = hashlib.sha256(copy.read_bytes()).hexdigest()
    pin = registry.KnownPool("descriptors_toy.json", (tmp_path / "offline" / "x.json").as_uri(), sha, 2, 3)
    monkeypatch.setitem(registry.KNOWN_POOLS, "toy", pin)
    monkeypatch.setenv("MKBENCH_CACHE", str(tmp_path / "cache"))
    return copy


def test_fetch_from_a_local_copy_checks_and_caches_it(known_pool, tmp_path):
    result = CliRunner().invoke(cli, ["descriptors", "fetch", "toy", "--from", str(known_pool)])
    assert result.exit_code == 0, result.output
    cached = tmp_path / "cache" / "descriptors" / "descriptors_toy.json"
    assert result.output.strip() == str(cached) and cached.read_bytes() == known_pool.read_bytes()
    assert resolve_pool("toy", fetch=False) == cached           # a suite's `descriptors: toy` finds it
    listed = CliRunner().invoke(cli, ["descriptors", "list", "--json"])
    assert next(r for r in json.loads(listed.output) if r["name"] == "toy")["cached"] == str(cached)


def test_a_copy_with_another_checksum_is_refused(known_pool, tmp_path):
    bad = tmp_path / "other.json"
    bad.write_text('{"cat": ["whiskers"]}')
    result = CliRunner().invoke(cli, ["descriptors", "fetch", "toy", "--from", str(bad)])
    assert isinstance(result.exception, UserError) and "does not match the pinned" in str(result.exception)
    assert not (tmp_path / "cache" / "descriptors" / "descriptors_toy.json").exists()


def test_offline_download_points_at_fetch_from_file(known_pool):
    result = CliRunner().invoke(cli, ["descriptors", "fetch", "toy"])
    assert isinstance(result.exception, UserError)
    assert "mkbench descriptors fetch toy --from FILE" in str(result.exception)
    with pytest.raises(UserError, match="descriptors fetch toy --from FILE"):
        resolve_pool("toy", where="suite.yaml: dataset d")


def test_unknown_pool_lists_the_known_ones(known_pool):
    result = CliRunner().invoke(cli, ["descriptors", "fetch", "nope"])
    assert isinstance(result.exception, UserError) and "imagenet" in str(result.exception)
