"""``mkbench compute``: explain one dataset with one model and write versioned results (resumable). It is a one-pair
suite (:func:`generator.suite.one_pair_suite`: the suite defaults for precision, seed, batch size and method settings)
run through the suite's resolve / plan / work / merge (:mod:`generator.runner.compute`)."""
from __future__ import annotations

from pathlib import Path

import click

from generator.suite import PRECISIONS, SEED_MAX, SUITE_DEFAULTS

EXAMPLES = """
\b
Examples:
  # a paper model (weights must be in the local cache; see the error message otherwise)
  mkbench compute --model vit-b-16 --dataset-dir ~/data/imagenet/val \\
      --descriptors descriptors_imagenet.json --templates imagenet --out results
\b
  # any open_clip pair, or a local checkpoint
  mkbench compute --model ViT-B-32 --pretrained laion2b_s34b_b79k ...
  mkbench compute --model ViT-B-32 --pretrained /ckpt/vitb32.pt ...
\b
  # a custom architecture with random weights, PCA parts only, on a GPU
  mkbench compute --model-config my-arch.json --pretrained none --methods pca \\
      --device cuda --dataset-dir shapes --descriptors pool.json --out results

Rerunning the same command skips the classes already done; image features are cached per model in
OUT/.cache/features, so a changed grounding setting reruns no image forward pass. Results go to
OUT/<dataset>/<model-id>/{images.jsonl,classes.json,summary.json}.
"""


def _methods(ctx, param, value):
    if value is None:
        return None
    items = tuple(m.strip() for m in value.split(",") if m.strip())
    if not items:
        raise click.BadParameter("give at least one method, e.g. pca,kmeans")
    return items


@click.command("compute", epilog=EXAMPLES, context_settings={"max_content_width": 100})
@click.option("--model", "model", metavar="NAME",
              help="Paper model key (vit-b-16, rn50, cnext-b1, ...), paper name (ViT-B/16) or open_clip architecture.")
@click.option("--model-config", type=click.Path(dir_okay=False), metavar="FILE",
              help="open_clip model-config JSON of a custom architecture (registered under its file stem).")
@click.option("--pretrained", metavar="TAG|PATH|none",
              help="open_clip pretrained tag, checkpoint file, or 'none' for random weights. "
                   "Default for paper models: the paper's weights.")
@click.option("--dataset-dir", required=True, type=click.Path(file_okay=False), metavar="DIR",
              help="Image folder with one sub-folder per class.")
@click.option("--dataset-name", metavar="NAME", help="Name of the dataset in the results (default: the folder name).")
@click.option("--class-names", type=click.Path(dir_okay=False), metavar="FILE",
              help="Class-name mapping: JSON {folder: name} / list, or txt with one name per line (sorted folders).")
@click.option("--descriptors", required=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="Descriptor pool JSON (class -> list of descriptors), e.g. Menon & Vondrick's.")
@click.option("--out", required=True, type=click.Path(file_okay=False), metavar="DIR", help="Results folder.")
@click.option("--templates", metavar="NAME|FILE",
              help="Zero-shot templates: imagenet, places365, food101, default, or a file (JSON list / txt lines).")
@click.option("--batch-size", type=click.IntRange(1, 65536), default=SUITE_DEFAULTS["batch_size"], show_default=True,
              help="Images per forward pass of the prompt images (a class is still explained as one batch).")
@click.option("--seed", type=click.IntRange(0, SEED_MAX), default=SUITE_DEFAULTS["seed"], show_default=True,
              help="Seed (k-means, random weights); 0 to 2**32-1.")
@click.option("--device", default=SUITE_DEFAULTS["device"], show_default=True, metavar="cpu|cuda|cuda:N|auto")
@click.option("--methods", callback=_methods, metavar="pca,kmeans",
              help="Part methods, comma separated (default: pca,kmeans).")
@click.option("--overlays", "overlays_per_class", type=click.IntRange(0, 100000), default=4, show_default=True,
              help="Part-overlay PNGs written for the first N images of each class.")
@click.option("--no-feature-cache", "no_feature_cache", is_flag=True,
              help="Do not reuse or store image features (OUT/.cache/features: per class, the encode pass with "
              "float16 patch features and the prompt embeddings; ViT-B/16 on ImageNet ~15 MB per class, ~15 GB "
              "per model). Results are the same either way.")
@click.option("--precision", type=click.Choice(PRECISIONS), default=SUITE_DEFAULTS["precision"], show_default=True,
              help="Image tower on CUDA: amp (bf16/fp16 autocast) or fp32; CPU is always fp32. Same default as suites.")
@click.option("--fail-fast", is_flag=True,
              help="Stop at the first unreadable image (corrupt, truncated, empty, a decompression bomb) instead of "
                   "skipping it and listing it in the results (classes.json, summary.json).")
@click.option("--no-evaluations", "no_evaluations", is_flag=True,
              help="Skip the paper's evaluations (deletion/insertion quality, sanity baselines, descriptor "
              "augmentation): 1 + 4L fewer forward passes per image and part method. Intervals are always computed.")
@click.option("--no-random-weights", "no_random_weights", is_flag=True,
              help="Skip the random-weights sanity baseline (the same architecture re-initialised explains the same "
              "images: about one more explanation per image; docs/method.md E10).")
@click.option("--quiet", is_flag=True, help="Print only errors and the results folder.")
def compute(model, model_config, pretrained, dataset_dir, dataset_name, class_names, descriptors, out, templates,
            batch_size, seed, device, methods, overlays_per_class, no_feature_cache, precision, fail_fast,
            no_evaluations, no_random_weights, quiet):
    """Explain a dataset's zero-shot classification with one CLIP model (mutual knowledge, MI, AUC)."""
    from generator.outputs import check_separate
    from generator.runner.compute import compute as run, pair_of
    from generator.runner.types import RunOptions
    from generator.suite import one_pair_suite

    check_separate({"--out": out}, {"--dataset-dir": dataset_dir})   # results inside the images, or the reverse
    suite = one_pair_suite(dataset_dir=dataset_dir, descriptors=descriptors, model=model, pretrained=pretrained,
                           model_config=model_config, dataset_name=dataset_name, class_names=class_names,
                           templates=templates, methods=methods, seed=seed, device=device, batch_size=batch_size,
                           precision=precision, fail_fast=fail_fast,
                           evaluations={"random_weights": False} if no_random_weights else {})
    req = pair_of(suite, RunOptions(out=Path(out), overlays_per_class=overlays_per_class,
                                    feature_cache=not no_feature_cache, evaluations=False if no_evaluations else None),
                  model=model)
    from generator.runner.progress import step_bars, RichSteps, Steps
    from rich.console import Console

    progress = (lambda msg: None) if quiet else (lambda msg: click.echo(msg, err=True))
    with step_bars(Console(stderr=True), quiet=quiet) as bars:   # quiet: no bars at all
        result = run(req, progress=progress, steps=Steps() if quiet else RichSteps(bars))
    s = result.summary
    if not quiet:
        for name, m in s.methods.items():
            q = f"  deletion {m.quality['deletion']:.3f}  insertion {m.quality['insertion']:.3f}" if m.quality else ""
            click.echo(f"{s.dataset} / {s.model_id} [{name}]: top-1 {s.top1:.2f}%  MI {m.mi:.3f}  AUC {m.auc:.3f}{q}",
                       err=True)
        click.echo(f"{result.computed} classes computed, {result.skipped} reused", err=True)
    if s.n_skipped_images:
        first = s.skipped_images[0]
        click.secho(f"warning: skipped {s.n_skipped_images} unreadable image(s), listed in summary.json and "
                    f"classes.json, e.g. {first.image}: {first.reason} (--fail-fast stops instead)", fg="yellow",
                    err=True)
    click.echo(str(result.results_dir))
