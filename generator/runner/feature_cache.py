"""Per-model cache of the image tower's work, so that changing a grounding or language setting reruns no image
forward pass (issue "One command for everything", item 3; the text side is cached by :mod:`generator.runner.textbank`).

Two stores under ``OUT/.cache/features/<hash of the weights identity>/``, one safetensors file per entry:

* ``encode/<key>.safetensors``, one per class unit: the output of the ONE encode pass (spec §2.2.1,
  :func:`generator.method.features.encode_images`): the image embeddings (float32) and the patch features, stored
  in **float16** to halve the disk (ViT-B/16 on ImageNet: 50 x 196 x 768 x 2 bytes ~ 15 MB per class, ~15 GB per
  model). Key: the weights identity, the facet, the preprocessing (image size, mean, std), the effective precision
  and a sha256 of the class's image files (relative path and **bytes**: content-addressed, so a copied or touched
  dataset still hits and a replaced image misses; reading the files costs little next to decoding them).
* ``prompts/<key>.safetensors``, one per class unit and part map: every image's (L, D) mean prompt embeddings
  (spec §2.3.1-2), float32. Key: the encode key, a sha256 of the pixel part maps and the prompt settings (kinds,
  ellipse thickness, blur kernel). Part maps that two part methods share share an entry.

Cached and uncached runs give identical results: the method ALWAYS runs on float16-rounded patch features
(:func:`round_patches`, also with ``--no-feature-cache``), so storing them loses nothing. Features that overflow
float16 (or are not finite) are kept, and stored, in float32. Batch size and device are not in the keys, as in the
unit keys (:mod:`generator.runner.units`). Files are written atomically; a file that cannot be read or does not
match its key and shapes is a miss: it is recomputed and rewritten.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch

from generator.hashing import stable_hash
from generator.method.features import EncodedImages
from generator.results.io import atomic_write_bytes

FORMAT = 1                       # bump when the stored layout changes: old entries become misses
FEATURES_DIR = Path(".cache") / "features"
_F16_MAX = float(torch.finfo(torch.float16).max)


def files_sha256(root: Path, rel_files: Sequence[str]) -> str:
    """sha256 of the (relative path, bytes) of every file, in order."""
    h = hashlib.sha256()
    for rel in rel_files:
        data = (Path(root) / rel).read_bytes()
        h.update(f"{rel}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def round_patches(enc: EncodedImages) -> EncodedImages:
    """The patch features rounded to float16 (back in float32) when they fit, unchanged otherwise."""
    p = enc.patches
    fits = p.numel() == 0 or (bool(torch.isfinite(p).all()) and p.abs().max().item() <= _F16_MAX)
    return EncodedImages(embeds=enc.embeds, patches=p.half().float()) if fits else enc


def _load(path: Path, key: str) -> Optional[dict]:
    """The tensors of ``path`` if it is a readable entry of ``key``; None (a miss) otherwise."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    try:
        data = path.read_bytes()
        tensors = load(data)
        meta = _metadata(data)
    except (OSError, ValueError, SafetensorError, RuntimeError):   # missing, truncated, garbage
        return None
    return tensors if meta.get("key") == key and meta.get("format") == str(FORMAT) else None


def _metadata(data: bytes) -> dict:
    """The ``__metadata__`` of a safetensors blob (an 8-byte little-endian header length, then the JSON header)."""
    import json

    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + n]).get("__metadata__") or {}


def _save(path: Path, key: str, tensors: dict) -> None:
    from safetensors.torch import save

    blob = save({k: v.detach().cpu().contiguous() for k, v in tensors.items()},
                metadata={"key": key, "format": str(FORMAT)})
    atomic_write_bytes(path, blob)


class PromptStore:
    """The prompt store of one class unit, as :func:`generator.method.explain.explain_batch` uses it:
    ``get(pix)`` -> per image (part ids, (L, D) embeddings or None), or None on a miss; ``put(pix, per_image)``."""

    def __init__(self, folder: Path, encode_key: str, cfg, device):
        self.folder, self.device = folder, device
        self.base = {"encode": encode_key, "kinds": list(cfg.prompt_kinds), "thickness": cfg.ellipse_thickness,
                     "blur": cfg.blur_kernel, "format": FORMAT}

    def key(self, pix: np.ndarray) -> str:
        pix = np.ascontiguousarray(pix, dtype=np.int32)
        return stable_hash({**self.base, "shape": list(pix.shape), "maps": hashlib.sha256(pix.tobytes()).hexdigest()})

    def _path(self, key: str) -> Path:
        return self.folder / "prompts" / f"{key}.safetensors"

    def get(self, pix: np.ndarray):
        key = self.key(pix)
        t = _load(self._path(key), key)
        if t is None or not {"ids", "counts", "embeds"} <= set(t) or len(t["counts"]) != len(pix):
            return None
        counts, ids, emb = t["counts"].tolist(), t["ids"].tolist(), t["embeds"]
        if sum(counts) != len(ids) or (len(ids) and emb.shape[0] != len(ids)):
            return None
        emb = emb.to(self.device)
        out, offset = [], 0
        for n in counts:
            out.append((ids[offset:offset + n], emb[offset:offset + n] if n else None))
            offset += n
        return out

    def put(self, pix: np.ndarray, per_image) -> None:
        parts = [e for ids, e in per_image if len(ids)]
        tensors = {"ids": torch.tensor([int(i) for ids, _ in per_image for i in ids], dtype=torch.int64),
                   "counts": torch.tensor([len(ids) for ids, _ in per_image], dtype=torch.int64),
                   "embeds": torch.cat([e.float() for e in parts]) if parts else torch.zeros((0, 0))}
        key = self.key(pix)
        _save(self._path(key), key, tensors)


class FeatureCache:
    """The feature cache of one model (weights identity) under ``out``."""

    def __init__(self, out: Path, weights: str):
        self.folder = Path(out) / FEATURES_DIR / stable_hash(weights)
        self.weights = weights

    def encode_key(self, root: Path, rel_files: Sequence[str], facet: str, image_size: int, mean, std,
                   precision: str) -> str:
        return stable_hash({"weights": self.weights, "facet": facet, "size": int(image_size),
                            "mean": [float(m) for m in mean], "std": [float(s) for s in std],
                            "precision": precision, "files": files_sha256(root, rel_files), "format": FORMAT})

    def _path(self, key: str) -> Path:
        return self.folder / "encode" / f"{key}.safetensors"

    def load_encoded(self, key: str, n_images: int, device) -> Optional[EncodedImages]:
        t = _load(self._path(key), key)
        if t is None or set(t) != {"embeds", "patches"}:
            return None
        embeds, patches = t["embeds"], t["patches"]
        if embeds.ndim != 2 or patches.ndim != 4 or len(embeds) != n_images or len(patches) != n_images:
            return None
        return EncodedImages(embeds=embeds.float().to(device), patches=patches.float().to(device))

    def save_encoded(self, key: str, enc: EncodedImages) -> None:
        """Store ``enc`` (already :func:`round_patches`-ed): float16 patches when that is lossless."""
        p = enc.patches
        half = p.half()
        patches = half if torch.equal(half.float(), p) else p
        _save(self._path(key), key, {"embeds": enc.embeds.float(), "patches": patches})

    def prompt_store(self, encode_key: str, cfg, device) -> PromptStore:
        return PromptStore(self.folder, encode_key, cfg, device)
