"""``mkbench reproduce-report``: our numbers beside the paper's (Tables 1, 2, 3, 6, 7) with differences, intervals
and whether the paper's value lies inside them, a scatter ours vs paper, and what could not be computed here
(:mod:`generator.report.reproduction`)."""
from __future__ import annotations

import json
from pathlib import Path

import click

EXAMPLES = """
\b
Examples:
  mkbench reproduce-report                          # results/ -> reproduction/
  mkbench reproduce-report /scratch/results --out rep --json
"""


@click.command("reproduce-report", epilog=EXAMPLES, context_settings={"max_content_width": 100})
@click.argument("results", default="results", type=click.Path(file_okay=False), metavar="[RESULTS]")
@click.option("--paper-data", type=click.Path(file_okay=False), default=None,
              help="Folder of the paper's reference tables (default: the shipped data/paper).")
@click.option("--out", default="reproduction", type=click.Path(file_okay=False), show_default=True,
              help="Folder for reproduction.{json,csv,md} and the scatter (scatter.vl.json, scatter.svg).")
@click.option("--no-static", is_flag=True, help="Do not render scatter.svg (vl-convert).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def reproduce_report(results, paper_data, out, no_static, as_json):
    """Set every number computed under RESULTS beside the paper's."""
    from generator.report.reproduction import markdown, reproduce, write
    from generator.resources import paper_dir

    rep = reproduce(Path(results), Path(paper_data) if paper_data else paper_dir())
    files = write(rep, Path(out), static=not no_static)
    if as_json:
        click.echo(json.dumps(rep.to_dict(), indent=1))
    else:
        click.echo(markdown(rep))
        click.echo(f"wrote {', '.join(str(f) for f in files)}", err=True)
