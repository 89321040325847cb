"""The runner's one model loader (:func:`load_model_once`): ``mkbench compute``, suite workers, SLURM tasks
(:mod:`generator.runner.work`) and the random-weights baseline (:mod:`generator.runner.evaluations`) all load their
model here, so a process holds at most one trained model and its random-weights twin."""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from generator.registry import models as model_registry
from generator.runner.device import apply_precision

_LOADED: dict = {}   # the models this process holds, by role: {"model" | "twin": ((spec, device, seed, cache), LoadedModel)}


def twin_spec(spec):
    """The random-weights twin of ``spec``: its architecture with ``pretrained = none`` (seeded by the run's seed)."""
    return replace(spec, pretrained=model_registry.UNTRAINED, paper_key=None)


def load_model_once(p, say: Callable[[str], None] = lambda m: None, steps=None, role: str = "model"):
    """The model of ``p``, loaded once per process and reused across datasets and tasks of that model (the one model
    loader of the runner: ``mkbench compute``, suite workers, SLURM tasks and the random-weights baseline all come
    here). ``role="twin"`` loads the random-weights twin of ``p.spec`` (:func:`twin_spec`, seeded by ``p``'s seed)
    next to the trained model; loading another trained model frees both first. Mixed precision is applied as
    ``p.request.precision`` asks (CPU: fp32). ``p``: a :class:`generator.runner.types.Plan` (its ``spec`` and
    ``request``); ``steps``: where the loading step is shown (None: nowhere)."""
    req = p.request
    twin = role == "twin"
    spec = twin_spec(p.spec) if twin else p.spec
    cache = None if twin else req.weights_cache      # a random init reads no weights (as before the merge of loaders)
    key = (spec, req.device, req.seed, cache)
    held = _LOADED.get(role)
    if held is None or held[0] != key:
        if twin:
            _LOADED.pop(role, None)
        else:
            _LOADED.clear()
        _free_cuda()
        say(f"random-weights baseline: building {p.spec.model} with random weights (seed {req.seed})" if twin
            else f"loading model {spec.id} on {req.device}")
        step = steps.start(f"loading model {spec.id}") if steps is not None else None
        try:
            held = _LOADED[role] = (key, model_registry.load_model(spec, device=req.device, seed=req.seed,
                                                                   cache_dir=cache))
        finally:
            if step is not None:
                step.finish()
    loaded = held[1]
    if apply_precision(loaded, req.device, req.precision) and not twin:
        say(f"{spec.id}: mixed precision on {req.device}")
    return loaded


def _free_cuda() -> None:
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()
