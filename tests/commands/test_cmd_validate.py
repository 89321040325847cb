"""``mkbench validate``: a clean run is valid; broken or inconsistent files are named with what is wrong."""
from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from generator.cli import cli
from tests.fixtures.suites import reference_run

RUN = "shapes/tiny-vit__untrained"


def _copy(tmp_path):
    _, clean = reference_run()
    out = tmp_path / "results"
    shutil.copytree(clean, out, ignore=shutil.ignore_patterns(".*"))
    return out


def test_a_clean_run_is_valid(tmp_path):
    out = _copy(tmp_path)
    result = CliRunner().invoke(cli, ["validate", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"ok": True, "runs": {RUN: []}}


def test_problems_are_named(tmp_path):
    out = _copy(tmp_path)
    images = out / RUN / "images.jsonl"
    images.write_text("".join(images.read_text().splitlines(keepends=True)[1:]))   # one record lost
    summary = json.loads((out / RUN / "summary.json").read_text())
    summary["top1"] = 101.0
    (out / RUN / "summary.json").write_text(json.dumps(summary))
    result = CliRunner().invoke(cli, ["validate", str(out)])
    assert result.exit_code == 1
    assert "INVALID " + RUN in result.output
    assert "images.jsonl holds 7 records" in result.output and "summary.top1 = 101.0" in result.output


def test_a_newer_schema_major_and_broken_json_are_invalid(tmp_path):
    out = _copy(tmp_path)
    summary = json.loads((out / RUN / "summary.json").read_text())
    summary["schema_version"] = "9.0.0"
    (out / RUN / "summary.json").write_text(json.dumps(summary))
    result = CliRunner().invoke(cli, ["validate", str(out)])
    assert result.exit_code == 1 and "schema version 9.0.0" in result.output
    (out / RUN / "classes.json").write_text("{")
    summary["schema_version"] = "1.0.0"
    (out / RUN / "summary.json").write_text(json.dumps(summary))
    assert "not valid JSON" in CliRunner().invoke(cli, ["validate", str(out)]).output


def test_no_results_is_a_user_error(tmp_path):
    result = CliRunner().invoke(cli, ["validate", str(tmp_path)])
    assert "no results" in str(result.exception)


def test_controls_are_accepted_and_checked(tmp_path):
    out = _copy(tmp_path)
    summary = json.loads((out / RUN / "summary.json").read_text())
    method = next(iter(summary["methods"]))
    rdv = summary["methods"][method]["controls"]["random_dv"]          # written by the engine (schema 1.2)
    assert rdv["mi"] == rdv["curve"][0]
    assert CliRunner().invoke(cli, ["validate", str(out)]).exit_code == 0
    rdv["auc"] += 1.0
    (out / RUN / "summary.json").write_text(json.dumps(summary))
    result = CliRunner().invoke(cli, ["validate", str(out)])
    assert result.exit_code == 1 and "random-D_v control AUC is not the mean of its curve" in result.output
