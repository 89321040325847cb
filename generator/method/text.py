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

**Short sequences (performance, issue 11).** Descriptors are ~10 tokens long but tokenizers pad to the
full context (77). For towers with a *causal* attention mask whose output is read at the EOT token
(``argmax`` / ``eos`` pooling: every OpenAI-style open_clip ``CLIP`` text tower and causal
``TextTransformer`` s of ``CustomTextCLIP``), the output at position k depends only on tokens <= k, so
encoding each batch only up to its longest real sequence (the pooled position + 1) gives the same
embedding as the full context, up to float rounding (the attention sums run over fewer, all-masked, terms;
tests and ``benchmarks/explain_throughput.py`` measure max |Δ| < 1e-5 on the normalised embeddings in
float32). Texts are sorted by that length so each batch is as short as possible; the output is in input
order. Towers where this does not hold are encoded at full context through ``model.encode_text``
(:func:`truncation_kind` returns None for them): non-causal towers (SigLIP's ``pool_type="last"``, where
the pads are attended to and the last position is read), CoCa-style towers with an appended CLS
embedding, Hugging Face text towers (bidirectional, not verifiable offline here), and any object that is
not an open_clip model. For a supported tower the first call also checks the short path against the full
context on a few texts and falls back to full context if they differ by more than :data:`TOLERANCE`.

The method knows no files: the on-disk embedding cache is in :mod:`generator.runner.textbank`.
"""
from __future__ import annotations

from typing import Callable, Optional

import torch
import torch.nn.functional as F

from generator.errors import UserError

TOLERANCE = 1e-5      # max |short - full| of normalised float32 embeddings accepted by the self-check
_PROBE = 4            # texts checked against the full context on a model's first short-path call


# ------------------------------------------------------------------------------------ short-sequence towers
# name -> (applies(model) -> bool, pooled positions(model, tokens) -> (B,), forward(model, tokens (B, n)) -> (B, D))

def _pool_index(tokens: torch.Tensor, pool_type: str, eos_id) -> torch.Tensor:
    if pool_type == "argmax":
        return tokens.argmax(dim=-1)
    return (tokens == eos_id).int().argmax(dim=-1)


def _project(x: torch.Tensor, proj) -> torch.Tensor:
    if proj is None:
        return x
    return proj(x) if isinstance(proj, torch.nn.Linear) else x @ proj


def _clip_applies(model) -> bool:
    from open_clip.model import CLIP

    return (isinstance(model, CLIP) and getattr(model, "attn_mask", None) is not None
            and getattr(model, "text_pool_type", None) in ("argmax", "eos"))


def _clip_pool(model, tokens):
    return _pool_index(tokens, model.text_pool_type, getattr(model, "text_eos_id", None))


def _clip_forward(model, tokens: torch.Tensor) -> torch.Tensor:
    """open_clip ``CLIP.encode_text`` on ``n`` positions: positional embedding and causal mask cut to n."""
    from open_clip.transformer import text_global_pool

    n = tokens.shape[1]
    cast = model.transformer.get_cast_dtype()
    x = model.token_embedding(tokens).to(cast) + model.positional_embedding[:n].to(cast)
    x = model.transformer(x, attn_mask=model.attn_mask[:n, :n])
    x = model.ln_final(x)
    x = text_global_pool(x, tokens, model.text_pool_type, eos_token_id=getattr(model, "text_eos_id", None))
    return _project(x, model.text_projection)


def _custom_applies(model) -> bool:
    from open_clip.model import CustomTextCLIP
    from open_clip.transformer import TextTransformer

    text = getattr(model, "text", None)
    return (isinstance(model, CustomTextCLIP) and isinstance(text, TextTransformer)
            and text.attn_mask is not None and text.cls_emb is None and not text.use_pad_mask
            and text.pool_type in ("argmax", "eos") and not text.output_tokens)


def _custom_pool(model, tokens):
    return _pool_index(tokens, model.text.pool_type, model.text.eos_id)


def _custom_forward(model, tokens: torch.Tensor) -> torch.Tensor:
    """open_clip ``TextTransformer.forward`` (no CLS, causal) on ``n`` positions."""
    from open_clip.transformer import text_global_pool

    t, n = model.text, tokens.shape[1]
    cast = t.transformer.get_cast_dtype()
    x = t.token_embedding(tokens).to(cast) + t.positional_embedding[:n].to(cast)
    x = t.transformer(x, attn_mask=t.attn_mask[:n, :n])
    x = t.ln_final(x)
    x = text_global_pool(x, tokens, pool_type=t.pool_type, eos_token_id=t.eos_id)
    return _project(x, t.text_projection)


SHORT_TOWERS: dict[str, tuple[Callable, Callable, Callable]] = {
    "clip-causal": (_clip_applies, _clip_pool, _clip_forward),
    "custom-causal": (_custom_applies, _custom_pool, _custom_forward),
}


def truncation_kind(model) -> Optional[str]:
    """The :data:`SHORT_TOWERS` entry that encodes ``model``'s texts at their real length, or None (full context)."""
    for name, (applies, _, _) in SHORT_TOWERS.items():
        try:
            if applies(model):
                return name
        except Exception:  # noqa: BLE001 - an unusual object is simply not a known tower
            continue
    return None


