"""``mkbench site`` (build the website from results, no model or GPU needed) and ``mkbench serve`` (preview it)."""
from __future__ import annotations

from pathlib import Path

import click

EXAMPLES = """
\b
Examples:
  mkbench site --results results --out site          # then open site/index.html
  mkbench site --results results --versioned          # site/v<version>/ + site/index.html -> newest
  mkbench serve --out site                            # http://127.0.0.1:8000/
"""


@click.command("site", epilog=EXAMPLES, context_settings={"max_content_width": 100})
@click.option("--results", default="results", show_default=True, type=click.Path(file_okay=False),
              metavar="DIR", help="Results folder: DIR/<dataset>/<model-id>/{summary.json,classes.json,images.jsonl}.")
@click.option("--out", default="site", show_default=True, type=click.Path(file_okay=False), metavar="DIR",
              help="Output folder of the built site.")
@click.option("--staging", type=click.Path(file_okay=False), metavar="DIR",
              help="Keep the generated Markdown/mkdocs.yml here (default: a temporary folder, removed).")
@click.option("--versioned", is_flag=True, help="Build into OUT/v<version>/ and point OUT/index.html at it.")
@click.option("--site-url", metavar="URL", help="Public URL of the site (for citations and MkDocs' site_url).")
@click.option("--examples", default=2, show_default=True, type=click.IntRange(0, 50),
              help="Example images per class and model on class pages.")
@click.option("--bootstrap", "n_boot", default=1000, show_default=True, type=click.IntRange(0, 100000),
              help="Bootstrap resamples over images for the 95% intervals (0: none).")
@click.option("--static-charts", default="summary", show_default=True, type=click.Choice(["summary", "all", "none"]),
              help="Static SVG/PNG copies (vl-convert) of data-set and model charts, also of class charts, or none.")
@click.option("--no-search", is_flag=True, help="Leave out the search index (faster builds of very large sites).")
@click.option("--jobs", type=click.IntRange(1, 256), metavar="N",
              help="Worker processes reading results and rendering pages (default: CPUs).")
@click.option("--templates", type=click.Path(file_okay=False), metavar="DIR", help="Alternative templates folder.")
@click.option("--paper-data", type=click.Path(file_okay=False), metavar="DIR",
              help="Alternative folder of the paper's reference tables (default: the repository's data/paper).")
def site(results, out, staging, versioned, site_url, examples, n_boot, static_charts, no_search, jobs, templates,
         paper_data):
    """Build the website (leaderboards, charts, model/class/comparison pages) from results with MkDocs."""
    from generator.report.site import SiteOptions, build_site

    opts = SiteOptions(results=Path(results), out=Path(out), staging=Path(staging) if staging else None,
                       versioned=versioned, site_url=site_url, n_boot=n_boot, examples=examples, jobs=jobs,
                       static_charts=static_charts, search=not no_search)
    if templates:
        opts.templates = Path(templates)
    if paper_data:
        opts.paper_data = Path(paper_data)
    report = build_site(opts, log=lambda msg: click.echo(msg, err=True))
    for w in report.warnings:
        click.secho(f"warning: {w}", fg="yellow", err=True)
    times = ", ".join(f"{k} {v:.1f}s" for k, v in report.timings.items())
    click.echo(f"{report.n_pages} pages ({times})", err=True)
    click.echo(str(report.site_dir))


@click.command("serve")
@click.option("--out", default="site", show_default=True, type=click.Path(file_okay=False, exists=True),
              metavar="DIR", help="Built site folder (from `mkbench site`).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--bind", default="127.0.0.1", show_default=True)
def serve(out, port, bind):
    """Serve a built site over HTTP for a local preview (Ctrl-C stops)."""
    import functools
    import http.server

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(Path(out)))
    with http.server.ThreadingHTTPServer((bind, port), handler) as httpd:
        click.echo(f"serving {out} at http://{bind}:{port}/ (Ctrl-C stops)", err=True)
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass
