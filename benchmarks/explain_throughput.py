"""Benchmark: explanation throughput, its efficiency against the forward-pass floor, the text side, memory (issue 11).

    nice -n 10 .venv/bin/python benchmarks/explain_throughput.py [--model ViT-B-32 --model RN50] [--pretrained none]
        [--device cpu|cuda] [--precision fp32|amp] [--images 50] [--batch-sizes 16,32,64] [--batch-size N]
        [--text-pool descriptors_imagenet.json] [--text-sample 256] [--skip-text] [--skip-image]
        [--project-suite paper13] [--json OUT.json]

In one run:

* **image side**, per model (each in a fresh subprocess, so its peak memory is its own): one class of ``--images``
  photos (crops and flips of scikit-image's sample photos, written as JPEG), explained by the real engine
  (``runner.work.run_unit``: decode, one encode pass, foreground, PCA and K-means parts, 3 visual prompts per
  part, grounding against the ImageNet pool's 4,229 descriptors, MI, overlays, shard), with the feature cache and
  the paper's evaluations off (``--with-evaluations`` includes them: they are not in the floor), the prompt
  passes at the plain forward's best batch size (``--batch-size`` to fix one).
  The text bank is random unit vectors of the model's embedding size (grounding does the same work; the text side is
  measured separately). Reported: plain ``encode_image`` throughput at the best of ``--batch-sizes``, explanation
  throughput, **efficiency = (1 + 3 (L_pca + L_kmeans)) x plain forward time per image / explanation time per
  image** (L = mean parts per image, counted from the prompts encoded; 1 >= the engine is at the forward floor),
  with the plain forward timed before and after the class (their mean), the same efficiency from this process's
  CPU time (``time.process_time``: less sensitive to other jobs on a shared machine than wall time), the time split
  by stage, the prompt images' forward throughput, the load average at the model's start and end, and peak memory
  (CPU: the subprocess's max RSS, model included; CUDA: ``torch.cuda.max_memory_allocated`` during the class);
* **text side**: the ImageNet pool's "a photo showing {d}" and raw texts (2 x 4,229) with ``--text-model``
  (ViT-B-32, random weights): time at the real token lengths (``method.text``, the current engine) on the whole
  pool, and at the full 77-token context (the engine before issue 11) on a seeded random sample of
  ``--text-sample`` texts (full-context cost does not depend on the text, so the sample's time per text scales to
  the pool; ``--text-sample 0`` times the whole pool), with the max |difference| of the embeddings on the sample;
* ``--device cuda``: images/s and the projected time of ImageNet val (50,000 images) and, with
  ``--project-suite paper13``, of the whole suite (each model's plain forward time measured on the device with
  random weights, times (1 + 3 (L_pca + L_kmeans)) / efficiency of the measured model of its family);
* the **computed** (not measured) GPU memory of a ViT-L/14@336 50-image class against 24 GB.

On a shared machine wall times depend on what else runs: the load average is printed with the table.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

DEFAULT_POOL = REPO.parent / "shared" / "data" / "descriptors" / "descriptors_imagenet.json"
SUITE_IMAGES = {"imagenet": 50_000, "places365": 36_500, "food101": 25_250}   # val / val / test (spec §3.2-3.4)


# ------------------------------------------------------------------------------------------------ the images

def make_class(folder: Path, n: int, seed: int = 0) -> Path:
    """``folder/photos/img_XXX.jpg``: n distinct crops / flips of scikit-image's bundled sample photos."""
    import numpy as np
    import skimage.data as sd
    from PIL import Image

    rng = np.random.default_rng(seed)
    names = ["astronaut", "coffee", "chelsea", "rocket", "cat", "immunohistochemistry", "hubble_deep_field",
             "colorwheel", "stereo_motorcycle"]
    photos = []
    for name in names:
        im = getattr(sd, name)()
        im = im[0] if isinstance(im, tuple) else im
        photos.append(np.ascontiguousarray(im[..., :3]))
    out = folder / "photos"
    out.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        im = photos[i % len(photos)]
        h, w = im.shape[:2]
        ch, cw = int(h * rng.uniform(0.6, 1.0)), int(w * rng.uniform(0.6, 1.0))
        y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
        crop = im[y:y + ch, x:x + cw]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        Image.fromarray(np.ascontiguousarray(crop)).save(out / f"img_{i:03d}.jpg", quality=90)
    return folder


