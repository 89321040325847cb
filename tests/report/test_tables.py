"""One table, three downloads: CSV (formula-safe), JSON (no NaN), LaTeX (escaped)."""
from __future__ import annotations

import csv
import io
import json
import math

from generator.report.tables import Column, Table, to_csv, to_json, to_latex


def _table():
    return Table("t", "Title & more", [Column("name", "Name"), Column("auc", "AUC", "num", 3)],
                 [{"name": "=cmd|' /C calc'!A0", "auc": 1.23456}, {"name": "a_b & c", "auc": math.nan},
                  {"name": "-5", "auc": -0.5}])


def test_csv_neutralises_formulas_but_not_numbers():
    rows = list(csv.reader(io.StringIO(to_csv(_table()))))
    assert rows[0] == ["name", "auc"]
    assert rows[1][0].startswith("'=") and rows[1][1] == "1.23456"
    assert rows[2][1] == "" and rows[3] == ["-5", "-0.5"]


def test_json_has_columns_rows_and_null_for_nan():
    doc = json.loads(to_json(_table(), {"dataset": "x"}))
    assert doc["columns"][1] == {"key": "auc", "label": "AUC", "kind": "num"}
    assert doc["rows"][1]["auc"] is None and doc["meta"] == {"dataset": "x"}


def test_latex_is_escaped_and_formatted():
    tex = to_latex(_table())
    assert r"a\_b \& c & --" in tex and "1.235" in tex and r"Title \& more" in tex
    assert tex.count("\\\\") == 4


def test_csv_prefixes_every_formula_start_and_json_drops_infinities():
    t = Table("t", "T", [Column("name", "Name"), Column("auc", "AUC", "num", 3)],
              [{"name": v, "auc": math.inf} for v in ("\t=1+1", "\r=1", "@SUM(A1)", "+cmd", "-1+2", "\t1")])
    rows = list(csv.reader(io.StringIO(to_csv(t), newline="")))[1:]
    assert all(r[0].startswith("'") for r in rows), rows
    assert all(r["auc"] is None for r in json.loads(to_json(t))["rows"])
