"""Train one model, save it as fp16 safetensors, reload it through open_clip, measure held-out zero-shot accuracy and
write its model card (JSON + Markdown). Every number in a card is measured by this run; nothing is typed in."""
from __future__ import annotations

import html
import json
import platform
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from generator.hashing import file_sha256
from generator.results.io import atomic_write_text

from .captions import TEMPLATES
from .render import check_world
from .train import HELDOUT_STREAM, Pool, TrainSpec, build_pool, load_model, save_weights, train, zero_shot_accuracy
from .world import WORLD

HELDOUT_SEED = 0


def world_version(world: int | None = None) -> str:
    """The name a card records for a world version (None: the shipped :data:`generator.demo.world.WORLD`)."""
    return f"mkbench-demo-world/{check_world(world)}"


WORLD_VERSION = world_version(WORLD)


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def evaluate_shipped(config: str | Path, weights: str | Path, n_images: int = 600, seed: int = HELDOUT_SEED,
                     world: int | None = None) -> dict:
    """Zero-shot top-1 of shipped weights loaded by the real open_clip path on fresh held-out images of ``world``."""
    model, tokenizer = load_model(config, weights)
    return zero_shot_accuracy(model, tokenizer, build_pool(n_images, seed, HELDOUT_STREAM, world=world))


def measure_precision(spec: TrainSpec, pool: Pool, steps: int = 5) -> dict:
    """CPU seconds per training step of ``spec`` in fp32 and in bf16 autocast (``steps`` steps each, the first one
    dropped as warm-up, median of the rest; same batch size, one thread), measured here so the card records why its
    precision was chosen; the cheaper one is chosen. Process CPU time, not wall time: on a machine shared with other
    jobs, wall time per step swung 2x between two runs a minute apart and once ranked bf16 first; one-thread CPU
    time does not depend on the other jobs. Wall seconds are recorded beside it."""
    from dataclasses import replace
    from statistics import median

    cpu, wall = {}, {}
    for name, bf16 in (("fp32", False), ("bf16", True)):
        _, rec = train(replace(spec, steps=steps, bf16=bf16, monitor_every=0), pool=pool, log=lambda m: None)
        cpu[name] = round(median(rec["step_cpu_seconds"][1:] or rec["step_cpu_seconds"]), 3)
        wall[name] = round(median(rec["step_times"][1:] or rec["step_times"]), 3)
    return {"cpu_seconds_per_step": cpu, "wall_seconds_per_step": wall, "steps_measured": steps,
            "batch_size": spec.batch_size, "chosen": min(cpu, key=cpu.get)}


