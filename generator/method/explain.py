"""Explain one class batch by composing the steps (spec §2.2-2.6; official notebook, one class folder).

For a batch of B images of one class folder (the paper's B = 50 "across B images"):

1. ONE forward pass of the vision tower gives the image embeddings and the patch features
   (:func:`features.encode_images`, §2.2.1); the zero-shot prediction is the argmax of the embeddings
   against the class embeddings (§2.0).
2. Foreground by ``cfg.foreground_method`` (default the official SVD over the batch, §2.2.2), upsampled to S x S, optionally refined by a dense CRF (§2.2.3).
3. For each part method in ``cfg.methods``: parts clustered jointly over the batch's foreground patches
   (§2.2.4), pixel part maps at S x S (background and non-CRF pixels = -1).
4. Visual prompts of every part of every image (§2.3.1) are collected first and encoded in a few large
   batched forward passes (never image by image); the prompt embeddings of a part are averaged, without
   renormalisation (§2.3.2, official code).
5. Grounding to D_v (§2.3.3-7), language side D_y = ``bank.language[prediction]`` (§2.4), mutual concepts,
   MI and MI dynamics (§2.5-2.6).

Cost floor: 1 + 3L image forward passes per image per method (L parts, 3 prompt kinds); this module
reaches it, with the prompt passes batched ``batch_size`` images at a time.

An image with no foreground part (possible with random or tiny models) gets empty D_v, MI 0 and the
one-point curve [0.0] (length Lv + 1 with Lv = 0).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from generator.method import features, foreground, grounding, parts, prompts
from generator.method.mutual_information import mi_curve, mutual_information


@dataclass
class TextBank:
    classnames: list[str]
    descriptors: list[str]          # de-duplicated pool, index = descriptor id
    class_embeds: torch.Tensor      # (n_classes, D) template ensemble
    desc_prompted: torch.Tensor     # (N, D) "a photo showing {d}"
    desc_raw: torch.Tensor          # (N, D) raw descriptor text
    language: torch.Tensor          # (n_classes, u) top-u descriptor ids per class


@dataclass
class MethodExplanation:
    vision: list[int]               # D_v ids by importance
    scores: list[float]
    part_of: list[int]
    per_part: dict[int, list[int]]
    language: list[int]             # D_y ids
    mutual: list[int]
    mi: float
    curve: list[float]
    part_map: np.ndarray            # int (S,S), -1 background
    part_similarity: dict[int, float] = field(default_factory=dict)  # cos(image, part's mean prompt embedding)


@dataclass
class ImageExplanation:
    prediction: int
    foreground: np.ndarray          # bool (h,w) patch mask
    methods: dict[str, MethodExplanation] = field(default_factory=dict)
    logits: np.ndarray | None = None    # (n_classes,) cosine similarities to the class embeddings
    crf_used: bool = False              # the dense CRF refined this image's foreground


def zero_shot(embeds: torch.Tensor, class_embeds: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(cosine logits (B, n_classes), predictions (B,)): ŷ = argmax_c s(I, prompt(c)) (spec §2.0)."""
    logits = embeds.float() @ class_embeds.to(embeds.device, torch.float32).T
    return logits, logits.argmax(dim=1)


def _pixel_keep(fg: np.ndarray, raw: np.ndarray, size: int, cfg) -> tuple[np.ndarray, bool]:
    keep = foreground.upsample_masks(fg, size)
    if not (cfg.crf and foreground.crf_available()):
        return keep, False
    refined = np.stack([foreground.refine_crf(keep[i], raw[i], cfg.crf_params) for i in range(len(keep))])
    return refined.astype(bool), True


