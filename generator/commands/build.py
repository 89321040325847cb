"""``mkbench run`` (compute a suite: resumable, local or SLURM) and ``mkbench build`` (run, then build the site)."""
from __future__ import annotations

import functools
from pathlib import Path

import click

from .output import FORMATS, console, emit

SUITE_HELP = "A preset (demo, paper13) or a suite YAML file; default: demo."

RUN_EXAMPLES = """
\b
Examples:
  mkbench run                                   # the demo suite into results/
  mkbench run paper13 --dry-run                 # what is missing, what is done, what is left
  mkbench run paper13 --max-units 2             # 2 classes per dataset: seconds per class, cost per model
  mkbench run my-suite.yaml --model vit-b-16 --dataset imagenet --device cuda
  mkbench run paper13 --executor slurm          # a job array on SLURM (resources from the suite)
  mkbench run my-suite.yaml --executor slurm --cluster local   # the SLURM path on this machine
  mkbench run --quiet                           # CI: no progress bars, a one-line report
  mkbench run --format json > report.json       # the report on stdout for scripts (also: --format csv)

A rerun skips every class already done; a killed run resumes where it stopped.
Logs and a JSON report of each run: OUT/.logs/.
"""

BUILD_EXAMPLES = """
\b
Examples:
  mkbench build                                 # demo suite -> results/ -> site/ (open site/index.html)
  mkbench build paper13 --out results --site site --executor slurm
  mkbench build my-suite.yaml --quiet --site-url https://me.github.io/mkbench/
"""


def suite_options(fn):
    """The options ``run`` and ``build`` share."""
    opts = [
        click.argument("suite", required=False, metavar="[SUITE]"),
        click.option("--out", default="results", show_default=True, type=click.Path(file_okay=False),
                     metavar="DIR", help="Results folder (shards, caches, logs and the merged per-model files)."),
        click.option("--executor", type=click.Choice(["local", "slurm"]),
                     help="Where to run: local (in-process or one worker per GPU) or slurm (submitit job array). "
                          "Default: the suite's `executor.kind`."),
        click.option("--workers", type=click.IntRange(1, 1024), metavar="N",
                     help="Local executor: worker processes (default: one per visible GPU, else in-process)."),
        click.option("--cluster", default="slurm", show_default=True,
                     type=click.Choice(["slurm", "local", "debug"]),
                     help="submitit backend of --executor slurm; local/debug run the same path on this machine."),
        click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]),
                     help="Override the suite's device (auto: CUDA when present, else CPU)."),
        click.option("--model", "models", multiple=True, metavar="ID",
                     help="Only this model (its id or its name in the suite); repeatable."),
        click.option("--dataset", "datasets", multiple=True, metavar="NAME", help="Only this dataset; repeatable."),
        click.option("--max-units", type=click.IntRange(1), metavar="N",
                     help="Only the first N classes per dataset: a sample to time (results are not merged)."),
        click.option("--keep-going", is_flag=True,
                     help="Run what can run when some models/datasets are missing, and report the rest."),
        click.option("--overlays", "overlays_per_class", default=4, show_default=True, type=click.IntRange(0),
                     help="Part-overlay PNGs for the first N images of each class."),
        click.option("--weights-cache", type=click.Path(file_okay=False), metavar="DIR",
                     help="open_clip / Hugging Face cache folder holding the weights (default: theirs)."),
        click.option("--no-feature-cache", "no_feature_cache", is_flag=True,
                     help="Do not reuse or store image features (OUT/.cache/features: per class, the encode pass with "
                     "float16 patch features and the prompt embeddings; ViT-B/16 on ImageNet ~15 MB per class, ~15 GB "
                     "per model). Results are the same either way."),
        click.option("--fail-fast/--skip-bad-images", "fail_fast", default=None,
                     help="Stop at the first unreadable image (corrupt, truncated, empty, a decompression bomb) "
                          "instead of skipping it and listing it in the results (default: the suite's `fail_fast`, "
                          "else skip)."),
        click.option("--dry-run", is_flag=True, help="Plan and report what would run; compute nothing."),
        click.option("-q", "--quiet", is_flag=True, help="No progress bars (CI); errors and a one-line report."),
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                     help="The run report: table (for people, on stderr), json (the whole report, as in "
                          "OUT/.logs/<run>.json) or csv (one row per model and dataset) on stdout."),
    ]
    return functools.reduce(lambda f, o: o(f), reversed(opts), fn)


