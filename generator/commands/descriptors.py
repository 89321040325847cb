"""``mkbench descriptors``: the public LLM descriptor pools (Menon & Vondrick), pinned by URL and sha256, fetched
into mkbench's cache (``$MKBENCH_CACHE/descriptors``, default ``~/.cache/mkbench/descriptors``) where suites that
name a pool (``descriptors: imagenet``) find them. mkbench never ships these files (they carry no licence)."""
from __future__ import annotations

import click

from .output import chosen, console, emit, format_options, table

FETCH_EXAMPLES = """
\b
Examples:
  mkbench descriptors fetch imagenet                       # download, check sha256, cache
  mkbench descriptors fetch imagenet --from ~/descriptors_imagenet.json   # offline: a copy you have
  mkbench descriptors fetch food101 --dest pools/          # somewhere else
"""


GROUP_EXAMPLES = """
\b
Examples:
  mkbench descriptors list                 # known pools and whether they are cached
  mkbench descriptors fetch imagenet       # then a suite can say `descriptors: imagenet`
"""


@click.group("descriptors", epilog=GROUP_EXAMPLES, context_settings={"max_content_width": 100})
def descriptors():
    """Known descriptor pools: list them, fetch one (pinned URL and sha256)."""


@descriptors.command("list", epilog="\b\nExamples:\n  mkbench descriptors list\n"
                                    "  mkbench descriptors list --format json      # or --format csv")
@format_options
def list_pools(fmt, as_json):
    """The known pools, their pinned sha256 and whether they are cached here."""
    from generator.registry.descriptors import KNOWN_POOLS
    from generator.runner.resources import cached_pool

    rows = [{"name": n, "classes": k.n_classes, "unique descriptors": k.n_unique, "sha256": k.sha256,
             "url": k.url, "cached": str(cached_pool(n)) if cached_pool(n).is_file() else None}
            for n, k in sorted(KNOWN_POOLS.items())]
    if emit(rows, chosen(fmt, as_json)):
        return
    console().print(table("known descriptor pools", ("name", "classes", "unique descriptors", "cached", "sha256"), [
        [r["name"], str(r["classes"]), str(r["unique descriptors"]),
         r["cached"] or f"no: mkbench descriptors fetch {r['name']}", r["sha256"]] for r in rows],
        right=("classes", "unique descriptors")))


@descriptors.command("fetch", epilog=FETCH_EXAMPLES)
@click.argument("name")
@click.option("--from", "from_file", type=click.Path(dir_okay=False, exists=True), metavar="FILE",
              help="Take this local copy instead of downloading (its sha256 must match the pin).")
@click.option("--dest", type=click.Path(file_okay=False), metavar="DIR",
              help="Folder to write to (default: mkbench's cache, where suites look).")
def fetch(name, from_file, dest):
    """Download the known pool NAME from its pinned URL (or copy --from FILE), check its sha256, cache it.

    Prints the path of the pool file."""
    from generator.registry.descriptors import KNOWN_POOLS, fetch_pool
    from generator.errors import UserError
    from generator.runner.resources import pool_dir

    try:
        path = fetch_pool(name, dest or pool_dir(), from_file=from_file, timeout=30.0)
    except UserError as e:
        msg = str(e)
        if "cannot download" in msg:
            msg = (f"cannot download descriptor pool {name!r} from {KNOWN_POOLS[name].url}; download that file on a "
                   f"machine with internet and run `mkbench descriptors fetch {name} --from FILE`")
        raise UserError(msg.replace("(CLI: --from-file)", "(--from FILE)")) from None
    click.echo(str(path))