def train_and_ship(spec: TrainSpec, out_dir: str | Path, model_name: str, pool: Pool | None = None,
                   log: Callable[[str], None] = print, description: str = "", precision: dict | None = None) -> dict:
    """Train, save ``<out_dir>/<model_name>.safetensors`` and write ``<model_name>.card.json`` / ``.md``."""
    import open_clip
    import torch

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    model, record = train(spec, pool=pool, log=log)
    weights = out / f"{model_name}.safetensors"
    save_weights(model, weights)
    t_eval = time.perf_counter()
    acc = evaluate_shipped(spec.config, weights, spec.eval_images, world=spec.world)
    t_eval = time.perf_counter() - t_eval
    losses = record["losses"]
    tail = losses[-20:]
    card = {
        "model": model_name,
        "description": description,
        "architecture": record["model"],
        "config": _rel(Path(spec.config), out.parent),
        "weights": weights.name,
        "weights_bytes": weights.stat().st_size,
        "weights_sha256": file_sha256(weights),
        "weights_dtype": "float16",
        "n_params": record["n_params"],
        "pretraining_data": f"demo world, {spec.n_images:,} images",  # read by registry.models.card_pretraining_data
        "data": {"world": world_version(spec.world), "stream": "train", "data_seed": spec.data_seed, "n_images": spec.n_images,
                 "images_seen": spec.steps * spec.batch_size,
                 "captions": "class phrase + 0-3 part phrases with colours, re-drawn at every use (generator/demo/captions.py)",
                 "recipe_mix": {"caption": spec.mix[0], "parts_without_class": spec.mix[1],
                                "prompted_true_part": spec.mix[2]},
                 "recipe": "per sample: ordinary caption | 1-3 visible parts with colours, no class name | the image "
                           "with the method's prompt (red outline / gray / blur outside, generator.method.prompts) "
                           "around one true part, paired with that part's phrase (generator/demo/train.py)",
                 "region_text": ({"weight": spec.region_weight, "parts_per_sample": spec.region_parts,
                                  "what": "plus, per sample, one true part's patch tokens (ln_post, mean over the "
                                          "part's patches, proj) contrasted with that part's phrase "
                                          "(train.region_targets / region_embeddings)"}
                                 if spec.region_weight else None)},
        "precision": {"training": "bf16 autocast" if spec.bf16 else "fp32", "weights": "float16",
                      "measured": precision},
        "training": {k: v for k, v in asdict(spec).items() if k not in ("config", "n_images", "data_seed",
                                                                           "eval_images")},
        "wall_time_seconds": {"data": record["data_seconds"], "train": record["train_seconds"],
                              "eval": round(t_eval, 1), "total": round(time.perf_counter() - t0, 1)},
        "images_per_second": record["images_per_second"],
        "monitor_top1": record["monitor"],
        "loss": {"first": round(losses[0], 4), "last20_mean": round(sum(tail) / len(tail), 4),
                 "every_50": [round(x, 4) for x in losses[::50]]},
        "heldout": {"stream": HELDOUT_STREAM, "seed": HELDOUT_SEED, "n_images": acc["n"], "top1": acc["top1"],
                    "per_class": acc["per_class"], "templates": list(TEMPLATES),
                    "loaded_with": "open_clip.add_model_config + open_clip.create_model(name, pretrained=<safetensors>)"},
        "environment": {"torch": torch.__version__, "open_clip": open_clip.__version__, "python": platform.python_version(),
                        "threads": spec.threads, "machine": "CPU only; 2 cores shared with other jobs (nice 10), 1 training thread"},
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    atomic_write_text(out / f"{model_name}.card.json", json.dumps(card, indent=2) + "\n")
    atomic_write_text(out / f"{model_name}.md", card_markdown(card))
    log(f"[{model_name}] held-out top-1 {acc['top1']:.3f} on {acc['n']} images; card written")
    return card


def _precision_line(m: dict | None) -> str:
    if not m:
        return "no precision measurement recorded."
    cpu, wall = m["cpu_seconds_per_step"], m["wall_seconds_per_step"]
    return (f"measured before training ({m['steps_measured']} steps each, first dropped, median; batch "
            f"{m['batch_size']}, one thread, this machine): "
            + ", ".join(f"{k} {cpu[k]} CPU s/step ({wall[k]} s wall)" for k in cpu) + f"; chosen: {m['chosen']}.")


def _mix_line(d: dict) -> str:
    mix = d.get("recipe_mix")
    if not mix:
        return "ordinary captions only"
    return (f"{mix['caption']:.0%} ordinary caption, {mix['parts_without_class']:.0%} parts without the class name, "
            f"{mix['prompted_true_part']:.0%} the method's prompt around one true part with that part's phrase")


def _region_line(d: dict) -> str:
    r = d.get("region_text")
    if not r:
        return "none (the CLIP contrastive loss only)"
    return (f"weight {r['weight']}, {r['parts_per_sample']} true part(s) per sample: the mean of the part's patch tokens "
            "(through ln_post and proj, the pooled token's path) contrasted with that part's phrase, added to the CLIP "
            "loss, so patch tokens carry part identity as web-scale CLIP's are reported to (MaskCLIP)")


def _last_loss(loss: dict) -> str:
    if loss.get("last20_mean") is not None:
        return f"{loss['last20_mean']} (mean of the last 20 steps)"
    return f"{loss.get('last_logged')} (last logged step)"


def _note(card: dict) -> str:
    return f"\n- Note: {html.escape(card['record_note'])}." if card.get("record_note") else ""


def card_markdown(card: dict) -> str:
    e = html.escape
    t, d, w = card["training"], card["data"], card["wall_time_seconds"]
    rows = "\n".join(f"| {e(c)} | {v:.3f} |" for c, v in card["heldout"]["per_class"].items())
    return f"""# Model card: {e(card['model'])}

{e(card['description'])}

- Architecture: `{e(card['architecture'])}` (config `{e(card['config'])}`), {card['n_params']:,} parameters,
  weights `{e(card['weights'])}` ({card['weights_dtype']}, {card['weights_bytes']:,} bytes, sha256 `{card['weights_sha256'][:16]}...`).
- Data: the synthetic world ({e(d['world'])}), first {d['n_images']:,} images of the `train` stream (seed {d['data_seed']}),
  {d['images_seen']:,} image-caption pairs seen; captions: {e(d['captions'])}.
- Training: {t['steps']} steps, batch {t['batch_size']}, AdamW lr {t['lr']} (warm-up {t['warmup']}, cosine), weight decay
  {t['weight_decay']}, bf16 autocast {t['bf16']}, seed {t['seed']}, {t['threads']} threads.
- Precision: trained in {e(card['precision']['training'])}; {_precision_line(card['precision'].get('measured'))}
- Training mix per sample: {_mix_line(d)}.
- Region-text term: {_region_line(d)}.
- Wall time: data {w['data']} s, training {w['train']} s ({card['images_per_second']} img/s), evaluation {w['eval']} s;
  {e(card['environment']['machine'])}; torch {e(card['environment']['torch'])}, open_clip {e(card['environment']['open_clip'])}.
- Loss: {card['loss']['first']} at step 1, {_last_loss(card['loss'])}.{_note(card)}
- **Held-out zero-shot top-1: {card['heldout']['top1']:.3f}** on {card['heldout']['n_images']} fresh images
  (stream `{card['heldout']['stream']}`, seed {card['heldout']['seed']}), prompts averaged over
  {'; '.join('`' + e(x) + '`' for x in card['heldout']['templates'])} (wording absent from training captions), weights
  loaded by {e(card['heldout']['loaded_with'])}.

| class | top-1 |
|---|---|
{rows}

Created {e(card['created'])}. Reproduce: `python benchmarks/train_family.py` (see data/demo/README.md).
"""
