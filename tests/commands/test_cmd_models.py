"""``mkbench models``: the paper's 13 models or a suite's models, with local weight availability and the reason."""
from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from generator.cli import cli
from generator.registry.models import PAPER_MODELS
from tests.fixtures.suites import make_suite


def test_lists_the_papers_models_with_availability():
    result = CliRunner().invoke(cli, ["models", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["id"] for r in rows] == list(PAPER_MODELS)
    assert all(isinstance(r["available"], bool) for r in rows)
    assert next(r for r in rows if r["id"] == "vit-b-16-dfn")["pretrained"] == "dfn2b"


def test_a_suites_models_say_why_they_are_missing(tmp_path):
    suite = make_suite(tmp_path)
    data = yaml.safe_load(suite.read_text())
    data["models"].append({**data["models"][0], "name": "trained", "pretrained": str(tmp_path / "w.safetensors")})
    suite.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(cli, ["models", "--suite", str(suite), "--json"])
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["tiny-vit"]["available"] and rows["tiny-vit"]["id"] == "tiny-vit__untrained"
    assert not rows["trained"]["available"] and "w.safetensors not found" in rows["trained"]["problem"]
    table = CliRunner().invoke(cli, ["models", "--suite", str(suite)])
    assert "1 of 2 available offline" in table.output