# ------------------------------------------------------------------------------------------------- encoding

def _full(model, tokens: torch.Tensor) -> torch.Tensor:
    return F.normalize(model.encode_text(tokens).float(), dim=-1)


def _short(kind: str, model, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    n = int(lengths.max())
    return F.normalize(SHORT_TOWERS[kind][2](model, tokens[:, :n]).float(), dim=-1)


def _self_check(kind: str, model, tokens: torch.Tensor, lengths: torch.Tensor) -> bool:
    """The short path matches the full context on the first few texts (once per model object)."""
    verdict = getattr(model, "_mkbench_short_text_ok", None)
    if verdict is None:
        probe = slice(0, min(_PROBE, len(tokens)))
        diff = (_short(kind, model, tokens[probe], lengths[probe]) - _full(model, tokens[probe])).abs().max()
        verdict = bool(diff <= TOLERANCE)
        try:
            model._mkbench_short_text_ok = verdict
        except Exception:  # noqa: BLE001 - objects that refuse attributes get checked again next time
            pass
    return verdict


def encode_texts(model, tokenizer, texts: list[str], device="cpu", batch_size: int = 256, short: bool = True,
                 progress: Optional[Callable[[int], None]] = None) -> torch.Tensor:
    """(len(texts), D) L2-normalised float32 text embeddings on ``device``, in input order.

    ``short``: encode each batch only up to its longest real sequence where the tower allows it (module doc);
    False always uses the full context. ``progress(n)`` is called after each batch with the texts it encoded."""
    texts = list(texts)
    if not texts:
        raise ValueError("encode_texts: no texts to encode")
    if batch_size < 1:
        raise ValueError(f"encode_texts: batch_size must be >= 1, got {batch_size}")
    kind = truncation_kind(model) if short else None
    with torch.inference_mode():
        tokens = tokenizer(texts).to(device)
        if kind is None:
            order = torch.arange(len(texts), device=device)
            lengths = None
        else:
            lengths = SHORT_TOWERS[kind][1](model, tokens) + 1
            order = torch.sort(lengths, descending=True, stable=True).indices   # longest first: fail early on memory
            if not _self_check(kind, model, tokens[order], lengths[order]):
                kind = None
        chunks = []
        for start in range(0, len(texts), batch_size):
            idx = order[start:start + batch_size]
            chunks.append(_full(model, tokens[idx]) if kind is None else _short(kind, model, tokens[idx], lengths[idx]))
            if progress is not None:
                progress(len(idx))
        emb = torch.cat(chunks)
        out = torch.empty_like(emb)
        out[order] = emb
    return out.clone()  # a normal tensor (not an inference tensor), usable in autograd-enabled code


def fill_template(template: str, name: str) -> str:
    """``template`` with its single ``{}`` replaced by ``name`` (UserError if it has no ``{}``)."""
    if template.count("{}") != 1:
        raise UserError(f"prompt template {template!r} must contain exactly one '{{}}' where the class "
                        f"name goes, e.g. 'a photo of a {{}}.'")
    return template.replace("{}", name)


def class_texts(classnames: list[str], templates: list[str]) -> list[str]:
    """Every template filled with every class name, class-major (the order :func:`ensemble` expects)."""
    classnames, templates = list(classnames), list(templates)
    if not classnames or not templates:
        raise ValueError("class_embeddings: need at least one class name and one template")
    return [fill_template(t, c) for c in classnames for t in templates]


def ensemble(emb: torch.Tensor, n_classes: int, n_templates: int) -> torch.Tensor:
    """(n_classes * n_templates, D) normalised per text -> (n_classes, D): mean over templates, renormalised."""
    return F.normalize(emb.reshape(n_classes, n_templates, -1).mean(dim=1), dim=-1)


def class_embeddings(model, tokenizer, classnames: list[str], templates: list[str], **kw) -> torch.Tensor:
    """(n_classes, D): per class normalise each template embedding, mean, renormalise.
    ``kw`` is passed to :func:`encode_texts` (device, batch_size, short, progress)."""
    texts = class_texts(classnames, templates)
    return ensemble(encode_texts(model, tokenizer, texts, **kw), len(classnames), len(templates))


def descriptor_texts(descriptors: list[str], prompt: str = "a photo showing {}") -> list[str]:
    return [fill_template(prompt, d) for d in descriptors]


def descriptor_embeddings(model, tokenizer, descriptors: list[str], prompt: str = "a photo showing {}",
                          **kw) -> torch.Tensor:
    """(n_desc, D) normalised embeddings of prompt.format(d). ``prompt="{}"`` embeds the raw text."""
    return encode_texts(model, tokenizer, descriptor_texts(descriptors, prompt), **kw)
