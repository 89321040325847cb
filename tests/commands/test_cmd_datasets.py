"""``mkbench datasets``: classes and images of a suite's datasets, what is missing and how to fix it."""
from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from generator.cli import cli
from tests.fixtures.suites import make_suite


def test_a_suites_datasets_with_counts_and_status(tmp_path):
    suite = make_suite(tmp_path, n_classes=3, per_class=2)
    data = yaml.safe_load(suite.read_text())
    data["datasets"].append({"name": "world", "dir": str(tmp_path / "gen"), "generate": {"kind": "demo"},
                             "descriptors": "imagenet"})
    suite.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(cli, ["datasets", str(suite), "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["dataset"]: r for r in json.loads(result.output)}
    assert (rows["shapes"]["classes"], rows["shapes"]["images"], rows["shapes"]["status"]) == (3, 6, "ok")
    assert rows["world"]["status"] == "generated on first run"
    assert rows["world"]["descriptors"].startswith("imagenet (")


def test_the_presets_say_which_variable_to_set(monkeypatch):
    monkeypatch.delenv("MKBENCH_DATA", raising=False)
    result = CliRunner().invoke(cli, ["datasets", "--json"])
    rows = json.loads(result.output)
    assert {r["suite"] for r in rows} >= {"demo", "paper13"}
    paper = [r for r in rows if r["suite"] == "paper13"]
    assert {r["dataset"] for r in paper} == {"imagenet", "places365", "food101"}
    assert all(r["status"].startswith("set MKBENCH_DATA") for r in paper)
