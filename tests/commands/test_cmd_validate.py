"""``mkbench validate``: a clean run is valid; broken or inconsistent files are named with what is wrong."""
from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from generator.cli import cli
from generator.errors import UserError
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


def _edit(path, fn):
    if path.suffix == ".jsonl":
        recs = [json.loads(line) for line in path.read_text().splitlines()]
        recs = fn(recs) or recs
        path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    else:
        data = fn(json.loads(path.read_text()))
        path.write_text(data if isinstance(data, str) else json.dumps(data))


def _set(obj, keys, value):
    for k in keys[:-1]:
        obj = obj[k]
    obj[keys[-1]] = value
    return None


def _first_overlay(value):
    def fn(recs):
        next(r for r in recs if r["methods"]["pca"]["overlay"])["methods"]["pca"]["overlay"] = value
    return fn


BROKEN = {   # what was accepted (or crashed) before -> the problem validate names
    "overlay /etc/passwd": ("images.jsonl", _first_overlay("/etc/passwd"), "outside the results folder"),
    "overlay ../..": ("images.jsonl", _first_overlay("../../../../etc/hostname"), "outside the results folder"),
    "deleted overlay": ("images.jsonl", _first_overlay("overlays/pca/gone.png"), "overlay files are missing"),
    "summary a list": ("summary.json", lambda d: [d], "expected a JSON object, found list"),
    "summary null": ("summary.json", lambda d: "null", "expected a JSON object, found NoneType"),
    "summary nested": ("summary.json", lambda d: "[" * 100000 + "]" * 100000, "nested too deeply"),
    "summary not UTF-8": ("summary.json", lambda d: None, "not UTF-8"),
    "AUC inf": ("summary.json", lambda d: _set(d, ["methods", "pca", "auc"], float("inf")) or d, "NaN or infinite"),
    "top-1 NaN": ("summary.json", lambda d: _set(d, ["top1"], float("nan")) or d, "NaN or infinite"),
    "MI not curve[0]": ("summary.json", lambda d: _set(d, ["methods", "pca", "mi"], 99.0) or d,
                        "not the first point of its curve"),
    "class top-1": ("classes.json", lambda d: _set(d, ["classes", 0, "top1"], 150.0) or d, "outside [0, 100]"),
    "unknown label": ("images.jsonl", lambda recs: _set(recs, [0, "prediction"], "zebra"),
                      "not classes of classes.json"),
    "curve length": ("images.jsonl", lambda recs: recs[0]["methods"]["pca"]["curve"].append(0.0),
                     "not of length Lv+1"),
    "skipped count": ("summary.json", lambda d: _set(d, ["n_skipped_images"], 3) or d, "n_skipped_images"),
    "class curve": ("classes.json", lambda d: _set(d, ["classes", 0, "methods", "pca", "curve", 1], 50.0) or d,
                    "disagree with their image records"),
}


def test_every_broken_invariant_is_named_and_site_refuses_it(tmp_path):
    clean = _copy(tmp_path)
    for case, (name, fn, expect) in BROKEN.items():
        out = tmp_path / case.replace(" ", "_").replace("/", "_")
        shutil.copytree(clean, out)
        path = out / RUN / name
        if case == "summary not UTF-8":
            path.write_bytes(b'{"model": "caf\xe9"}')
        else:
            _edit(path, fn)
        res = CliRunner().invoke(cli, ["validate", str(out), "--json"])
        assert res.exit_code == 1, (case, res.output, res.exception)
        problems = json.loads(res.output)["runs"][RUN]
        assert any(expect in p for p in problems), (case, problems)
        site = CliRunner().invoke(cli, ["site", "--results", str(out), "--out", str(tmp_path / "site"), "--jobs", "1"])
        assert isinstance(site.exception, UserError), (case, site.output, site.exception)
        assert RUN.split("/")[1] in str(site.exception) and expect in str(site.exception), (case, site.exception)
    assert not (tmp_path / "site").exists()
