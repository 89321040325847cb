"""Train a small open_clip model on the synthetic world, on CPU, deterministically for a seed.

Recipe (sized on this machine, see ``data/demo/README.md``): a pool of ``n_images`` pre-rendered images with their
part masks and part colours (the first ``n_images`` of the ``train`` stream, so smaller pools are prefixes of larger
ones); each step draws a batch from the pool and, per sample, one of three kinds of training pair (``TrainSpec.mix``,
issue 8), re-drawn at every use:

* ``caption`` (40%): the image and an ordinary caption naming the class and 0-3 visible parts with their colours;
* ``parts`` (25%): the image and 1-3 visible parts with their colours, *without* the class name;
* ``prompted`` (35%): the image with the method's own visual prompt around ONE true part (red ellipse outline; gray
  or blur outside, drawn by :mod:`generator.method.prompts` on the part's ground-truth mask, kind chosen at random)
  and that part's phrase alone as its caption.

So the text tower learns what part phrases (and their colours) mean apart from the class, and the image tower sees
the prompted images the method will show it (spec §2.3.1). The standard symmetric contrastive loss
(``open_clip.loss.ClipLoss``) with the model's learnable logit scale (clamped at 100); AdamW (beta2 0.98, weight
decay on matrices only), linear warm-up then cosine decay; fp32 (``bf16`` autocast is optional: measured ~7x slower on
this CPU, see the model cards); gradient clipping at 1. A fixed number of steps (not wall time) makes a run
reproducible: same spec, same thread count -> same weights.

Speed on a shared 2-core CPU (measured, 2026-11-29): one thread, not two. With other jobs running, two OpenMP threads
spin-wait for each other and burnt 4.1 s of CPU per step against 1.2 s for one thread. Training also uses the
plain ("math") scaled-dot-product attention kernel: the fused CPU flash-attention backward was half of a step's time
at these tiny sizes (64 tokens, 32-dim heads), and math cost ~25% less CPU per step. Both are training-only settings;
the saved weights are ordinary open_clip weights.

Weights are saved as fp16 safetensors (a plain open_clip state dict) and load with
``open_clip.add_model_config(config); open_clip.create_model(name, pretrained=path)``; the held-out accuracy in a
model card is measured on the weights loaded back through that path.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .captions import TEMPLATES, caption, part_caption, part_phrase
from .render import IMAGE_SIZE, check_world, render_indexed
from .world import CLASS_NAMES

TRAIN_STREAM = "train"
HELDOUT_STREAM = "heldout"
MONITOR_STREAM = "monitor"


def _attention_kernel(name: str):
    from contextlib import nullcontext

    from torch.nn.attention import SDPBackend, sdpa_kernel

    kernels = {"math": lambda: sdpa_kernel(SDPBackend.MATH), "default": nullcontext}
    if name not in kernels:
        raise ValueError(f"attention kernel {name!r} unknown; choose one of {sorted(kernels)}")
    return kernels[name]


@dataclass(frozen=True)
class TrainSpec:
    config: str                # path to an open_clip model-config JSON; the model name is the file's stem
    n_images: int              # size of the training pool (amount of training data)
    steps: int
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.1
    warmup: float = 0.05       # share of steps
    seed: int = 0              # model init, batch order, captions
    data_seed: int = 0         # which images (shared by a family so smaller pools are prefixes)
    eval_images: int = 600
    bf16: bool = False         # bf16 autocast; off: measured ~7x slower than fp32 on this CPU (no AVX512-BF16)
    mix: tuple = (0.40, 0.25, 0.35)  # shares of "caption", "parts" (no class name), "prompted" (one true part) pairs
    threads: int = 1
    attention: str = "math"    # scaled-dot-product kernel for training: "math" or "default" (torch's choice)
    monitor_every: int = 0     # log zero-shot accuracy on 120 monitoring images (stream "monitor") every N steps
    world: int | None = None   # demo world version (None: the shipped generator.demo.world.WORLD)
    region_weight: float = 0.0  # weight of the region-text term (:func:`region_targets`); 0 = CLIP loss only
    region_parts: int = 1       # parts per sample in the region-text term (at most; drawn without replacement)

    @property
    def name(self) -> str:
        return Path(self.config).stem


def register_config(config: str | Path) -> str:
    """Register a model-config JSON with open_clip; returns the model name (file stem)."""
    import open_clip

    path = Path(config)
    if not path.is_file():
        raise FileNotFoundError(f"model config {path} not found; pass a JSON with embed_dim, vision_cfg and text_cfg")
    try:
        cfg = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"model config {path} is not valid JSON ({e}); fix the file") from e
    missing = {"embed_dim", "vision_cfg", "text_cfg"} - set(cfg)
    if missing:
        raise ValueError(f"model config {path} lacks {sorted(missing)}; an open_clip config needs all three")
    open_clip.add_model_config(path)
    return path.stem


def load_model(config: str | Path, weights: str | Path | None = None):
    """(model in eval mode, tokenizer) through the real open_clip loading path."""
    import open_clip

    name = register_config(config)
    model = open_clip.create_model(name, pretrained=str(weights) if weights else None)
    model.eval()
    return model, open_clip.get_tokenizer(name)


def normaliser(model) -> Callable[[torch.Tensor], torch.Tensor]:
    """uint8 (B,3,S,S) -> normalised float, with the model's own preprocessing mean/std."""
    import open_clip

    cfg = open_clip.get_model_preprocess_cfg(model)
    mean = torch.tensor(cfg["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(cfg["std"]).view(1, 3, 1, 1)
    return lambda x: (x.float() / 255.0 - mean) / std


@dataclass
class Pool:
    images: torch.Tensor       # uint8 (N, 3, S, S)
    labels: torch.Tensor       # int64 (N,)
    parts: list[tuple[str, ...]]
    masks: np.ndarray | None = None          # uint8 (N, S, S) part index per pixel (world.PART_INDEX), 0 background
    colours: list[dict[str, str]] | None = None  # per image: visible part -> colour name
    patterns: list[dict[str, tuple[str, str]]] | None = None  # world 3, per image: part -> (pattern, second colour)

    def __getitem__(self, sl: slice) -> "Pool":
        return Pool(self.images[sl], self.labels[sl], self.parts[sl],
                    None if self.masks is None else self.masks[sl],
                    None if self.colours is None else self.colours[sl],
                    None if self.patterns is None else self.patterns[sl])


def _encode_parts(parts, colours, patterns=None) -> str:
    patterns = patterns or {}
    return "|".join(f"{p}={colours.get(p, '')}" + ("={}={}".format(*patterns[p]) if p in patterns else "")
                    for p in parts)


def _decode_parts(text: str) -> tuple[tuple[str, ...], dict[str, str], dict[str, tuple[str, str]]]:
    items = [t.split("=") for t in text.split("|")] if text else []
    return (tuple(t[0] for t in items), {t[0]: t[1] for t in items if t[1]},
            {t[0]: (t[2], t[3]) for t in items if len(t) == 4})


def build_pool(n: int, seed: int, stream: str = TRAIN_STREAM, size: int = IMAGE_SIZE,
               cache_dir: str | Path | None = None, world: int | None = None) -> Pool:
    """The first ``n`` images of a stream of world version ``world`` (class-balanced, deterministic). With
    ``cache_dir``, the pool is kept in ``<cache_dir>/<stream>-<seed>-<n>-<size>-w<world>-<world hash>.npz`` and
    reused (rendering 40k images takes minutes)."""
    world = check_world(world)
    cache = None
    if cache_dir is not None:
        cache = Path(cache_dir) / f"{stream}-{seed}-{n}-{size}-w{world}-{world_hash()}.npz"
        if cache.is_file():
            z = np.load(cache, allow_pickle=False)
            decoded = [_decode_parts(p) for p in z["parts"].tolist()]
            return Pool(torch.from_numpy(z["images"]), torch.from_numpy(z["labels"]), [d[0] for d in decoded],
                        z["masks"], [d[1] for d in decoded], [d[2] for d in decoded])
    images = np.empty((n, size, size, 3), np.uint8)
    masks = np.empty((n, size, size), np.uint8)
    labels = np.empty(n, np.int64)
    parts, colours, patterns = [], [], []
    for i in range(n):
        s = render_indexed(stream, seed, i, CLASS_NAMES, size, world=world)
        images[i] = s.image
        masks[i] = s.mask
        labels[i] = i % len(CLASS_NAMES)
        parts.append(s.parts)
        colours.append(dict(s.colours))
        patterns.append(dict(s.patterns))
    pool = Pool(torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(labels), parts, masks,
                colours, patterns)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f"{cache.stem}.{os.getpid()}.tmp.npz")   # per process: concurrent builders never share it
        np.savez(tmp, images=pool.images.numpy(), labels=pool.labels.numpy(), masks=masks,
                 parts=np.array([_encode_parts(p, c, q) for p, c, q in zip(parts, colours, patterns)]))
        tmp.replace(cache)
    return pool


def world_hash() -> str:
    """Hash of the world's source (shapes, world, render): a cached pool is reused only for the same world."""
    import hashlib

    h = hashlib.sha256()
    for mod in ("shapes.py", "world.py", "render.py"):
        h.update((Path(__file__).parent / mod).read_bytes())
    return h.hexdigest()[:12]


SAMPLE_KINDS = ("caption", "parts", "prompted")
PROMPT_KINDS = ("red", "gray", "blur")   # the method's three visual prompts (spec §2.3.1)
MIN_PROMPT_PIXELS = 24                   # a part is prompted only if it covers this many pixels (~0.4 patch)


def prompted_image(image_hwc: np.ndarray, part_mask: np.ndarray, kind: str) -> np.ndarray:
    """The method's own prompt ``kind`` drawn around ``part_mask`` (generator.method.prompts: ellipse fitted to the
    part's largest contour; red outline, gray or blur outside)."""
    from generator.method.prompts import PROMPT_KINDS as BUILDERS, fit_part_ellipse

    return BUILDERS[kind](np.ascontiguousarray(image_hwc), fit_part_ellipse(part_mask))


def draw_sample(pool: Pool, i: int, rng: np.random.Generator, mix=(0.40, 0.25, 0.35)) -> tuple[np.ndarray | None, str, dict]:
    """One training pair from pool image ``i``: (prompted uint8 (S,S,3) image or None = the pool image as is,
    caption, info {"kind", "part", "prompt"}). Prompted pairs need the pool's masks; without a prompt-able part
    (>= MIN_PROMPT_PIXELS pixels) or masks, a prompted draw falls back to an ordinary caption."""
    from .world import PART_INDEX

    cls = CLASS_NAMES[int(pool.labels[i])]
    parts, colours = pool.parts[i], (pool.colours[i] if pool.colours is not None else {})
    patterns = pool.patterns[i] if pool.patterns is not None else {}
    kind = SAMPLE_KINDS[int(rng.choice(3, p=np.asarray(mix, float) / sum(mix)))]
    if kind == "prompted" and pool.masks is not None:
        big = [p for p in parts if int((pool.masks[i] == PART_INDEX[p]).sum()) >= MIN_PROMPT_PIXELS]
        if big:
            part = big[int(rng.integers(len(big)))]
            prompt = PROMPT_KINDS[int(rng.integers(len(PROMPT_KINDS)))]
            img = pool.images[i].permute(1, 2, 0).numpy()
            out = prompted_image(img, pool.masks[i] == PART_INDEX[part], prompt)
            return out, part_phrase(cls, part, rng, colours, patterns), {"kind": kind, "part": part, "prompt": prompt}
        kind = "caption"
    elif kind == "prompted":
        kind = "caption"
    if kind == "parts" and parts:
        return None, part_caption(cls, parts, rng, colours=colours, patterns=patterns), {"kind": kind, "part": None,
                                                                                         "prompt": None}
    return None, caption(cls, parts, rng, colours=colours, patterns=patterns), {"kind": "caption", "part": None,
                                                                                "prompt": None}


def draw_batch(pool: Pool, idx, rng: np.random.Generator, mix=(0.40, 0.25, 0.35)):
    """(uint8 (B,3,S,S) images, captions, infos) for pool indices ``idx`` (see :func:`draw_sample`)."""
    images = pool.images[torch.as_tensor(idx)].clone()
    texts, infos = [], []
    for b, i in enumerate(idx):
        img, text, info = draw_sample(pool, int(i), rng, mix)
        if img is not None:
            images[b] = torch.from_numpy(img).permute(2, 0, 1)
        texts.append(text)
        infos.append(info)
    return images, texts, infos


def region_targets(pool: Pool, idx, rng: np.random.Generator, grid: int,
                   n_parts: int = 1) -> tuple[torch.Tensor, list[str], list[int]]:
    """The region-text term's targets for pool indices ``idx``: per sample with a part of at least
    MIN_PROMPT_PIXELS pixels, up to ``n_parts`` such parts drawn at random without replacement (one part: a single
    integer draw, the stream the shipped family trained with), each with its patch weights (the share of each of the
    ``grid`` x ``grid`` patches' pixels the part covers, (n, grid*grid) float) and that part's phrase
    (:func:`~.captions.part_phrase`, colours and patterns as in captions). Returns (weights, phrases, the positions in
    ``idx`` they belong to); samples without such a part (or a pool without masks) are left out."""
    from .world import PART_INDEX

    if pool.masks is None:
        return torch.zeros((0, grid * grid)), [], []
    s = pool.masks.shape[1]
    if s % grid:
        raise ValueError(f"image size {s} is not a multiple of the patch grid {grid}")
    c = s // grid
    weights, texts, rows = [], [], []
    for b, i in enumerate(int(v) for v in idx):
        m = pool.masks[i]
        big = [p for p in pool.parts[i] if int((m == PART_INDEX[p]).sum()) >= MIN_PROMPT_PIXELS]
        if not big:
            continue
        cls = CLASS_NAMES[int(pool.labels[i])]
        chosen = [big[int(rng.integers(len(big)))]] if n_parts == 1 else \
            [big[j] for j in rng.permutation(len(big))[:n_parts]]
        for part in chosen:
            w = (m == PART_INDEX[part]).reshape(grid, c, grid, c).mean(axis=(1, 3)).ravel()
            weights.append(torch.from_numpy(w.astype(np.float32)))
            texts.append(part_phrase(cls, part, rng, pool.colours[i] if pool.colours is not None else {},
                                     pool.patterns[i] if pool.patterns is not None else {}))
            rows.append(b)
    return (torch.stack(weights) if weights else torch.zeros((0, grid * grid))), texts, rows


def region_embeddings(visual, tokens: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """L2-normalised region embeddings from the vision transformer's output ``tokens`` (B, 1 + grid*grid, C),
    batch-first, prefix token first): each patch token goes through ``ln_post`` (as the pooled token does), is averaged
    with ``weights`` (B, grid*grid) and projected by ``proj``; the pooled embedding's path applied to a region
    (MaskCLIP-style dense features, Zhou et al. 2022)."""
    patches = visual.ln_post(tokens[:, tokens.shape[1] - weights.shape[1]:])
    w = weights.to(patches.dtype)
    region = (w[:, :, None] * patches).sum(1) / w.sum(1, keepdim=True).clamp_min(1e-6)
    if visual.proj is not None:
        region = region @ visual.proj
    return region / region.norm(dim=-1, keepdim=True)


def lr_at(step: int, spec: TrainSpec) -> float:
    warm = max(1, int(spec.warmup * spec.steps))
    if step < warm:
        return spec.lr * (step + 1) / warm
    t = (step - warm) / max(1, spec.steps - warm)
    return spec.lr * 0.5 * (1 + math.cos(math.pi * t))


def _optimizer(model, spec: TrainSpec):
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "logit_scale" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "logit_scale" not in n)]
    return torch.optim.AdamW([{"params": decay, "weight_decay": spec.weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}], lr=spec.lr, betas=(0.9, 0.98), eps=1e-6)


