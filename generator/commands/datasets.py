"""``mkbench datasets``: the datasets of the presets (or of a suite): folder found or not, classes, images,
templates and descriptor pool, and the known template sets and pools."""
from __future__ import annotations

import click

from .output import chosen, console, emit, format_options, table

COLUMNS = ("suite", "dataset", "classes", "images", "templates", "descriptors", "dir", "status")

EXAMPLES = """
\b
Examples:
  mkbench datasets                    # the datasets of every preset (demo, paper13)
  mkbench datasets my-suite.yaml      # the datasets of a suite
  MKBENCH_DATA=/data mkbench datasets paper13 --format json     # or --format csv
"""


def _row(suite, ds) -> dict:
    from generator.errors import UserError
    from generator.registry.datasets import scan_image_folder
    from generator.runner.resources import cached_pool
    from generator.runner.resolve import unset_vars as _unset_vars
    from generator.registry.descriptors import KNOWN_POOLS

    row = {"suite": suite.name, "dataset": ds.name, "dir": ds.dir, "classes": None, "images": None,
           "templates": ds.templates if isinstance(ds.templates, str) else f"{len(ds.templates)} templates",
           "descriptors": ds.descriptors, "status": "ok"}
    if ds.descriptors in KNOWN_POOLS:
        cached = cached_pool(ds.descriptors).is_file()
        row["descriptors"] = f"{ds.descriptors} ({'cached' if cached else 'not cached: mkbench descriptors fetch'})"
    unset = _unset_vars(ds.dir)
    if unset:
        row["status"] = f"set {', '.join(unset)} (the folder holding the data)"
        return row
    try:
        folder = scan_image_folder(ds.dir, name=ds.name, class_names=ds.classnames)
        row["classes"], row["images"] = len(folder.classes), folder.n_images
    except UserError as e:
        row["status"] = ("generated on first run" if ds.generate else str(e))
    return row


@click.command("datasets", epilog=EXAMPLES, context_settings={"max_content_width": 100})
@click.argument("suites", nargs=-1, metavar="[SUITE]...")
@format_options
def datasets(suites, fmt, as_json):
    """List the datasets of the presets (or of the given suites) and whether their folders are here."""
    from generator.registry.datasets import TEMPLATES
    from generator.registry.descriptors import KNOWN_POOLS
    from generator.suite import list_presets, load_suite

    rows = [_row(s, ds) for s in map(load_suite, suites or list_presets()) for ds in s.datasets]
    if emit(rows, chosen(fmt, as_json), COLUMNS):
        return
    out = console()
    out.print(table("datasets", COLUMNS, [
        [r["suite"], r["dataset"], str(r["classes"] or "-"), str(r["images"] or "-"), str(r["templates"]),
         str(r["descriptors"]), r["dir"], "[green]ok[/green]" if r["status"] == "ok" else f"[yellow]{r['status']}[/yellow]"]
        for r in rows], right=("classes", "images")))
    out.print(f"template sets: {', '.join(TEMPLATES)} (or a file); known descriptor pools: "
                  f"{', '.join(sorted(KNOWN_POOLS))} (or a JSON file)", highlight=False)
