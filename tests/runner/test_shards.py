"""Shard files: atomic round trip; wrong key, other schema major or corrupt content read as missing."""
from __future__ import annotations

import json

from generator.results.schema import ClassRecord, ImageRecord
from generator.runner.shards import read_shard, shard_path, write_shard
from generator.runner.units import WorkUnit

UNIT = WorkUnit("ds", "model", 3, "cls", "Class", ("cls/a.png",), "abc123")


def _records():
    img = ImageRecord(image="cls/a.png", label="Class", prediction="Class", correct=True, methods={})
    return [img], ClassRecord(name="Class", n_images=1, top1=100.0, methods={})


def test_round_trip_and_invalid_shards(tmp_path):
    path = shard_path(tmp_path, UNIT)
    assert path == tmp_path / ".shards" / "ds" / "model" / "00003-abc123.json"
    assert read_shard(path, UNIT.key) is None
    images, klass = _records()
    write_shard(path, UNIT, images, klass, crf_used=False, model_info={"tower": "vit"})
    got = read_shard(path, UNIT.key)
    assert got["images"] == images and got["class"] == klass and got["model_info"] == {"tower": "vit"}
    assert got["unit"]["files"] == ["cls/a.png"]
    assert read_shard(path, "other-key") is None
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "schema_version": "99.0.0"}))
    assert read_shard(path, UNIT.key) is None
    path.write_text(json.dumps({**data, "images": [{"image": 1}]}))
    assert read_shard(path, UNIT.key) is None
    path.write_text(path.read_text()[:20])
    assert read_shard(path, UNIT.key) is None
    assert not list(path.parent.glob(".*.tmp"))  # atomic writes leave no temp files


def test_is_done_reads_the_header_only_and_refuses_other_majors(tmp_path):
    """A shard of another schema major version counted as done at plan time, so its unit was never recomputed."""
    import json as _json

    from generator.results.schema import SCHEMA_VERSION
    from generator.runner.shards import is_done

    p = tmp_path / "s.json"
    for version, key, ok in ((SCHEMA_VERSION, "k", True), ("0.9.0", "k", False), (SCHEMA_VERSION, "other", False),
                             ("x", "k", False)):
        p.write_text(_json.dumps({"schema_version": version, "key": key, "images": []}, indent=1))
        assert is_done(p, "k") is ok
    p.write_text("garbage")
    assert not is_done(p, "k") and not is_done(tmp_path / "missing.json", "k")