@torch.no_grad()
def class_embeddings(model, tokenizer, classes=CLASS_NAMES, templates=TEMPLATES) -> torch.Tensor:
    """(n_classes, d): per class, mean of the normalised template embeddings, renormalised."""
    out = []
    for c in classes:
        t = model.encode_text(tokenizer([tpl.format(c=c) for tpl in templates]))
        t = t / t.norm(dim=-1, keepdim=True)
        m = t.mean(0)
        out.append(m / m.norm())
    return torch.stack(out)


@torch.no_grad()
def zero_shot_accuracy(model, tokenizer, pool: Pool, batch: int = 200) -> dict:
    """Top-1 zero-shot accuracy from the template prompts (fp32), overall and per class."""
    norm = normaliser(model)
    w = class_embeddings(model, tokenizer)
    preds = []
    for i in range(0, len(pool.labels), batch):
        f = model.encode_image(norm(pool.images[i:i + batch]))
        preds.append((f @ w.T).argmax(-1))
    pred = torch.cat(preds)
    correct = pred == pool.labels
    per_class = {c: float(correct[pool.labels == k].float().mean()) for k, c in enumerate(CLASS_NAMES)
                 if (pool.labels == k).any()}
    return {"top1": float(correct.float().mean()), "n": int(len(correct)), "per_class": per_class}


