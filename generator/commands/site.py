"""``mkbench site`` (build the website from results, no model or GPU needed) and ``mkbench serve`` (preview it with
the MkDocs dev server, or serve a built site as static files with ``--built``)."""
from __future__ import annotations

import contextlib
from pathlib import Path

import click

EXAMPLES = """
\b
Examples:
  mkbench site --results results --out site          # then open site/index.html
  mkbench site --results results --versioned          # site/v<version>/ + site/index.html -> newest
"""
SERVE_EXAMPLES = """
\b
Examples:
  mkbench serve --results results                     # MkDocs dev server at http://127.0.0.1:8000/
  mkbench serve --results results --dev-addr 127.0.0.1:8001 --staging /tmp/staging
  mkbench serve --built site                          # a built site as static files
"""


def _options(static_default: str):
    """Options shared by ``site`` and ``serve`` (both render the pages from results)."""
    opts = [
        click.option("--results", default="results", show_default=True, type=click.Path(file_okay=False),
                     metavar="DIR",
                     help="Results folder: DIR/<dataset>/<model-id>/{summary.json,classes.json,images.jsonl}."),
        click.option("--staging", type=click.Path(file_okay=False), metavar="DIR",
                     help="Keep the generated Markdown/mkdocs.yml here (default: a temporary folder, removed). "
                          "Must be new, empty, or a staging folder mkbench created (it is emptied first)."),
        click.option("--site-url", metavar="URL", help="Public URL of the site (for citations and MkDocs' site_url)."),
        click.option("--examples", default=2, show_default=True, type=click.IntRange(0, 50),
                     help="Example images per class and model on class pages."),
        click.option("--bootstrap", "n_boot", default=1000, show_default=True, type=click.IntRange(0, 100000),
                     help="Bootstrap resamples: over images for the 95% intervals of the metrics, over models for "
                          "the AUC-top-1 correlation (0: none)."),
        click.option("--static-charts", default=static_default, show_default=True,
                     type=click.Choice(["summary", "all", "none"]),
                     help="Static SVG/PNG copies (vl-convert) of data-set and model charts, also of class charts, "
                          "or none."),
        click.option("--no-search", is_flag=True, help="Leave out the search index (faster builds of very large sites)."),
        click.option("--jobs", type=click.IntRange(1, 256), metavar="N",
                     help="Worker processes reading results and rendering pages (default: CPUs)."),
        click.option("--templates", type=click.Path(file_okay=False), metavar="DIR",
                     help="Alternative templates folder (default: the shipped templates)."),
        click.option("--paper-data", type=click.Path(file_okay=False), metavar="DIR",
                     help="Alternative folder of the paper's reference tables (default: the shipped data/paper)."),
    ]

    def wrap(f):
        for o in reversed(opts):
            f = o(f)
        return f
    return wrap


def _site_options(results, staging, site_url, examples, n_boot, static_charts, no_search, jobs, templates,
                  paper_data, **more):
    from generator.report.site import SiteOptions

    opts = SiteOptions(results=Path(results), staging=Path(staging) if staging else None, site_url=site_url,
                       n_boot=n_boot, examples=examples, jobs=jobs, static_charts=static_charts,
                       search=not no_search, **more)
    if templates:
        opts.templates = Path(templates)
    if paper_data:
        opts.paper_data = Path(paper_data)
    return opts


@click.command("site", epilog=EXAMPLES, context_settings={"max_content_width": 100})
@_options("summary")
@click.option("--out", default="site", show_default=True, type=click.Path(file_okay=False), metavar="DIR",
              help="Output folder of the built site.")
@click.option("--versioned", is_flag=True, help="Build into OUT/v<version>/ and point OUT/index.html at it.")
@click.option("--force", is_flag=True,
              help="Build into an --out folder that is not empty and was not created by mkbench; its other files are "
                   "kept (mkbench otherwise refuses it: it replaces only folders it created).")
def site(out, versioned, force, **options):
    """Build the website (leaderboards, charts, model/class/comparison pages) from results with MkDocs.

    OUT is replaced whole only when mkbench created it (it holds .mkbench-owned); the new site is built beside it
    and moved into place, so an interrupted build leaves the previous site as it was."""
    from generator.report.site import build_site

    opts = _site_options(**options, out=Path(out), versioned=versioned, force=force)
    with stage_bar() as on_stage:
        report = build_site(opts, log=lambda msg: click.echo(msg, err=True), on_stage=on_stage)
    for w in report.warnings:
        click.secho(f"warning: {w}", fg="yellow", err=True)
    times = ", ".join(f"{k} {v:.1f}s" for k, v in report.timings.items())
    click.echo(f"{report.n_pages} pages ({times})", err=True)
    click.echo(str(report.site_dir))


@contextlib.contextmanager
def stage_bar(quiet: bool = False):
    """A bar over ``build_site``'s stages (yields its ``on_stage`` callback), drawn here with rich and not with
    :func:`generator.runner.progress.site_progress`: importing the runner imports torch, and ``mkbench site`` must
    run with the ``[site]`` extra alone (tests/test_wheel.py runs it with the runner unimportable)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from generator.report.site import SITE_STAGES

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True), disable=quiet, transient=True) as bars:
        task = bars.add_task("building site", total=len(SITE_STAGES))

        def on_stage(name: str) -> None:
            bars.update(task, description=f"building site ({name} done)")
            bars.advance(task)
        yield on_stage


def _dev_addr(ctx, param, value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter(f"{value!r}: expected HOST:PORT, e.g. 127.0.0.1:8000")
    return value


@click.command("serve", epilog=SERVE_EXAMPLES, context_settings={"max_content_width": 100})
@_options("none")
@click.option("--dev-addr", default="127.0.0.1:8000", show_default=True, metavar="HOST:PORT", callback=_dev_addr,
              help="Address of the MkDocs dev server (0.0.0.0:PORT exposes it to the network).")
@click.option("--no-livereload", is_flag=True, help="Do not reload pages in the browser when staged files change.")
@click.option("--built", type=click.Path(file_okay=False, exists=True), metavar="DIR",
              help="Instead: serve an already built site folder (from `mkbench site`) as static files, as a web "
                   "host would (e.g. a --versioned build); no MkDocs, --results ignored.")
def serve(dev_addr, no_livereload, built, **options):
    """Preview the website with the MkDocs dev server: render the pages from --results (as `mkbench site` does)
    into a staging folder and run `mkdocs serve` on it (Ctrl-C stops)."""
    if built:
        _serve_static(built, dev_addr)
        return
    from generator.report.site import serve_site

    code = serve_site(_site_options(**options), dev_addr=dev_addr, livereload=not no_livereload,
                      log=lambda msg: click.echo(msg, err=True))
    if code not in (0, -2, 130):  # 0 / SIGINT: stopped by the user
        raise click.ClickException(f"mkdocs serve exited with status {code}")


def _serve_static(folder: str, dev_addr: str) -> None:
    import functools
    import http.server

    host, _, port = dev_addr.rpartition(":")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(Path(folder)))
    with http.server.ThreadingHTTPServer((host, int(port)), handler) as httpd:
        click.echo(f"serving {folder} at http://{dev_addr}/ (Ctrl-C stops)", err=True)
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass
