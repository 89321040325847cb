"""``mkbench train-demo`` (train a small CLIP on the synthetic world) and ``mkbench make-demo-dataset`` (write a
held-out image folder with ground-truth part masks). See :mod:`generator.demo`."""
from __future__ import annotations

from pathlib import Path

import click

from generator.errors import UserError

TRAIN_EXAMPLES = """
\b
Examples:
  # the shipped default (world 3; about 15 minutes of one CPU core)
  mkbench train-demo --config data/demo/configs/demo-vit-m.json --images 20000 --steps 1800 --mix 0.40,0.25,0.35 \\
      --name demo-m-20k --out data/demo/models
\b
  # a 20-step smoke run
  mkbench train-demo --config data/demo/configs/demo-vit-s.json --images 500 --steps 20 --out /tmp/demo
\b
  # the whole family: python benchmarks/train_family.py
"""


@click.command("train-demo", epilog=TRAIN_EXAMPLES, context_settings={"max_content_width": 100})
@click.option("--config", required=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="open_clip model-config JSON (the model name is the file stem).")
@click.option("--images", "n_images", type=int, default=20_000, show_default=True,
              help="Training pool size (amount of training data).")
@click.option("--steps", type=int, default=450, show_default=True, help="Optimiser steps (fixed: reproducible).")
@click.option("--batch-size", type=int, default=128, show_default=True)
@click.option("--lr", type=float, default=1e-3, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Init, batch order and captions.")
@click.option("--data-seed", type=int, default=0, show_default=True, help="Which images form the pool.")
@click.option("--eval-images", type=int, default=600, show_default=True, help="Fresh held-out images for the card.")
@click.option("--threads", type=int, default=1, show_default=True)
@click.option("--bf16", is_flag=True, help="Train with bf16 autocast (default fp32: bf16 measured slower on this CPU).")
@click.option("--mix", default="0.40,0.25,0.35", show_default=True, metavar="C,P,Q",
              help="Shares of ordinary captions, part-only captions (no class name) and prompted-part pairs.")
@click.option("--world", type=int, default=None, help="Demo world version (default: the shipped one).")
@click.option("--name", metavar="NAME", help="Model name for the weights and card (default: config stem).")
@click.option("--out", required=True, type=click.Path(file_okay=False), metavar="DIR",
              help="Folder for NAME.safetensors, NAME.card.json and NAME.md.")
def train_demo(config, n_images, steps, batch_size, lr, seed, data_seed, eval_images, threads, bf16, mix, world, name,
               out):
    """Train an open_clip model on generated image-caption pairs of the synthetic world (CPU, contrastive loss),
    save fp16 safetensors, reload them through open_clip and write a model card with held-out accuracy."""
    from generator.demo.ship import train_and_ship
    from generator.demo.train import TrainSpec

    for label, v, low in (("--images", n_images, 1), ("--steps", steps, 1), ("--batch-size", batch_size, 2),
                          ("--eval-images", eval_images, 12), ("--threads", threads, 1)):
        if v < low:
            raise UserError(f"{label} must be >= {low} (got {v})")
    if not Path(config).is_file():
        raise UserError(f"{config}: model config not found; pass an open_clip JSON such as "
                        "data/demo/configs/demo-vit-s.json")
    try:
        shares = tuple(float(x) for x in mix.split(","))
    except ValueError:
        shares = ()
    if len(shares) != 3 or min(shares) < 0 or sum(shares) <= 0:
        raise UserError(f"--mix {mix!r}: give three non-negative shares C,P,Q, e.g. 0.40,0.25,0.35")
    spec = TrainSpec(config=str(config), n_images=n_images, steps=steps, batch_size=batch_size, lr=lr, seed=seed,
                     data_seed=data_seed, eval_images=eval_images, threads=threads, bf16=bf16, mix=shares, world=world)
    try:
        card = train_and_ship(spec, out, name or Path(config).stem, log=click.echo)
    except (ValueError, FileNotFoundError) as e:
        raise UserError(str(e)) from None
    click.echo(f"held-out top-1 {card['heldout']['top1']:.3f}; weights {Path(out) / card['weights']}")


@click.command("make-demo-dataset", context_settings={"max_content_width": 100})
@click.option("--out", required=True, type=click.Path(file_okay=False), metavar="DIR", help="Dataset folder to write.")
@click.option("--per-class", type=int, default=20, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--force", is_flag=True, help="Write into DIR even if it exists.")
@click.option("--world", type=int, default=None, help="Demo world version (default: the shipped one).")
def make_demo_dataset(out, per_class, seed, force, world):
    """Write a held-out image folder of the synthetic world with per-pixel part masks in DIR/.masks/."""
    from generator.demo.dataset import write_dataset

    if Path(out).exists() and not force:
        raise UserError(f"{out} exists; choose another --out or pass --force")
    summary = write_dataset(out, per_class=per_class, seed=seed, world=world)
    click.echo(f"wrote {summary['images']} images of {summary['classes']} classes to {out} (masks in {summary['masks']})")
