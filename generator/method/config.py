"""Serialisable hyper-parameters of the method (spec §2; defaults are the paper's / official notebook's).

A :class:`MethodConfig` is a *spec*: plain data, hashed into every result so that a change of any
setting is visible in provenance and invalidates exactly the cached work it affects.

Pool-relative hyper-parameters (:func:`pool_scaled`, docs/method.md): the paper's ``initial_topk`` = 500 and
u = ``language_topk`` = 50 were set for the 4,229-descriptor ImageNet pool. ``pool_scaling`` decides what a run uses:

* ``"none"``: the configured values, whatever the pool (the paper, verbatim);
* ``"ratio"``: scaled to the pool: with r = min(1, N / ``reference_pool_size``) (N = pool size),
  ``topk_per_part`` t -> min(t, max(1, round(t * r))), ``initial_topk`` -> min(k, max(t', round(k * r))) (t' the
  scaled t) and u -> min(u, max(1, round(u * r), round(N / n_classes))) (at least the descriptors of one class);
* ``"auto"`` (default): ``"ratio"`` for pools smaller than ``small_pool_size`` (400) descriptors, ``"none"`` otherwise,
  so the paper's own pools (ImageNet 4,229, Places365 1,806, Food-101 457) keep exactly 500 / 50 / 3.

The 4,229-pool gives exactly 500 / 50 / 3 under every mode; the demo's 111-descriptor, 12-class pool gives
``initial_topk`` 13, u 9 and ``topk_per_part`` 1 (world 1's 75-descriptor pool: 9 / 6 / 1).

Why ``topk_per_part`` too (measured on the demo, docs/method.md choice 23): the paper reads 3 descriptors per part
off the OT plan of a candidate set that the top-500 intersection leaves in the hundreds; on the 111-descriptor pool
the top-13 intersection leaves a median of 7 candidates (45% of images 3 or fewer), so 3 per part x 5 parts takes
them all, every part lists the same descriptors and OT has nothing to choose.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from generator.hashing import stable_hash


@dataclass(frozen=True)
class MethodConfig:
    # §2.2.1 feature facet: "tokens" (last-layer tokens before ln_post, CLS dropped) or "keys" (ViT only).
    facet: str = "tokens"
    # §2.2.2 foreground: a method of generator.method.foreground.FOREGROUND_METHODS; "batch_svd" is the official
    # code (SVD of the L2-normalised batch-stacked features, component index and sign fix).
    foreground_method: str = "batch_svd"
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
    # pool-relative scaling of initial_topk and language_topk (module docstring; pool_scaled())
    pool_scaling: str = "auto"
    reference_pool_size: int = 4229
    small_pool_size: int = 400
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


POOL_SCALING = ("auto", "ratio", "none")


def scaling_applies(cfg: MethodConfig, pool_size: int) -> bool:
    """Whether ``cfg.pool_scaling`` scales for a pool of ``pool_size`` descriptors."""
    if cfg.pool_scaling not in POOL_SCALING:
        raise ValueError(f"unknown pool_scaling {cfg.pool_scaling!r}; choose from {', '.join(POOL_SCALING)}")
    return cfg.pool_scaling == "ratio" or (cfg.pool_scaling == "auto" and pool_size < cfg.small_pool_size)


def effective_topk(cfg: MethodConfig, pool_size: int, n_classes: int) -> dict:
    """The ``initial_topk``, ``language_topk`` and ``topk_per_part`` a run on a pool of ``pool_size`` descriptors and
    ``n_classes`` classes uses (module docstring), with the rule's inputs: ``{"initial_topk", "language_topk",
    "topk_per_part", "scaled", "pool_scaling",
    "pool_size", "n_classes", "ratio"}``. Pure."""
    if pool_size < 1 or n_classes < 1:
        raise ValueError(f"pool size ({pool_size}) and number of classes ({n_classes}) must be >= 1")
    if cfg.reference_pool_size < 1:
        raise ValueError(f"reference_pool_size must be >= 1, got {cfg.reference_pool_size}")
    scaled = scaling_applies(cfg, pool_size)
    r = min(1.0, pool_size / cfg.reference_pool_size)
    k, u, t = cfg.initial_topk, cfg.language_topk, cfg.topk_per_part
    if scaled:
        t = min(t, max(1, round(t * r)))
        k = min(k, max(t, round(k * r)))
        u = min(u, max(1, round(u * r), round(pool_size / n_classes)))
    return {"initial_topk": int(k), "language_topk": int(u), "topk_per_part": int(t), "scaled": scaled,
            "pool_scaling": cfg.pool_scaling, "pool_size": int(pool_size), "n_classes": int(n_classes), "ratio": r}


def pool_scaled(cfg: MethodConfig, pool_size: int, n_classes: int) -> MethodConfig:
    """The config a run executes: ``cfg`` with the effective ``initial_topk`` / ``language_topk`` for the pool and
    ``pool_scaling="none"`` (so it is not scaled twice); ``cfg`` itself when nothing changes and it is not scaled."""
    eff = effective_topk(cfg, pool_size, n_classes)
    if not eff["scaled"]:
        return cfg
    return dataclasses.replace(cfg, initial_topk=eff["initial_topk"], language_topk=eff["language_topk"],
                               topk_per_part=eff["topk_per_part"], pool_scaling="none")


