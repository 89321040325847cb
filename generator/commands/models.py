"""``mkbench models``: the model registry (the paper's 13 models) or a suite's models, with whether their weights
are available on this machine (looked up locally only, never downloaded)."""
from __future__ import annotations

import click

from .output import chosen, console, emit, format_options, table

EXAMPLES = """
\b
Examples:
  mkbench models                      # the paper's 13 models and whether their weights are here
  mkbench models --suite demo         # the models of a suite (preset or YAML file)
  mkbench models --format json        # machine-readable (also: --format csv, or --json)
  mkbench models --weights-cache /scratch/hf-cache

Any open_clip (architecture, pretrained) pair, a checkpoint file or a custom model-config
JSON can be used in a suite or with `mkbench compute` too; see open_clip.list_pretrained().
"""


def _paper_rows(cache):
    from generator.registry.models import PAPER_MODELS, ModelSpec, is_available

    return [{"id": m.key, "paper name": m.paper_name, "family": m.family, "data": m.data, "model": m.model,
             "pretrained": m.pretrained, "image size": m.image_size,
             "available": is_available(ModelSpec(m.model, m.pretrained, paper_key=m.key), cache)}
            for m in PAPER_MODELS.values()]


def _suite_rows(suite_name, cache):
    from generator.errors import UserError
    from generator.registry.models import check_weights, resolve_model
    from generator.suite import load_suite

    rows = []
    for m in load_suite(suite_name).models:
        row = {"name": m.name, "model": m.model_config or m.name, "pretrained": m.pretrained, "id": None,
               "available": False, "problem": None}
        try:
            spec = resolve_model(None if m.model_config else m.name, m.pretrained, m.model_config)
            row["id"] = spec.id
            check_weights(spec, cache)
            row["available"] = True
        except UserError as e:
            row["problem"] = str(e)
        rows.append(row)
    return rows


@click.command("models", epilog=EXAMPLES, context_settings={"max_content_width": 100})
@click.option("--suite", metavar="SUITE", help="List this suite's models (a preset or a YAML file) instead.")
@click.option("--weights-cache", type=click.Path(file_okay=False), metavar="DIR",
              help="open_clip / Hugging Face cache folder to look in (default: theirs).")
@format_options
def models(suite, weights_cache, fmt, as_json):
    """List the model registry (or a suite's models) and whether each one's weights are available locally."""
    rows = _suite_rows(suite, weights_cache) if suite else _paper_rows(weights_cache)
    if emit(rows, chosen(fmt, as_json)):
        return
    cols = [c for c in rows[0] if c != "problem"] if rows else []
    out = console()
    out.print(table(f"models of suite {suite}" if suite else "the paper's models (spec §3.1)", cols,
                    [[("[green]yes[/green]" if r[c] else "[red]no[/red]") if c == "available" else str(r[c])
                      for c in cols] for r in rows], right=("image size",)))
    for r in rows:
        if r.get("problem"):
            out.print(f"[yellow]{r['name']}[/yellow]: {r['problem']}", highlight=False)
    n = sum(r["available"] for r in rows)
    out.print(f"{n} of {len(rows)} available offline", highlight=False)
