"""Serialisable hyper-parameters of the method (spec §2; defaults are the paper's / official notebook's).

A :class:`MethodConfig` is a *spec*: plain data, hashed into every result so that a change of any
setting is visible in provenance and invalidates exactly the cached work it affects.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from generator.hashing import stable_hash


@dataclass(frozen=True)
class MethodConfig:
    # §2.2.1 feature facet: "tokens" (last-layer tokens before ln_post, CLS dropped) or "keys" (ViT only).
    facet: str = "tokens"
    # §2.2.2 foreground: SVD of the L2-normalised batch-stacked features, component index and sign fix.
    foreground_component: int = 1
    foreground_threshold: float = 0.0
    second_component_min_patches: int = 5
    # §2.2.3 dense-CRF refinement (SimpleCRF); used only when requested *and* the library is importable.
    crf: bool = False
    crf_params: tuple = (10.0, 40.0, 13.0, 3.0, 3.0, 5.0)
    # §2.2.4 parts
    n_parts: int = 5
    methods: tuple = ("pca", "kmeans")
    kmeans_iter_limit: int = 500
    # §2.3.1 visual prompts
    prompt_kinds: tuple = ("red", "gray", "blur")
    ellipse_thickness: int = 1
    blur_kernel: int = 11
    # §2.3.4-7 grounding
    initial_topk: int = 500
    relevance_filter: bool = True
    mean_offset: float = 0.02
    use_ot: bool = True
    ot_scale: float = 2.5
    sinkhorn_lambda: float = 1.0
    sinkhorn_iters: int = 1000
    sinkhorn_tol: float | None = None  # None = always run all iterations (official code)
    topk_per_part: int = 3
    importance_scale: float = 2.5
    # §2.4 language side
    language_topk: int = 50
    # §2.1 prompt for descriptor embeddings
    descriptor_prompt: str = "a photo showing {}"

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, d: dict) -> "MethodConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown method settings: {sorted(unknown)}; known: {sorted(known)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})

    def hash(self) -> str:
        return stable_hash(self.to_dict())


