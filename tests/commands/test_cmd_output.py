"""``--format table|json|csv`` of the listing commands and the run report: JSON parses, CSV parses with the same
rows, and a table printed where stdout is not a terminal (CliRunner, a pipe) cuts no cell."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.registry.models import PAPER_MODELS
from tests.fixtures.suites import make_suite

LISTINGS = [["models"], ["datasets", "demo"], ["descriptors", "list"]]


@pytest.mark.parametrize("args", LISTINGS, ids=lambda a: " ".join(a))
def test_json_and_csv_parse_and_agree(args):
    as_json = CliRunner().invoke(cli, args + ["--format", "json"])
    as_csv = CliRunner().invoke(cli, args + ["--format", "csv"])
    shorthand = CliRunner().invoke(cli, args + ["--json"])
    assert as_json.exit_code == as_csv.exit_code == shorthand.exit_code == 0, as_json.output + as_csv.output
    rows = json.loads(as_json.output)
    assert rows and json.loads(shorthand.output) == rows
    table = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert len(table) == len(rows)
    first = rows[0]
    key = next(iter(first))
    assert [r[key] for r in table] == [str(r[key]) for r in rows]


def test_models_table_in_a_pipe_keeps_whole_names():
    """Piped output (not a terminal) is as wide as its content: every id and tag whole, on its row."""
    proc = subprocess.run([sys.executable, "-c", "from generator.cli import main; main()", "models"], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "80"})
    assert proc.returncode == 0, proc.stderr
    assert "…" not in proc.stdout and "\x1b[" not in proc.stdout
    lines = proc.stdout.splitlines()
    for m in PAPER_MODELS.values():
        row = next(line for line in lines if f" {m.key} " in line)
        assert m.pretrained in row and m.model in row, row


def test_run_report_as_json_and_csv(tmp_path):
    suite = make_suite(tmp_path)
    out = tmp_path / "results"
    res = CliRunner().invoke(cli, ["run", str(suite), "--out", str(out), "--dry-run", "--format", "json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["suite"] == "tiny" and report["totals"]["total"] == 3 and report["ok"] is True
    assert [(p["model_id"], p["dataset"]) for p in report["pairs"]] == [("tiny-vit__untrained", "shapes")]
    res = CliRunner().invoke(cli, ["run", str(suite), "--out", str(out), "--dry-run", "--format", "csv"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert [(r["model_id"], r["dataset"], r["total"]) for r in rows] == [("tiny-vit__untrained", "shapes", "3")]