def balanced_passes(n: int, batch_size: int) -> list[int]:
    """Sizes of the fewest forward passes of at most ``batch_size`` images that cover ``n`` images, as equal as
    possible (219 prompts at 50: 44, 44, 44, 44, 43 instead of 50, 50, 50, 50, 19: a small last batch runs at fewer
    images/s on the CPU). Per-image embeddings do not depend on the batch's composition (tested)."""
    passes = -(-n // batch_size) if n > 0 else 0
    return [n // passes + (1 if i < n % passes else 0) for i in range(passes)]


def _encode_prompts(model, all_prompts, normalize: Callable, device, batch_size: int) -> torch.Tensor:
    """uint8 (N, S, S, 3) array (or tensor on the device, CUDA) -> (N, D) normalised embeddings, normalising one
    pass at a time (memory), in :func:`balanced_passes`."""
    chunks, start = [], 0
    for size in balanced_passes(len(all_prompts), batch_size):
        x = normalize(all_prompts[start:start + size])
        chunks.append(features.encode_image_embeds(model, x.to(device), batch_size=size))
        start += size
    return torch.cat(chunks) if chunks else torch.zeros((0, 0))


def draw_on_device(device) -> bool:
    """Whether visual prompts are drawn by torch on ``device`` (CUDA) rather than by OpenCV on the CPU."""
    return str(device).startswith("cuda")


def _draw_prompts(raw: np.ndarray, pix: np.ndarray, cfg, device):
    """Per image (part ids, uint8 prompts (L, k, S, S, 3)): numpy/OpenCV on the CPU; on CUDA torch tensors built on
    the device (:func:`prompts.part_prompts_torch`), so the prompt images never cross the bus."""
    kinds = tuple(cfg.prompt_kinds)
    if draw_on_device(device):
        images = torch.as_tensor(np.ascontiguousarray(raw)).to(device)
        return [prompts.part_prompts_torch(images[i], pix[i], kinds, cfg.ellipse_thickness, cfg.blur_kernel)
                for i in range(len(raw))]
    return [prompts.part_prompts(raw[i], pix[i], kinds, cfg.ellipse_thickness, cfg.blur_kernel)
            for i in range(len(raw))]


def _part_embeddings(model, raw: np.ndarray, pix: np.ndarray, cfg, normalize, device, batch_size):
    """Per image: (part ids, (L, D) mean prompt embedding per part), all prompts encoded together."""
    per_image = _draw_prompts(raw, pix, cfg, device)
    k = len(cfg.prompt_kinds)
    stacked = [p.reshape(-1, *p.shape[-3:]) for ids, p in per_image if len(ids)]
    if not stacked:
        return [(ids, None) for ids, _ in per_image]
    joined = torch.cat(stacked) if isinstance(stacked[0], torch.Tensor) else np.concatenate(stacked)
    emb = _encode_prompts(model, joined, normalize, device, batch_size)
    out, offset = [], 0
    for ids, _ in per_image:
        n = len(ids) * k
        out.append((list(ids), emb[offset:offset + n].view(len(ids), k, -1).mean(dim=1) if n else None))
        offset += n
    return out


def _method_result(ids, part_embeds, image_embed, pred: int, bank: TextBank, cfg, part_map,
                   grounded=None) -> MethodExplanation:
    language = [int(d) for d in bank.language[pred].tolist()]
    if not ids:
        return MethodExplanation([], [], [], {}, language, [], 0.0, [0.0], part_map)
    g = grounded or grounding.ground(part_embeds, ids, image_embed, bank.desc_prompted, bank.desc_raw, cfg)
    vision = [int(d) for d in g.ordered]
    lang = set(language)
    sims = torch.nn.functional.normalize(part_embeds.float(), dim=-1) @ image_embed.float().to(part_embeds.device)
    return MethodExplanation(
        vision=vision, scores=[float(s) for s in g.scores], part_of=[int(p) for p in g.part_of],
        per_part={int(p): [int(d) for d in ds] for p, ds in g.per_part.items()}, language=language,
        mutual=[d for d in vision if d in lang], mi=mutual_information(vision, language),
        curve=mi_curve(vision, language), part_map=part_map,
        part_similarity={int(p): float(v) for p, v in zip(ids, sims.tolist())})


def _cached_part_embeddings(model, raw, pix, cfg, normalize, device, batch_size, cache):
    found = cache.get(pix) if cache is not None else None
    if found is not None:
        return found
    per_image = _part_embeddings(model, raw, pix, cfg, normalize, device, batch_size)
    if cache is not None:
        cache.put(pix, per_image)
    return per_image


def explain_batch(model, images: torch.Tensor, raw: np.ndarray, bank: TextBank, cfg, seed: int,
                  normalize, batch_size: int = 64, encoded: features.EncodedImages | None = None,
                  prompt_cache=None) -> list[ImageExplanation]:
    """Explain a class batch. ``images`` (B, 3, S, S) normalised; ``raw`` uint8 (B, S, S, 3) the same images;
    ``normalize`` maps uint8 (N, S, S, 3) to a normalised tensor (N, 3, S, S) (a numpy array on the CPU; on CUDA,
    where the prompts are drawn on the device, a uint8 tensor there); ``cfg`` a MethodConfig.

    Optional reuse of earlier work (the caller owns any storage; this module knows no files):
    ``encoded``: the :func:`features.encode_images` output of ``images`` (then no encode pass runs);
    ``prompt_cache``: an object with ``get(pix)`` -> the per-image ``(part ids, (L, D) mean prompt embeddings or
    None)`` list for the pixel part maps ``pix`` (B, S, S), or None when it has none, and ``put(pix, per_image)``;
    the prompt settings of ``cfg`` are the caller's to key on."""
    device = images.device
    size = int(images.shape[-1])
    enc = encoded if encoded is not None else features.encode_images(model, images, facet=cfg.facet)
    logits, preds = zero_shot(enc.embeds, bank.class_embeds)
    fg = foreground.foreground_masks(enc.patches, cfg.foreground_component, cfg.foreground_threshold,
                                     cfg.second_component_min_patches, method=cfg.foreground_method)
    keep, crf_used = _pixel_keep(fg, raw, size, cfg)
    out = [ImageExplanation(prediction=int(preds[i]), foreground=fg[i], logits=logits[i].cpu().numpy(),
                            crf_used=crf_used) for i in range(len(raw))]
    for method in cfg.methods:
        maps = parts.part_maps(enc.patches, fg, method, cfg.n_parts, seed, **_part_kwargs(method, cfg))
        pix = parts.pixel_part_maps(maps, size, keep)
        per_image = _cached_part_embeddings(model, raw, pix, cfg, normalize, device, batch_size, prompt_cache)
        grounded = grounding.ground_batch([(e, ids, enc.embeds[i]) if ids else None
                                           for i, (ids, e) in enumerate(per_image)],
                                          bank.desc_prompted, bank.desc_raw, cfg)   # CUDA: one Sinkhorn per batch
        for i, (ids, part_embeds) in enumerate(per_image):
            out[i].methods[method] = _method_result(ids, part_embeds, enc.embeds[i], out[i].prediction, bank,
                                                    cfg, pix[i], grounded=grounded[i])
    return out


def _part_kwargs(method: str, cfg) -> dict:
    return {"iter_limit": cfg.kmeans_iter_limit} if method == "kmeans" else {}
