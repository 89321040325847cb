"""The paper's tables as data (spec §3) and how runs are matched to them."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from generator.errors import UserError
from generator.report.paper import load_paper_data

PAPER = Path(__file__).resolve().parents[2] / "data" / "paper"


@pytest.fixture(scope="module")
def paper():
    return load_paper_data(PAPER)


def test_tables_hold_the_papers_numbers(paper):
    t3, t6, t7 = (next(t for t in paper.tables if t.table == n) for n in ("Table 3", "Table 6", "Table 7"))
    assert len(paper.models) == 13 and len(t3.rows) == 13 and len(t6.rows) == 8 and len(t7.rows) == 3
    b16 = t3.row_for("vit-b-16")
    assert (b16["top1"], t3.value(b16, "mi", "pca"), t3.value(b16, "auc", "kmeans")) == (67.70, 7.50, 3.53)
    assert t3.value(t3.row_for("cnext-b2"), "auc", "pca") == 3.19
    assert t6.value(t6.row_for("vit-l-14"), "auc", "pca") == 3.427 == t6.value(t6.row_for("vit-l-14"), "auc", None)
    assert t7.row_for("vit-b-16-dfn")["top1"] == 91.24
    assert t3.fits["ViT"] == {"slope": 11.24, "intercept": 25.97, "x": "auc", "y": "top1"}


def test_dataset_and_model_matching(paper):
    assert [t.table for t in paper.tables_for("ImageNet-val")] == ["Table 3"]
    assert [t.table for t in paper.tables_for("food_101")] == ["Table 7"]
    assert paper.tables_for("shapes") == []
    assert paper.model_for("ViT-B-16", "openai").key == "vit-b-16"
    assert paper.model_for("ViT-B-16", "datacomp_xl_s13b_b90k").key == "vit-b-16-dcp"
    assert paper.model_for("anything", "x", paper_name="RN-50x4").key == "rn50x4"
    assert paper.model_for("anything", "x", paper_key="cnext-b1").key == "cnext-b1"
    assert paper.model_for("tiny-vit", "none") is None


def test_models_agree_with_the_model_registry(paper):
    from generator.registry.models import PAPER_MODELS

    assert set(PAPER_MODELS) == set(paper.models)
    for key, m in PAPER_MODELS.items():
        assert (m.model, m.pretrained) == paper.models[key].open_clip[0], key


def test_malformed_tables_are_a_user_error(tmp_path):
    shutil.copytree(PAPER, tmp_path / "p")
    t = json.loads((tmp_path / "p" / "table7_food101.json").read_text())
    t["rows"][0]["model"] = "no-such-model"
    (tmp_path / "p" / "table7_food101.json").write_text(json.dumps(t))
    with pytest.raises(UserError, match="no-such-model"):
        load_paper_data(tmp_path / "p")
    with pytest.raises(UserError, match="--paper-data"):
        load_paper_data(tmp_path / "missing")
