"""Text side: class embeddings by template ensemble, descriptor embeddings (spec §2.1). CONTRACT STUB."""
from __future__ import annotations

from pathlib import Path

import torch


def encode_texts(model, tokenizer, texts: list[str], device="cpu", batch_size: int = 256,
                 cache_dir: Path | None = None, cache_key: str | None = None) -> torch.Tensor:
    """(len(texts), D) L2-normalised text embeddings; cached at cache_dir keyed by cache_key + sha256(texts)."""
    raise NotImplementedError


def class_embeddings(model, tokenizer, classnames: list[str], templates: list[str], **kw) -> torch.Tensor:
    """(n_classes, D): per class normalise each template embedding, mean, renormalise."""
    raise NotImplementedError


def descriptor_embeddings(model, tokenizer, descriptors: list[str], prompt: str = "a photo showing {}",
                          **kw) -> torch.Tensor:
    """(n_desc, D) normalised embeddings of prompt.format(d)."""
    raise NotImplementedError
