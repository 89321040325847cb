"""The paper's 13 models come from one table (data/paper/models.json) through one class, into the registry, the
report and the paper13 preset; importing the registry changes no environment variable."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from generator.errors import UserError
from generator.registry import paper as P
from generator.resources import paper_dir


def test_one_table_feeds_the_registry_the_report_and_the_preset():
    from generator.registry.models import PAPER_MODELS
    from generator.report.paper import load_paper_data
    from generator.suite import load_suite

    table = json.loads((paper_dir() / "models.json").read_text())["models"]
    assert list(PAPER_MODELS) == [r["key"] for r in table] and len(table) == 13
    report = load_paper_data(paper_dir()).models
    assert report == PAPER_MODELS and all(type(m) is P.PaperModel for m in report.values())
    preset = load_suite("paper13").models
    assert [(m.name, m.pretrained) for m in preset] == [(p.model, p.pretrained) for p in PAPER_MODELS.values()]
    b2 = PAPER_MODELS["cnext-b2"]
    assert (b2.resolution, b2.image_size, b2.model) == (224, 256, "convnext_base_w")  # paper vs open_clip input
    assert b2.is_pair("convnext_base_w_320", "laion_aesthetic_s13b_b82k") and not b2.is_pair("convnext_base_w", "x")


def test_paper_names_resolve_loosely():
    from generator.registry.models import _PAPER_BY_NAME

    assert P.norm_name("RN-50×4") == P.norm_name("rn50x4") == "rn50x4"
    assert _PAPER_BY_NAME["rn-50x4"].key == "rn50x4"


def test_a_malformed_table_is_one_line_naming_the_file(tmp_path):
    bad = tmp_path / "models.json"
    bad.write_text(json.dumps({"models": [{"key": "x", "paper_name": "X", "colour": "red"}]}))
    with pytest.raises(UserError, match=r"models\.json: the paper's model table .*colour"):
        P.load_paper_models(bad)
    with pytest.raises(UserError, match="missing or malformed"):
        P.load_paper_models(tmp_path / "absent.json")


def test_importing_the_registry_sets_no_environment_variable():
    code = ("import os; before = dict(os.environ); import generator.registry.models, generator.cli; "
            "print(sorted(set(os.environ.items()) ^ set(before.items())))")
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_hub_is_offline_only_while_a_model_loads(monkeypatch):
    from generator.registry.models import _offline

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with _offline():
        assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert "HF_HUB_OFFLINE" not in os.environ
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    with _offline():
        assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["HF_HUB_OFFLINE"] == "0"
