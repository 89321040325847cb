"""``mkbench reproduce-report`` on hand-made result files with known answers: matching to Tables 1, 2 and 3,
differences, inside/outside the interval, the list of what is missing, the scatter with y = x."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.report import reproduction as rp
from generator.results.schema import MethodSummary, Provenance, Summary

REPO = Path(__file__).resolve().parents[2]
PAPER = REPO / "data" / "paper"


def iv(lo, hi, unit="class"):
    return {"class": {"mean": (lo + hi) / 2, "lo": lo, "hi": hi, "unit": unit}}


def write_run(root: Path) -> None:
    quality = {"deletion": 2.5, "insertion": 3.0, "acc_drop": 1.6, "acc_inc": 1.8}
    s = Summary(model="ViT-B-16", pretrained="openai", model_id="vit-b-16__openai", dataset="imagenet", n_images=4,
                n_classes=2, top1=68.0, untrained=False,
                methods={"pca": MethodSummary(mi=7.6, auc=3.5, curve=[7.6, 0.0], quality=quality,
                                              intervals={"mi": iv(7.4, 7.7), "auc": iv(3.3, 3.55),
                                                         "deletion": iv(2.3, 2.7)})},
                provenance=Provenance(package_version="0", open_clip_version="0", torch_version="0", git_commit=None,
                                      descriptor_source="pool", descriptor_sha256="0", seed=0, config_hash="0",
                                      created="now"),
                intervals={"top1": iv(66.0, 70.0)},
                augmentation={"base_top1": 67.0, "augmented_top1": 69.0, "delta": 2.0, "transductive": True})
    folder = root / "imagenet" / "vit-b-16__openai"
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(s.model_dump_json())


def test_rows_differences_and_inside(tmp_path):
    write_run(tmp_path)
    rep = rp.reproduce(tmp_path, PAPER)
    by = {(r.table, r.metric, r.method): r for r in rep.rows}
    top1 = by[("Table 3", "top1", None)]
    assert top1.paper == 67.70 and top1.diff == pytest.approx(0.30) and top1.inside is True
    auc = by[("Table 3", "auc", "pca")]
    assert auc.paper == 3.62 and auc.inside is False                 # 3.62 is outside [3.3, 3.55]
    dele = by[("Table 1", "deletion", "pca")]
    assert dele.paper == 2.460 and dele.inside is True and dele.unit == "class"
    assert by[("Table 1", "insertion", "pca")].inside is None        # no interval stored for it
    assert by[("Table 2", "delta", None)].paper == 2.35 and by[("Table 2", "delta", None)].ours == 2.0
    assert by[("Table 2", "delta", None)].lo is None and by[("Table 2", "delta", None)].inside is None   # 1.3: none
    assert ("Table 3", "auc", "kmeans") not in by                    # no K-means in the run
    missing = [m.item for m in rep.missing]
    assert "MM-CBM" in missing and "CuPL baseline" in missing
    assert any("ViT-L/14 on ImageNet val" == m for m in missing)
    assert any(m.table == "Table 6" and "neither the data set nor the model's pretrained weights" in m.reason
               for m in rep.missing)
    assert any("pretrained weights" in m.reason for m in rep.missing if m.table == "Table 3")


def test_write_outputs_and_scatter_has_the_identity_line(tmp_path):
    write_run(tmp_path / "res")
    rep = rp.reproduce(tmp_path / "res", PAPER)
    files = rp.write(rep, tmp_path / "out", static=False)
    assert {f.name for f in files} == {"reproduction.json", "reproduction.csv", "reproduction.md", "scatter.vl.json"}
    d = json.loads((tmp_path / "out" / "reproduction.json").read_text())
    assert d["n_compared"] == len(rep.rows) and d["interval_unit"] == "class"
    spec = json.loads((tmp_path / "out" / "scatter.vl.json").read_text())
    marks = [layer.get("mark", {}).get("type") for layer in spec["layer"]]
    assert marks == ["line", "point"] and spec["layer"][1]["data"]["values"]
    md = (tmp_path / "out" / "reproduction.md").read_text()
    assert "## Not computed here" in md and "| Table 3 |" in md


def test_table2_rows_carry_the_stored_intervals(tmp_path):
    write_run(tmp_path)
    path = tmp_path / "imagenet" / "vit-b-16__openai" / "summary.json"
    data = json.loads(path.read_text())
    data["augmentation"]["intervals"] = {"base_top1": iv(65.0, 69.0), "augmented_top1": iv(67.0, 71.0),
                                         "delta": {"class": {"diff": 2.0, "lo": 2.4, "hi": 2.6, "unit": "class"}}}
    path.write_text(json.dumps(data))
    by = {(r.table, r.metric): r for r in rp.reproduce(tmp_path, PAPER).rows}
    assert (by[("Table 2", "base")].lo, by[("Table 2", "base")].inside) == (65.0, True)     # paper 67.93
    assert (by[("Table 2", "augmented")].hi, by[("Table 2", "augmented")].inside) == (71.0, True)   # 70.28
    assert by[("Table 2", "delta")].inside is False and by[("Table 2", "delta")].unit == "class"   # 2.35 < 2.4
    assert "[2.400, 2.600]" in rp.markdown(rp.reproduce(tmp_path, PAPER))


def test_no_results_folder_is_a_clear_error(tmp_path):
    from generator.errors import UserError

    with pytest.raises(UserError, match="results folder not found"):
        rp.reproduce(tmp_path / "nope", PAPER)


def test_report_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, generator.report.reproduction; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_sanity_checks_listed_and_random_weights_compared(tmp_path):
    write_run(tmp_path)
    data = json.loads((tmp_path / "imagenet" / "vit-b-16__openai" / "summary.json").read_text())
    data["methods"]["pca"]["sanity"] = {"random_parts": {"passes": False, "metrics": {
        "deletion": {"diff": 0.3, "lo": 0.1, "hi": 0.5, "passes": False}}}}
    (tmp_path / "imagenet" / "vit-b-16__openai" / "summary.json").write_text(json.dumps(data))
    rnd = dict(data, model_id="vit-b-16__untrained", pretrained="none", untrained=True)
    rnd["methods"] = {"pca": dict(data["methods"]["pca"], sanity=None,
                                  intervals={"auc": iv(0.1, 0.3), "deletion": iv(2.6, 2.9)})}
    (tmp_path / "imagenet" / "vit-b-16__untrained").mkdir()
    (tmp_path / "imagenet" / "vit-b-16__untrained" / "summary.json").write_text(json.dumps(rnd))
    rep = rp.reproduce(tmp_path, PAPER)
    checks = {(c.run, c.check.split(" ")[0]): c for c in rep.sanity}
    assert checks[("imagenet/vit-b-16__openai", "random_parts")].passes is False
    rw = checks[("imagenet/vit-b-16__openai", "random_weights_run")]      # the separate run, compared unpaired
    assert "unpaired" in rw.check
    assert rw.passes is False          # AUC separates ([3.3, 3.55] vs [0.1, 0.3]) but deletion overlaps (2.3-2.7 / 2.6-2.9)
    assert "auc" in rw.detail and "deletion" in rw.detail
    assert "| NO |" in rp.markdown(rep)


def test_markdown_without_rows_says_why_instead_of_an_empty_table(tmp_path):
    rep = rp.reproduce_summaries([], PAPER)
    md = rp.markdown(rep)
    assert "| table | data set |" not in md and "None of the 0 runs is one of the paper's models" in md
    assert "## Not computed here" in md and "- Table 2: CuPL baseline" in md
