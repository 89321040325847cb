"""Text side: class embeddings by template ensemble, descriptor embeddings (spec §2.1).

* :func:`encode_texts` embeds strings with the model's text tower (batched, ``torch.inference_mode``) and
  L2-normalises them. The official code tokenises with OpenAI ``clip.tokenize``; here the caller passes
  the model's own tokenizer (``open_clip.get_tokenizer(model_name)``), which for OpenAI-style configs is
  the same BPE ``SimpleTokenizer`` (bundled vocabulary, works offline).
* :func:`class_embeddings` is the zero-shot classifier W_cls: for each class, embed every template
  filled with the class name, normalise each, average over templates and renormalise (the paper's
  Table 8 template ensemble; the normalise-mean-renormalise order is the standard CLIP recipe, the
  official weights are on Google Drive only [INF]).
* :func:`descriptor_embeddings` is W_desc: "a photo showing {descriptor}" per descriptor (App. L).
  The raw descriptor text (no template), used for the relevance filter and the importance scores
  of §2.3, is ``descriptor_embeddings(..., prompt="{}")``.

Results are returned as float32 on ``device``. With ``cache_dir`` and ``cache_key`` given (the key must
identify the model's weights, e.g. ``"ViT-B-16/openai"``), embeddings are cached on disk under a name
derived from the key and the sha256 of the texts; a cache file that cannot be read or does not match is
recomputed and rewritten atomically. Without a ``cache_key`` nothing is cached: the model's identity
would be unknown.
"""
from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import torch
import torch.nn.functional as F

from generator.errors import UserError
from generator.results.io import atomic_write_bytes

CACHE_VERSION = 1


def texts_sha256(texts: list[str]) -> str:
    """sha256 of the ordered list of texts (canonical JSON)."""
    return hashlib.sha256(json.dumps(list(texts), ensure_ascii=False).encode("utf-8")).hexdigest()


def cache_path(cache_dir: Path, cache_key: str, texts: list[str]) -> Path:
    """File holding the embeddings of ``texts`` under ``cache_key`` (both hashed into the name)."""
    digest = hashlib.sha256(f"{cache_key}\0{texts_sha256(texts)}".encode("utf-8")).hexdigest()[:32]
    return Path(cache_dir) / f"text-{digest}.pt"


def _read_cache(path: Path, cache_key: str, sha: str, n: int) -> torch.Tensor | None:
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        emb = blob["embeddings"]
        ok = (blob.get("version") == CACHE_VERSION and blob.get("cache_key") == cache_key
              and blob.get("texts_sha256") == sha and isinstance(emb, torch.Tensor)
              and emb.ndim == 2 and emb.shape[0] == n and bool(torch.isfinite(emb).all()))
        return emb if ok else None
    except Exception:  # missing, truncated, not a torch file, wrong layout: recompute
        return None


def _write_cache(path: Path, cache_key: str, sha: str, emb: torch.Tensor) -> None:
    buf = io.BytesIO()
    torch.save({"version": CACHE_VERSION, "cache_key": cache_key, "texts_sha256": sha,
                "embeddings": emb.detach().to("cpu", torch.float32).contiguous()}, buf)
    atomic_write_bytes(path, buf.getvalue())


def _encode(model, tokenizer, texts: list[str], device, batch_size: int) -> torch.Tensor:
    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            tokens = tokenizer(texts[start:start + batch_size]).to(device)
            emb = model.encode_text(tokens).float()
            out.append(F.normalize(emb, dim=-1))
    return torch.cat(out)


def encode_texts(model, tokenizer, texts: list[str], device="cpu", batch_size: int = 256,
                 cache_dir: Path | None = None, cache_key: str | None = None) -> torch.Tensor:
    """(len(texts), D) L2-normalised text embeddings, float32 on ``device``; cached at cache_dir keyed by
    cache_key + sha256(texts)."""
    texts = list(texts)
    if not texts:
        raise ValueError("encode_texts: no texts to encode")
    if batch_size < 1:
        raise ValueError(f"encode_texts: batch_size must be >= 1, got {batch_size}")
    use_cache = cache_dir is not None and cache_key is not None
    if use_cache:
        sha = texts_sha256(texts)
        path = cache_path(Path(cache_dir), cache_key, texts)
        cached = _read_cache(path, cache_key, sha, len(texts))
        if cached is not None:
            return cached.to(device)
    emb = _encode(model, tokenizer, texts, device, batch_size)
    if use_cache:
        _write_cache(path, cache_key, sha, emb)
    return emb.clone()  # a normal tensor (not an inference tensor), usable in autograd-enabled code


def fill_template(template: str, name: str) -> str:
    """``template`` with its single ``{}`` replaced by ``name`` (UserError if it has no ``{}``)."""
    if template.count("{}") != 1:
        raise UserError(f"prompt template {template!r} must contain exactly one '{{}}' where the class "
                        f"name goes, e.g. 'a photo of a {{}}.'")
    return template.replace("{}", name)


def class_embeddings(model, tokenizer, classnames: list[str], templates: list[str], **kw) -> torch.Tensor:
    """(n_classes, D): per class normalise each template embedding, mean, renormalise.
    ``kw`` is passed to :func:`encode_texts` (device, batch_size, cache_dir, cache_key)."""
    classnames, templates = list(classnames), list(templates)
    if not classnames or not templates:
        raise ValueError("class_embeddings: need at least one class name and one template")
    texts = [fill_template(t, c) for c in classnames for t in templates]
    emb = encode_texts(model, tokenizer, texts, **kw)            # already normalised per text
    emb = emb.reshape(len(classnames), len(templates), -1).mean(dim=1)
    return F.normalize(emb, dim=-1)


def descriptor_embeddings(model, tokenizer, descriptors: list[str], prompt: str = "a photo showing {}",
                          **kw) -> torch.Tensor:
    """(n_desc, D) normalised embeddings of prompt.format(d). ``prompt="{}"`` embeds the raw text."""
    return encode_texts(model, tokenizer, [fill_template(prompt, d) for d in descriptors], **kw)
