"""Suites: YAML specs, presets, validation with clear errors, stable hashes."""
from __future__ import annotations

import pytest

from generator.errors import UserError
from generator.suite import list_presets, load_suite, parse_suite


def _write(tmp_path, text):
    p = tmp_path / "s.yaml"
    p.write_text(text)
    return p


def test_paper13_preset_lists_the_papers_models_and_datasets():
    s = load_suite("paper13")
    assert len(s.models) == 13
    assert {d.name for d in s.datasets} == {"imagenet", "places365", "food101"}
    assert {d.templates for d in s.datasets} == {"imagenet", "places365", "food101"}
    assert ("ViT-B-16-quickgelu", "dfn2b") in {(m.name, m.pretrained) for m in s.models}


def test_presets_include_paper13():
    assert "paper13" in list_presets()


def test_relative_paths_resolve_against_the_suite_file(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "pool.json").write_text("{}")
    p = _write(tmp_path, "models: [{name: m, pretrained: none}]\n"
                         "datasets: [{name: d, dir: data, descriptors: pool.json}]\n")
    s = load_suite(p)
    assert s.datasets[0].dir == str((tmp_path / "data").resolve())
    assert s.datasets[0].descriptors == str((tmp_path / "pool.json").resolve())
    assert s.name == "s"


def test_hash_changes_with_a_setting_and_not_with_the_source(tmp_path):
    base = {"models": [{"name": "m"}], "datasets": [{"name": "d", "dir": "x", "descriptors": "y"}]}
    a = parse_suite(base, source="a.yaml")
    b = parse_suite(base, source="b.yaml")
    c = parse_suite({**base, "seed": 1})
    assert a.hash() == b.hash() != c.hash()


@pytest.mark.parametrize("text, needle", [
    ("models: []\ndatasets: [{name: d, dir: x, descriptors: y}]", "no `models`"),
    ("models: [m]\ndatasets: [{name: d, descriptors: y}]", "missing `dir`"),
    ("models: [m]\ndatasets: [{name: d, dir: x, descriptors: y, colour: red}]", "unknown key"),
    ("models: [m]\ndatasets: [{name: d, dir: x, descriptors: y}]\nexecutor: {kind: cloud}", "executor kind"),
    ("models: [m]\ndatasets: [{name: d, dir: x, descriptors: y}]\nmethod: {n_partz: 3}", "bad `method`"),
    ("models: [m]\ndatasets: [{name: d, dir: x, descriptors: y}]\ndevice: tpu", "device"),
    ("models: [m\n", "not valid YAML"),
])
def test_bad_suites_fail_with_a_message_naming_the_file(tmp_path, text, needle):
    p = _write(tmp_path, text)
    with pytest.raises(UserError) as e:
        load_suite(p)
    assert needle in str(e.value) and "s.yaml" in str(e.value)


def test_unknown_preset_lists_the_presets():
    with pytest.raises(UserError, match="paper13"):
        load_suite("nope")


def test_method_overrides_reach_the_method_config():
    s = parse_suite({"models": ["m"], "datasets": [{"name": "d", "dir": "x", "descriptors": "y"}],
                     "methods": ["kmeans"], "method": {"n_parts": 3}})
    cfg = s.method_config()
    assert cfg.n_parts == 3 and cfg.methods == ("kmeans",)
