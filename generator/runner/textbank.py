"""Build the text side of a run (spec §2.1, §2.4): class embeddings by template ensemble, descriptor
embeddings ("a photo showing {d}" and raw), and the top-u language concepts per class. Text embeddings
are cached on disk (``cache_dir``), keyed by the model id and weights identity."""
from __future__ import annotations

from pathlib import Path

from generator.method import language, text
from generator.method.explain import TextBank


def build_text_bank(loaded, classnames: list[str], templates: list[str], descriptors: list[str], cfg,
                    device: str = "cpu", cache_dir: Path | None = None, batch_size: int = 256) -> TextBank:
    kw = dict(device=device, batch_size=batch_size, cache_dir=cache_dir,
              cache_key=f"{loaded.spec.id}|{loaded.weights}")
    model, tok = loaded.model, loaded.tokenizer
    class_embeds = text.class_embeddings(model, tok, classnames, templates, **kw)
    desc_prompted = text.descriptor_embeddings(model, tok, descriptors, prompt=cfg.descriptor_prompt, **kw)
    desc_raw = text.descriptor_embeddings(model, tok, descriptors, prompt="{}", **kw)
    lang = language.language_concepts(class_embeds, desc_prompted, u=cfg.language_topk)
    return TextBank(classnames=list(classnames), descriptors=list(descriptors), class_embeds=class_embeds,
                    desc_prompted=desc_prompted, desc_raw=desc_raw, language=lang)