def _run(suite, out, executor, workers, cluster, device, models, datasets, max_units, keep_going, overlays_per_class,
         weights_cache, dry_run, quiet, fmt="table", no_feature_cache=False, fail_fast=None):
    from generator.runner.orchestrate import run_suite
    from generator.runner.types import RunOptions
    from generator.suite import load_suite

    s = load_suite(suite)
    _check_results_folder(s, Path(out))
    opts = RunOptions(out=Path(out), executor=executor, workers=workers, cluster=cluster, device=device,
                      models=tuple(models), datasets=tuple(datasets), max_units=max_units, keep_going=keep_going,
                      overlays_per_class=overlays_per_class, weights_cache=weights_cache,
                      feature_cache=not no_feature_cache, fail_fast=fail_fast)
    return run_suite(s, opts, quiet=quiet, dry_run=dry_run, console=console(stderr=True))


def _print_report(report, fmt: str, **extra) -> None:
    """The run report on stdout as JSON (the whole report) or CSV (one row per pair); tables went to stderr."""
    from dataclasses import asdict

    if fmt == "json":
        emit({**report.to_dict(), **extra}, "json")
    elif fmt == "csv":
        emit([asdict(p) for p in report.pairs], "csv")


def _check_results_folder(s, out: Path) -> None:
    """The results folder must not overlap a dataset folder (the results would be read as images, or a
    dataset's files overwritten)."""
    from generator.outputs import check_separate

    check_separate({"--out": out}, {f"dataset {ds.name!r} (dir)": getattr(ds, "dir", None) for ds in s.datasets})


@click.command("run", epilog=RUN_EXAMPLES, context_settings={"max_content_width": 100})
@suite_options
@click.pass_context
def run(ctx, **kw):
    """Compute a suite (models x datasets x methods): resumable, cached, local or on SLURM.

    SUITE is a preset (demo, paper13) or a suite YAML file; default: demo."""
    report = _run(**kw)
    _print_report(report, kw["fmt"])
    if not report.ok:
        ctx.exit(1)


@click.command("build", epilog=BUILD_EXAMPLES, context_settings={"max_content_width": 100})
@suite_options
@click.option("--site", "site_dir", default="site", show_default=True, type=click.Path(file_okay=False),
              metavar="DIR", help="Output folder of the website.")
@click.option("--site-url", metavar="URL", help="Public URL of the site (citations, MkDocs' site_url).")
@click.option("--versioned", is_flag=True, help="Build into SITE/v<version>/ and point SITE/index.html at it.")
@click.option("--force", is_flag=True,
              help="Build the site into a --site folder that is not empty and was not created by mkbench (its other "
                   "files are kept).")
@click.pass_context
def build(ctx, site_dir, site_url, versioned, force, **kw):
    """Compute a suite, then build the website from its results (the README's one command).

    SUITE is a preset (demo, paper13) or a suite YAML file; default: demo. With failed classes the site
    is not built unless --keep-going (it then shows what was merged)."""
    from generator.report.site import SiteOptions, build_site, check_outputs

    opts = SiteOptions(results=Path(kw["out"]), out=Path(site_dir), site_url=site_url, versioned=versioned,
                       force=force)
    if not kw["dry_run"]:
        check_outputs(opts)   # before computing for hours: the site folder must be usable
    report = _run(**kw)
    if kw["dry_run"]:
        _print_report(report, kw["fmt"])
        return
    if not report.ok and not kw["keep_going"]:
        click.secho("site not built: some classes failed (see above); fix them and rerun, or pass --keep-going",
                    fg="red", err=True)
        _print_report(report, kw["fmt"])
        ctx.exit(1)
    quiet = kw["quiet"]
    from generator.runner.progress import site_progress

    with site_progress(quiet=quiet) as on_stage:
        site = build_site(opts, log=(lambda m: None) if quiet else (lambda m: click.echo(m, err=True)),
                          on_stage=on_stage)
    for w in site.warnings:
        click.secho(f"warning: {w}", fg="yellow", err=True)
    if kw["fmt"] == "table":
        click.echo(str(site.site_dir))
    _print_report(report, kw["fmt"], site=str(site.site_dir))
    if not report.ok:
        ctx.exit(1)
