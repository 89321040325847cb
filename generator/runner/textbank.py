"""Build the text side of a run (spec §2.1, §2.4): class embeddings by template ensemble, descriptor
embeddings ("a photo showing {d}" and raw), and the top-u language concepts per class.

Text embeddings are cached on disk (``cache_dir``, default ``OUT/.cache/text``) per list of texts, keyed by the
model's weights identity (``cache_key``, e.g. ``"ViT-B-16/openai|..."``) and the sha256 of the texts: a file
that cannot be read or does not match is recomputed and rewritten atomically. Without a ``cache_key`` nothing is
cached (the model's identity would be unknown). The lists that miss are encoded together in one call of
:func:`generator.method.text.encode_texts` (one tokenisation, one length sort, one progress bar).
"""
from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Callable, Optional

import torch

from generator.method import language, text
from generator.method.explain import TextBank
from generator.results.io import atomic_write_bytes

CACHE_VERSION = 2   # 2: short-sequence encoding (method.text); equal to version 1 within text.TOLERANCE


def texts_sha256(texts: list[str]) -> str:
    """sha256 of the ordered list of texts (canonical JSON)."""
    return hashlib.sha256(json.dumps(list(texts), ensure_ascii=False).encode("utf-8")).hexdigest()


def cache_path(cache_dir: Path, cache_key: str, texts: list[str]) -> Path:
    """File holding the embeddings of ``texts`` under ``cache_key`` (both hashed into the name)."""
    digest = hashlib.sha256(f"{cache_key}\0{texts_sha256(texts)}".encode("utf-8")).hexdigest()[:32]
    return Path(cache_dir) / f"text-{digest}.pt"


def read_cache(path: Path, cache_key: str, texts: list[str]) -> Optional[torch.Tensor]:
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        emb = blob["embeddings"]
        ok = (blob.get("version") == CACHE_VERSION and blob.get("cache_key") == cache_key
              and blob.get("texts_sha256") == texts_sha256(texts) and isinstance(emb, torch.Tensor)
              and emb.ndim == 2 and emb.shape[0] == len(texts) and bool(torch.isfinite(emb).all()))
        return emb if ok else None
    except Exception:  # noqa: BLE001 - missing, truncated, not a torch file, wrong layout: recompute
        return None


def write_cache(path: Path, cache_key: str, texts: list[str], emb: torch.Tensor) -> None:
    buf = io.BytesIO()
    torch.save({"version": CACHE_VERSION, "cache_key": cache_key, "texts_sha256": texts_sha256(texts),
                "embeddings": emb.detach().to("cpu", torch.float32).contiguous()}, buf)
    atomic_write_bytes(path, buf.getvalue())


def encode_cached(model, tokenizer, lists: list[list[str]], device="cpu", batch_size: int = 256,
                  cache_dir: Optional[Path] = None, cache_key: Optional[str] = None, short: bool = True,
                  progress: Optional[Callable[[int], Callable[[int], None]]] = None) -> list[torch.Tensor]:
    """Embeddings of each list of texts (:func:`generator.method.text.encode_texts`), from the cache where it holds
    them; the missing lists are encoded in one call. ``progress(total)`` -> an ``advance(n)`` callback, called
    only when something is encoded."""
    lists = [list(t) for t in lists]
    use_cache = cache_dir is not None and cache_key is not None
    out: list[Optional[torch.Tensor]] = [None] * len(lists)
    if use_cache:
        for i, texts in enumerate(lists):
            hit = read_cache(cache_path(Path(cache_dir), cache_key, texts), cache_key, texts)
            out[i] = None if hit is None else hit.to(device)
    missing = [i for i, e in enumerate(out) if e is None]
    if missing:
        joined = [t for i in missing for t in lists[i]]
        advance = progress(len(joined)) if progress is not None else None
        emb = text.encode_texts(model, tokenizer, joined, device=device, batch_size=batch_size, short=short,
                                progress=advance)
        offset = 0
        for i in missing:
            out[i] = emb[offset:offset + len(lists[i])]
            offset += len(lists[i])
            if use_cache:
                write_cache(cache_path(Path(cache_dir), cache_key, lists[i]), cache_key, lists[i], out[i])
    return out


def build_text_bank(loaded, classnames: list[str], templates: list[str], descriptors: list[str], cfg,
                    device: str = "cpu", cache_dir: Path | None = None, batch_size: int = 256,
                    progress: Optional[Callable[[int], Callable[[int], None]]] = None) -> TextBank:
    """The :class:`TextBank` of a run. ``progress(total)`` -> ``advance(n)`` (texts encoded), e.g.
    :meth:`generator.runner.progress.Steps.counter`."""
    cls_texts = text.class_texts(classnames, templates)
    prompted = text.descriptor_texts(descriptors, cfg.descriptor_prompt)
    raw = text.descriptor_texts(descriptors, "{}")
    cls_emb, desc_prompted, desc_raw = encode_cached(
        loaded.model, loaded.tokenizer, [cls_texts, prompted, raw], device=device, batch_size=batch_size,
        cache_dir=cache_dir, cache_key=f"{loaded.spec.id}|{loaded.weights}", progress=progress)
    class_embeds = text.ensemble(cls_emb, len(classnames), len(templates))
    lang = language.language_concepts(class_embeds, desc_prompted, u=cfg.language_topk)
    return TextBank(classnames=list(classnames), descriptors=list(descriptors), class_embeds=class_embeds,
                    desc_prompted=desc_prompted, desc_raw=desc_raw, language=lang)
