"""Output of the listing commands for people and for scripts: ``--format table|json|csv``.

``table`` is a rich table on a terminal; when stdout is not a terminal (a pipe, a file) the same table is printed
at its natural width with no colour, so no cell is cut or wrapped (``mkbench models | grep vit-b`` sees whole
names). ``json`` prints the rows as a JSON list (one object per row, stable keys); ``csv`` prints a header line and
one line per row (RFC 4180 quoting). ``--json`` stays as a shorthand for ``--format json``.
"""
from __future__ import annotations

import csv
import io
import json
import sys
from typing import Optional, Sequence

import click

FORMATS = ("table", "json", "csv")
WIDE = 100_000  # columns of a console that is not a terminal: wide enough never to cut a cell


def format_options(fn):
    """``--format`` and its shorthand ``--json`` (both end up in the ``fmt`` argument)."""
    fn = click.option("--json", "as_json", is_flag=True, help="Shorthand for --format json.")(fn)
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                        help="table for people; json or csv for scripts (never cut, no colour).")(fn)


def chosen(fmt: str, as_json: bool) -> str:
    return "json" if as_json else fmt


def console(stderr: bool = False):
    """A rich console: the terminal's own, or (not a terminal) one that never cuts, wraps or colours."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr)
    return Console(file=stream, width=WIDE, color_system=None, soft_wrap=True, highlight=False)


def table(title: Optional[str], columns: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[str] = ()):
    """A rich table whose cells fold on a terminal and are never cut anywhere."""
    from rich.table import Table

    t = Table(title=title)
    for c in columns:
        t.add_column(c, justify="right" if c in right else "left", overflow="fold")
    for r in rows:
        t.add_row(*r)
    return t


def emit(rows, fmt: str, columns: Optional[Sequence[str]] = None) -> bool:
    """Print ``rows`` (a list of dicts; JSON also takes one dict) as JSON or CSV (``columns``: which keys and in which order; default: all, first-seen order);
    returns False for ``table`` (the caller prints its own table)."""
    if fmt == "json":
        click.echo(json.dumps(rows, indent=1, ensure_ascii=False))
        return True
    if fmt == "csv":
        cols = list(columns) if columns else list(dict.fromkeys(k for r in rows for k in r))
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: _cell(r.get(k)) for k in cols})
        click.echo(buf.getvalue(), nl=False)
        return True
    return False


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    return v