def save_weights(model, path: str | Path) -> None:
    """fp16 safetensors of the full open_clip state dict (floats halved, everything else as is)."""
    from safetensors.torch import save_file

    sd = {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in model.state_dict().items()}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_file(sd, str(path))


def train(spec: TrainSpec, pool: Pool | None = None, log: Callable[[str], None] = print,
          log_every: int = 50) -> tuple[torch.nn.Module, dict]:
    """Train per ``spec``; returns (model, record with the loss curve, wall times and throughput)."""
    import open_clip

    torch.set_num_threads(spec.threads)
    name = register_config(spec.config)
    torch.manual_seed(spec.seed)
    model = open_clip.create_model(name, pretrained=None)
    tokenizer = open_clip.get_tokenizer(name)
    t0 = time.perf_counter()
    if pool is None or len(pool.labels) < spec.n_images:
        pool = build_pool(spec.n_images, spec.data_seed, world=spec.world)
    elif len(pool.labels) > spec.n_images:
        pool = pool[:spec.n_images]
    t_data = time.perf_counter() - t0
    norm = normaliser(model)
    opt = _optimizer(model, spec)
    loss_fn = open_clip.loss.ClipLoss()
    gen = torch.Generator().manual_seed(spec.seed)
    cap_rng = np.random.default_rng(np.random.SeedSequence([spec.seed, 7]))
    region_rng = np.random.default_rng(np.random.SeedSequence([spec.seed, 11]))   # own stream: weight 0 draws nothing
    if spec.region_weight and not hasattr(model.visual, "grid_size"):
        raise ValueError(f"region_weight needs a ViT vision tower (patch tokens); {name} has "
                         f"{type(model.visual).__name__}: set region_weight to 0")
    grid = model.visual.grid_size[0] if spec.region_weight else 0
    captured: list[torch.Tensor] = []
    hook = (model.visual.transformer.register_forward_hook(lambda m, a, out: captured.append(out))
            if spec.region_weight else None)
    losses, monitor = [], []
    mon_pool = build_pool(120, spec.seed, MONITOR_STREAM, world=spec.world) if spec.monitor_every else None
    model.train()
    t1 = time.perf_counter()
    kernel = _attention_kernel(spec.attention)
    step_times, step_cpu = [], []
    for step in range(spec.steps):
        ts, tc = time.perf_counter(), time.process_time()
        for g in opt.param_groups:
            g["lr"] = lr_at(step, spec)
        idx = torch.randint(len(pool.labels), (spec.batch_size,), generator=gen)
        images, texts, _ = draw_batch(pool, idx.tolist(), cap_rng, spec.mix)
        texts = tokenizer(texts)
        if spec.region_weight:
            r_weights, r_texts, r_rows = region_targets(pool, idx.tolist(), region_rng, grid, spec.region_parts)
            captured.clear()
        with kernel(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=spec.bf16):
            img_f, txt_f, scale = model(norm(images), texts)
            loss = loss_fn(img_f.float(), txt_f.float(), scale.float())
            if spec.region_weight and len(r_rows) > 1:
                reg_f = region_embeddings(model.visual, captured[-1][r_rows], r_weights)
                reg_t = model.encode_text(tokenizer(r_texts), normalize=True)
                region_loss = loss_fn(reg_f.float(), reg_t.float(), scale.float())
                loss = loss + spec.region_weight * region_loss
            opt.zero_grad(set_to_none=True)
            loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        losses.append(loss.item())
        step_times.append(time.perf_counter() - ts)
        step_cpu.append(time.process_time() - tc)
        if log_every and (step % log_every == 0 or step == spec.steps - 1):
            el = time.perf_counter() - t1
            log(f"[{name}] step {step + 1}/{spec.steps} loss {losses[-1]:.4f} lr {lr_at(step, spec):.2e} "
                f"{(step + 1) * spec.batch_size / max(el, 1e-9):.0f} img/s")
        if mon_pool is not None and (step + 1) % spec.monitor_every == 0:
            model.eval()
            acc = zero_shot_accuracy(model, tokenizer, mon_pool)["top1"]
            model.train()
            monitor.append([step + 1, round(acc, 4)])
            log(f"[{name}] step {step + 1}: monitoring top-1 {acc:.3f} (120 images, stream {MONITOR_STREAM!r})")
    if hook is not None:
        hook.remove()
    model.eval()
    t_train = time.perf_counter() - t1
    record = {"spec": asdict(spec), "model": name, "losses": losses, "data_seconds": round(t_data, 1),
              "train_seconds": round(t_train, 1), "images_per_second": round(spec.steps * spec.batch_size / t_train, 1),
              "n_params": sum(p.numel() for p in model.parameters()), "monitor": monitor,
              "step_seconds": round(t_train / max(1, spec.steps), 3),
              "step_times": [round(x, 3) for x in step_times], "step_cpu_seconds": [round(x, 3) for x in step_cpu]}
    return model, record
