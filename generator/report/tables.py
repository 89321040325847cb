"""Tables of the site as data: one :class:`Table` is written as CSV, JSON and LaTeX (downloads) and rendered as
an HTML table by the templates, so the three downloads and the page always hold the same numbers.

Text from result files is escaped for LaTeX here (:func:`generator.report.escape.latex`) and for HTML by the
templates' autoescape. CSV cells that a spreadsheet would run as a formula (leading ``= + - @``) are prefixed
with ``'`` (also a leading tab or carriage return).
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from typing import Any, Optional

from .escape import latex, strip_controls


# decimals of each metric, everywhere (pages, findings, CSV-free downloads: LaTeX), as the paper prints them
DIGITS = {"top1": 2, "mi": 2, "auc": 2}


def metric_digits(key: str) -> int:
    return DIGITS.get(key.partition(".")[0], 2)


def fmt_metric(value, key: str, signed: bool = False) -> str:
    """The one formatter of a metric value on the site, in findings and in the LaTeX export."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    d = metric_digits(key)
    return f"{value:+.{d}f}" if signed else f"{value:.{d}f}"


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"      # "text" | "num" | "int"
    digits: int = 2
    unit: str = ""          # stated in the JSON download


@dataclass
class Table:
    name: str               # file stem of the downloads
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    caption: str = ""

    def fmt(self, col: Column, value) -> str:
        return fmt(value, col.kind, col.digits)


def fmt(value, kind: str = "num", digits: int = 2) -> str:
    """Display form of a cell: numbers rounded, missing values as an en dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "num":
        return f"{value:.{digits}f}"
    if kind == "int":
        return f"{int(value):,}"
    return str(value)


def signed(value, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:+.{digits}f}"


def _plain(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")   # what spreadsheets run as a formula (OWASP CSV injection)


def _csv_cell(value) -> str:
    if value is None:
        return ""
    s = strip_controls(str(value)).replace("\r", " ")   # csv quotes only "\n" (our line end): a bare CR would split the row
    return "'" + s if s.lstrip(" ")[:1] in _FORMULA_START and not _is_number(s) else s


def _is_number(s: str) -> bool:
    if s != s.strip():
        return False
    try:
        float(s)
        return True
    except ValueError:
        return False


def to_csv(table: Table) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([c.key for c in table.columns])
    for row in table.rows:
        w.writerow([_csv_cell(_plain(row.get(c.key))) for c in table.columns])
    return buf.getvalue()


def to_json(table: Table, meta: Optional[dict] = None) -> str:
    doc = {"title": table.title, "caption": table.caption,
           "columns": [{"key": c.key, "label": c.label, "kind": c.kind, **({"unit": c.unit} if c.unit else {})}
                       for c in table.columns],
           "rows": [{c.key: _plain(row.get(c.key)) for c in table.columns} for row in table.rows]}
    if meta:
        doc["meta"] = meta
    return json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def to_latex(table: Table) -> str:
    """A booktabs ``tabular`` (needs ``\\usepackage{booktabs}``, stated in its first comment lines)."""
    align = "".join("r" if c.kind in ("num", "int") else "l" for c in table.columns)
    lines = [f"% {latex(table.title)}", "% Needs \\usepackage{booktabs} (nothing else).",
             "\\begin{tabular}{" + align + "}", "\\toprule",
             " & ".join(latex(c.label) for c in table.columns) + " \\\\", "\\midrule"]
    for row in table.rows:
        lines.append(" & ".join(latex(fmt(row.get(c.key), c.kind, c.digits)).replace("–", "--")
                                for c in table.columns) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}", ""]
    return "\n".join(lines)


WRITERS = {"csv": to_csv, "json": to_json, "tex": to_latex}