# ----------------------------------------------------------------------------------------- stage timing

class Stages:
    """Wall time per stage, by wrapping the engine's functions for the duration of a run (leaves only)."""

    def __init__(self):
        self.t = defaultdict(float)
        self.prompt_images: list[int] = []
        self._undo = []

    def wrap(self, owner, name: str, stage: str, count=None):
        orig = getattr(owner, name)

        def timed(*a, **k):
            t0 = time.perf_counter()
            try:
                return orig(*a, **k)
            finally:
                self.t[stage] += time.perf_counter() - t0
                if count is not None:
                    count(a, k)
        setattr(owner, name, timed)
        self._undo.append((owner, name, orig))

    def install(self):
        from generator.method import explain, foreground, grounding, parts, prompts
        from generator.runner import work

        self.wrap(work.Engine, "load_images", "decode")
        self.wrap(work, "encode_class", "encode")
        self.wrap(foreground, "foreground_masks", "foreground+parts")
        self.wrap(explain, "_pixel_keep", "foreground+parts")
        self.wrap(parts, "part_maps", "foreground+parts")
        self.wrap(parts, "pixel_part_maps", "foreground+parts")
        self.wrap(prompts, "part_prompts", "prompts: draw")
        self.wrap(prompts, "part_prompts_torch", "prompts: draw")
        self.wrap(grounding, "ground_batch", "grounding+MI")
        self.wrap(explain, "_encode_prompts", "prompts: encode", count=lambda a, k: self.prompt_images.append(len(a[1])))
        self.wrap(explain, "_method_result", "grounding+MI")
        self.wrap(work, "write_overlay", "writing")
        self.wrap(work, "write_shard", "writing")
        return self

    def remove(self):
        for owner, name, orig in reversed(self._undo):
            setattr(owner, name, orig)
        self._undo = []


# ------------------------------------------------------------------------------------- one model (child)

def _sync(device):
    import torch

    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def plain_forward(model, images, batch_sizes, device) -> dict:
    """Seconds per image of ``model.encode_image`` over ``images`` at each batch size (after one warm-up batch)."""
    import torch

    out, cpu = {}, {}
    with torch.inference_mode():
        for bs in batch_sizes:
            bs = min(bs, len(images))
            model.encode_image(images[:bs])
            _sync(device)
            t0, c0 = time.perf_counter(), time.process_time()
            for s in range(0, len(images), bs):
                model.encode_image(images[s:s + bs])
            _sync(device)
            out[bs] = (time.perf_counter() - t0) / len(images)
            cpu[bs] = (time.process_time() - c0) / len(images)
    plain_forward.cpu = cpu          # CPU seconds per image of the same runs (this process, all its threads)
    return out


def random_bank(loaded, pool, classnames, cfg, seed: int = 0):
    import torch
    import torch.nn.functional as F

    from generator.method.explain import TextBank
    from generator.method.language import language_concepts

    with torch.inference_mode():
        dim = loaded.model.encode_text(loaded.tokenizer(["x"]).to(next(loaded.model.parameters()).device)).shape[-1]
    g = torch.Generator().manual_seed(seed)
    unit = lambda n: F.normalize(torch.randn(n, dim, generator=g), dim=-1)   # noqa: E731
    cls, prompted, raw = unit(len(classnames)), unit(len(pool.descriptors)), unit(len(pool.descriptors))
    device = next(loaded.model.parameters()).device
    return TextBank(list(classnames), list(pool.descriptors), cls.to(device), prompted.to(device), raw.to(device),
                    language_concepts(cls, prompted, u=cfg.language_topk).to(device))


def run_model(args) -> dict:
    import torch

    from generator.registry import models as model_registry
    from generator.registry.datasets import Preprocess
    from generator.runner import compute
    from generator.runner import work as runner_work
    from generator.runner.device import apply_precision

    torch.manual_seed(0)
    work = Path(tempfile.mkdtemp(prefix="mkbench-bench-"))
    data = make_class(work / "data", args.images)
    load_start = os.getloadavg()[0]
    req = compute.ComputeRequest(dataset_dir=data, descriptors=Path(args.text_pool), out=work / "out", model=args.model,
                                 pretrained=args.pretrained, batch_size=args.batch_size or 64, device=args.device,
                                 precision=args.precision, feature_cache=False, templates="imagenet",
                                 evaluations=None if args.with_evaluations else False)
    p = compute.plan(req)
    t0 = time.perf_counter()
    loaded = model_registry.load_model(p.spec, device=p.request.device, seed=0)
    amp = apply_precision(loaded, p.request.device, p.precision)
    load_s = time.perf_counter() - t0
    eng = runner_work.Engine(p, lambda m: None, loaded=loaded)
    eng.pre = Preprocess(loaded.image_size, loaded.mean, loaded.std)
    eng.bank = random_bank(loaded, p.pool, p.dataset.classnames, p.cfg)
    unit = p.units[0]
    images = eng.load_images(unit)[0]
    sizes = sorted({min(b, args.images) for b in args.batch_sizes})
    per_bs = plain_forward(loaded.model, images, sizes, p.request.device)
    best_bs = min(per_bs, key=per_bs.get)
    # the prompt passes run at the plain forward's best batch size unless --batch-size says otherwise
    p = replace(p, request=replace(p.request, batch_size=args.batch_size or best_bs))
    cuda = p.request.device.startswith("cuda")
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    plain_cpu = dict(plain_forward.cpu)
    stages = Stages().install()
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        runner_work.run_unit(p, unit, eng)
        _sync(p.request.device)
        expl_s, expl_cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        stages.remove()
    # the plain forward again after the class: the floor is the mean of the runs before and after it, so a load
    # that changes during the class (shared machines) biases neither way
    after = plain_forward(loaded.model, images, [best_bs], p.request.device)
    before_s, before_cpu = per_bs[best_bs], plain_cpu[best_bs]
    n, B = args.images, len(unit.files)
    k = len(p.cfg.prompt_kinds)
    L = [c / k / B for c in stages.prompt_images]
    L += [0.0] * (len(p.cfg.methods) - len(L))
    floor = 1 + k * sum(L)
    plain = (before_s + after[best_bs]) / 2
    plain_c = (before_cpu + plain_forward.cpu[best_bs]) / 2
    stage_t = dict(stages.t)
    stage_t["other"] = max(0.0, expl_s - sum(stage_t.values()))
    prompted = sum(stages.prompt_images)
    peak = (torch.cuda.max_memory_allocated() if cuda
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return {"model": args.model, "device": p.request.device, "precision": "amp" if amp else "fp32",
            "tower": loaded.info.tower, "image_size": loaded.image_size, "images": n, "load_s": load_s,
            "plain_s_per_image": per_bs, "best_batch": best_bs, "plain_images_per_s": 1 / plain,
            "explain_s": expl_s, "explain_images_per_s": n / expl_s, "L": dict(zip(p.cfg.methods, L)),
            "forward_floor": floor, "efficiency": floor * plain / (expl_s / n), "stages_s": stage_t,
            "plain_s_per_image_before_after": [before_s, after[best_bs]],
            "plain_cpu_s_per_image": plain_c, "explain_cpu_s": expl_cpu,
            "efficiency_cpu_time": floor * plain_c / (expl_cpu / n),
            "peak_bytes": int(peak), "peak_kind": "cuda max_memory_allocated" if cuda else "process max RSS",
            "threads": torch.get_num_threads(), "prompt_batch": p.request.batch_size, "prompt_images": prompted,
            "prompt_s_per_image": stage_t.get("prompts: encode", 0.0) / max(prompted, 1),
            "evaluations": bool(args.with_evaluations), "loadavg_start": load_start,
            "loadavg_end": os.getloadavg()[0]}


# ------------------------------------------------------------------------------------------------ text side

def run_text(args) -> dict:
    import torch

    from generator.method import text
    from generator.registry import models as model_registry
    from generator.registry.descriptors import load_pool

    pool = load_pool(args.text_pool)
    spec = model_registry.resolve_model(args.text_model, args.pretrained, None)
    loaded = model_registry.load_model(spec, device=args.device, seed=0)
    texts = text.descriptor_texts(pool.descriptors) + text.descriptor_texts(pool.descriptors, "{}")
    model, tok = loaded.model, loaded.tokenizer
    t0 = time.perf_counter()
    short = text.encode_texts(model, tok, texts, device=args.device, batch_size=256)
    _sync(args.device)
    short_s = time.perf_counter() - t0
    if args.text_sample and args.text_sample < len(texts):
        g = torch.Generator().manual_seed(0)
        idx = torch.randperm(len(texts), generator=g)[:args.text_sample].sort().values.tolist()
    else:
        idx = list(range(len(texts)))
    sample = [texts[i] for i in idx]
    t0 = time.perf_counter()
    full = text.encode_texts(model, tok, sample, device=args.device, batch_size=256, short=False)
    _sync(args.device)
    full_sample_s = time.perf_counter() - t0
    diff = float((short[idx] - full).abs().max())
    lengths = (tok(texts).argmax(dim=-1) + 1).float()
    full_s = full_sample_s * len(texts) / len(sample)
    return {"model": args.text_model, "pool": Path(args.text_pool).name, "texts": len(texts), "short_s": short_s, "full_sample": len(sample),
            "full_sample_s": full_sample_s, "full_s": full_s, "full_extrapolated": len(sample) < len(texts),
            "speedup": full_s / short_s, "max_abs_diff": diff, "tolerance": text.TOLERANCE,
            "short_path": text.truncation_kind(model), "mean_tokens": float(lengths.mean()),
            "max_tokens": int(lengths.max()), "context": int(tok(["x"]).shape[1])}


# ------------------------------------------------------------------------------- memory estimate (computed)

def estimate_vit_gpu_memory(name: str = "ViT-L-14-336", images: int = 50, batch: int = 50, bytes_act: int = 4,
                            attention_matrix: bool = True) -> dict:
    """Upper estimate (GB) of the GPU memory of one class of ``images`` for an open_clip ViT, from its config:
    fp32 weights (autocast keeps them fp32), the largest forward (``batch`` images: the encode pass runs the whole
    class at once, prompts run ``batch`` at a time) holding the residual stream x3, one MLP hidden activation and,
    with ``attention_matrix``, the full B x heads x T x T attention scores (the math kernel; flash / memory-efficient
    SDPA does not materialise it), plus the kept patch features, the prompt chunk and the text bank."""
    import open_clip

    cfg = open_clip.get_model_config(name)
    v, t = cfg["vision_cfg"], cfg["text_cfg"]
    W, layers, P, S = v["width"], v["layers"], v["patch_size"], v["image_size"]
    heads = W // v.get("head_width", 64)
    mlp = int(W * v.get("mlp_ratio", 4.0))
    Tw, Lt = t["width"], t["layers"]
    N = (S // P) ** 2
    T = N + 1
    params = (layers * (4 * W * W + 2 * W * mlp) + 3 * P * P * W + T * W + W * cfg["embed_dim"]
              + Lt * 12 * Tw * Tw + t.get("vocab_size", 49408) * Tw + t.get("context_length", 77) * Tw
              + Tw * cfg["embed_dim"])
    GB = 1024 ** 3
    weights = params * 4
    act = batch * T * (3 * W + mlp) * bytes_act + (batch * heads * T * T * bytes_act if attention_matrix else 0)
    inputs = batch * 3 * S * S * 4
    features = images * N * W * 4
    text_bank = (2 * 4229 + 1000) * cfg["embed_dim"] * 4
    total = weights + act + inputs + features + text_bank
    return {"model": name, "params_M": params / 1e6, "weights_GB": weights / GB, "activations_GB": act / GB,
            "inputs_GB": inputs / GB, "features_GB": features / GB, "total_GB": total / GB, "batch": batch,
            "images": images, "bytes_per_activation": bytes_act, "attention_matrix": attention_matrix}


# ------------------------------------------------------------------------------------------------ projection

def project_suite(args, measured: dict) -> list[dict]:
    """Per paper13 model: plain forward time on the device (random weights), explanation time per image from the
    measured model of its tower kind (floor / efficiency), images of the three datasets."""
    import torch

    from generator.registry import models as model_registry
    from generator.registry.datasets import Preprocess
    from generator.suite import load_suite

    suite = load_suite(args.project_suite)
    by_tower = {r["tower"]: r for r in measured.values()}
    rows = []
    for m in suite.models:
        spec = model_registry.resolve_model(m.name, "none", None)
        loaded = model_registry.load_model(spec, device=args.device, seed=0)
        from generator.runner.device import apply_precision

        apply_precision(loaded, args.device, args.precision)
        ref = by_tower.get(loaded.info.tower) or next(iter(measured.values()))
        x = Preprocess(loaded.image_size).normalize(
            __import__("numpy").zeros((ref["best_batch"], loaded.image_size, loaded.image_size, 3), "uint8"),
            args.device)
        t = plain_forward(loaded.model, x, [ref["best_batch"]], args.device)[ref["best_batch"]]
        per_image = ref["forward_floor"] * t / ref["efficiency"]
        hours = {ds: n * per_image / 3600 for ds, n in SUITE_IMAGES.items()}
        rows.append({"suite": suite.name, "model": f"{m.name} ({m.pretrained})", "plain_s_per_image": t, "explain_s_per_image": per_image,
                     "hours": hours, "like": ref["model"]})
        del loaded
        if args.device.startswith("cuda"):
            torch.cuda.empty_cache()
    return rows


# ----------------------------------------------------------------------------------------------------- main

def _child(args, what: str) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), f"--_child={what}"] + args.passthrough
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    if proc.returncode != 0:
        raise SystemExit(f"{what} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fmt_table(image: dict, text_r, mem: dict, rows) -> str:
    lines = []
    if image:
        lines.append(f"{'model':<12} {'device':<6} {'thr':>3} {'plain img/s':>11} {'(batch)':>7} {'explain img/s':>13} "
                     f"{'L_pca':>5} {'L_km':>5} {'floor':>5} {'efficiency':>10} {'(CPU time)':>10} {'peak GiB':>8} "
                     f"{'load':>9}")
        for r in image.values():
            L = r["L"]
            load = f"{r.get('loadavg_start', 0):.1f}-{r.get('loadavg_end', 0):.1f}"
            lines.append(f"{r['model']:<12} {r['device']:<6} {r.get('threads', 0):>3} {r['plain_images_per_s']:>11.2f} "
                         f"{r['best_batch']:>7} {r['explain_images_per_s']:>13.3f} {L.get('pca', 0):>5.2f} "
                         f"{L.get('kmeans', 0):>5.2f} {r['forward_floor']:>5.1f} {r['efficiency']:>10.2f} "
                         f"{r.get('efficiency_cpu_time', 0):>10.2f} {r['peak_bytes'] / 1024**3:>8.2f} {load:>9}")
        lines.append("")
        for r in image.values():
            by_batch = sorted(r["plain_s_per_image"].items(), key=lambda kv: int(kv[0]))
            plain = ", ".join(f"{b}: {1 / t:.2f}" for b, t in by_batch)
            if "prompt_s_per_image" in r:
                ba = r["plain_s_per_image_before_after"]
                lines.append(f"{r['model']}: plain forward img/s by batch before the class {plain}, at batch "
                             f"{r['best_batch']} after it {1 / ba[1]:.2f}; the {r['prompt_images']} prompt images at "
                             f"batch {r['prompt_batch']}: {1 / max(r['prompt_s_per_image'], 1e-12):.2f} img/s"
                             f"{'; evaluations included' if r.get('evaluations') else ''}")
        lines.append("time by stage (s) for the class: " + "; ".join(
            f"{r['model']}: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(r["stages_s"].items(), key=lambda kv: -kv[1]))
            for r in image.values()))
        for r in image.values():
            if r["device"].startswith("cuda"):
                lines.append(f"{r['model']}: {r['explain_images_per_s']:.1f} images/s -> ImageNet val (50,000 images) "
                             f"in {50_000 / r['explain_images_per_s'] / 3600:.2f} h")
    if text_r:
        t = text_r
        how = (f"extrapolated from {t['full_sample']} sampled texts" if t["full_extrapolated"] else "measured")
        lines.append(f"text side, {t['model']}, {t['texts']} texts ({t['pool']}, prompted + raw; mean "
                     f"{t['mean_tokens']:.1f} / max {t['max_tokens']} of {t['context']} tokens): real length "
                     f"{t['short_s']:.1f} s vs full context {t['full_s']:.1f} s ({how}): {t['speedup']:.1f}x; max "
                     f"|diff| {t['max_abs_diff']:.1e} (tolerance {t['tolerance']:.0e}; path {t['short_path']})")
    if mem:
        lines.append(f"computed GPU memory, {mem['model']} class of {mem['images']} images, batch {mem['batch']}, "
                     f"fp32 activations, math attention: {mem['total_GB']:.1f} GB (weights {mem['weights_GB']:.2f}, "
                     f"activations {mem['activations_GB']:.2f}, features {mem['features_GB']:.2f}) vs 24 GB")
    if rows:
        lines.append("projected suite time (h): " + "; ".join(
            f"{r['model']}: " + ", ".join(f"{d} {h:.2f}" for d, h in r["hours"].items()) for r in rows))
        total = sum(sum(r["hours"].values()) for r in rows)
        lines.append(f"projected {rows[0]['suite']} total: {total:.1f} h on this device")
    lines.append(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", action="append", help="open_clip architecture (repeatable; default ViT-B-32 and RN50)")
    ap.add_argument("--pretrained", default="none")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--precision", default="fp32", choices=("fp32", "amp"))
    ap.add_argument("--images", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=None,
                    help="the engine's prompt batch size (default: the plain forward's best of --batch-sizes)")
    ap.add_argument("--with-evaluations", action="store_true",
                    help="also run the paper's evaluations in the class (off: the explanation alone is timed)")
    ap.add_argument("--batch-sizes", default="16,32,64", help="batch sizes tried for the plain forward")
    ap.add_argument("--text-pool", default=str(DEFAULT_POOL))
    ap.add_argument("--text-model", default="ViT-B-32")
    ap.add_argument("--text-sample", type=int, default=256, help="texts timed at full context (0: all)")
    ap.add_argument("--skip-text", action="store_true")
    ap.add_argument("--skip-image", action="store_true")
    ap.add_argument("--project-suite", default=None, help="suite to project (default: paper13 on cuda, none on cpu)")
    ap.add_argument("--json", default=None)
    ap.add_argument("--_child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.batch_sizes = [int(b) for b in str(args.batch_sizes).split(",")]
    if args._child:
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", torch.get_num_threads())))
        kind, _, model = args._child.partition(":")
        if kind == "model":
            args.model = model
            print(json.dumps(run_model(args)))
        else:
            print(json.dumps(run_text(args)))
        return
    if not Path(args.text_pool).is_file():
        raise SystemExit(f"{args.text_pool}: descriptor pool not found; pass --text-pool descriptors_imagenet.json")
    # the child gets the same options but its model in --_child (and writes no JSON)
    clean, skip = [], False
    raw = argv if argv is not None else sys.argv[1:]
    for i, a in enumerate(raw):
        if skip:
            skip = False
            continue
        if a in ("--model", "--json"):
            skip = True
            continue
        if a.startswith("--model=") or a.startswith("--json="):
            continue
        clean.append(a)
    args.passthrough = clean
    models = args.model or ["ViT-B-32", "RN50"]
    image = {}
    if not args.skip_image:
        for m in models:
            print(f"[image side] {m} ...", file=sys.stderr, flush=True)
            image[m] = _child(args, f"model:{m}")
    text_r = None
    if not args.skip_text:
        print("[text side] ...", file=sys.stderr, flush=True)
        text_r = _child(args, "text")
    mem = estimate_vit_gpu_memory()
    args.project_suite = args.project_suite or ("paper13" if args.device.startswith("cuda") else None)
    rows = project_suite(args, image) if args.project_suite and image else []
    report = {"image": image, "text": text_r, "memory_estimate": mem, "projection": rows,
              "argv": sys.argv[1:] if argv is None else argv, "loadavg": os.getloadavg()}
    print(_fmt_table(image, text_r, mem, rows))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
