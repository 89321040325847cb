"""Resolve a suite once into frozen per-pair specs (:class:`generator.suite.PairSpec`), before any planning.

Everything that looks outside the suite file happens here, once per model and once per dataset: environment
variables are checked, generated datasets that are missing are written (:mod:`generator.runner.datagen`), descriptor
pools are found or fetched (:mod:`generator.runner.resources`), model names go through the registry, the weights must
be available offline and their identity is hashed. What cannot be resolved is collected as a problem with its fix
(:class:`Resolved`), so a suite says everything that is missing at once. ``mkbench compute`` is a one-pair suite
(:func:`generator.suite.one_pair_suite`) resolved by :func:`resolve_pair`.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

from generator.errors import UserError
from generator.runner.datagen import ensure_dataset
from generator.runner.resources import resolve_pool
from generator.runner.types import RunOptions
from generator.suite import PairSpec

_UNSET_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


def unset_vars(value: Optional[str]) -> list[str]:
    """The environment variables ``value`` names that are not set."""
    return [v for v in _UNSET_VAR.findall(value or "") if v not in os.environ]


def selected(name: str, wanted: tuple, *aliases: str) -> bool:
    return not wanted or any(a in wanted for a in (name, *aliases))


@dataclass
class Resolved:
    """A suite, resolved: ``pairs`` [(model id, dataset name, PairSpec)] in suite order, and what could not be."""
    suite: object
    options: RunOptions
    pairs: list[tuple[str, str, PairSpec]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    n_models: int = 0                          # models that resolved (for "every model" in a dataset's problem)


def pair_spec(suite, model, ds, pool: Path, opts: RunOptions, resolved=None, weights: Optional[str] = None) -> PairSpec:
    """The frozen spec of one (model, dataset) of ``suite`` as the workers get it (device as the suite says);
    ``resolved`` / ``weights``: the registry's ModelSpec of ``model`` and its weights identity, so nothing downstream
    resolves them again."""
    return PairSpec(
        dataset_dir=Path(ds.dir), descriptors=pool, out=Path(opts.out), model=model.name if not model.model_config
        else None, pretrained=model.pretrained, model_config=model.model_config, dataset_name=ds.name,
        class_names=Path(ds.classnames) if ds.classnames else None,
        templates=list(ds.templates) if isinstance(ds.templates, tuple) else ds.templates,
        batch_size=suite.batch_size, seed=suite.seed, device=opts.device or suite.device,
        method=suite.method_config(), overlays_per_class=opts.overlays_per_class, weights_cache=opts.weights_cache,
        precision=suite.precision, feature_cache=opts.feature_cache,
        fail_fast=suite.fail_fast if opts.fail_fast is None else opts.fail_fast,
        evaluations=suite_evaluations(suite) if opts.evaluations is None else opts.evaluations,
        resolved=resolved, weights=weights)


def suite_evaluations(suite):
    """The suite's ``evaluations`` switches as the engine's EvalConfig (None: the defaults, all on)."""
    from generator.runner.evaluations import EvalConfig

    off = getattr(suite, "evaluations", None) or {}
    return EvalConfig(**off) if off else None


def resolve_model(spec: PairSpec):
    """(the registry's ModelSpec, its weights identity) of ``spec``; UserError when the model is unknown or its
    weights are not available offline. Hashes a checkpoint once (remembered by stat signature)."""
    from generator.registry import models as registry

    model = spec.resolved or registry.resolve_model(spec.model, spec.pretrained, spec.model_config)
    weights_file = registry.check_weights(model, spec.weights_cache)   # fail fast, before any work
    return model, spec.weights or registry.weights_identity(model, weights_file, spec.seed)


def resolve_pair(spec: PairSpec) -> PairSpec:
    """``spec`` with its model resolved (``resolved``, ``weights``); a new spec, the caller's is not modified."""
    if spec.resolved is not None and spec.weights is not None:
        return spec
    model, weights = resolve_model(spec)
    return replace(spec, resolved=model, weights=weights)


def resolve_suite(suite, opts: RunOptions, say=lambda msg: None) -> Resolved:
    """Resolve every selected (model, dataset) pair of ``suite``; problems are collected, not raised."""
    out = Resolved(suite, opts)
    pools: dict[str, Path] = {}
    datasets = [d for d in suite.datasets if selected(d.name, opts.datasets)]
    for ds in datasets:
        where = f"{suite.source or suite.name}: dataset {ds.name}"
        missing_vars = sorted(set(unset_vars(ds.dir) + unset_vars(ds.classnames)))
        if missing_vars:
            out.problems.append(f"{where}: environment variable {', '.join(missing_vars)} is not set; set it to "
                                f"the folder holding the data (dir: {ds.dir})")
            continue
        try:
            ensure_dataset(ds.dir, ds.generate, log=say)
            if not Path(ds.dir).is_dir():
                raise UserError(f"folder {ds.dir} not found; put the dataset there (one sub-folder per class) "
                                f"or fix `dir` in the suite")
            pools[ds.name] = resolve_pool(ds.descriptors, where)
        except UserError as e:
            out.problems.append(str(e) if str(e).startswith(where) else f"{where}: {e}")
    models: dict = {}
    for m in suite.models:
        where = f"{suite.source or suite.name}: model {m.name} ({m.pretrained})"
        bare = PairSpec(dataset_dir=Path("."), descriptors=Path("."), out=Path(opts.out),
                        model=None if m.model_config else m.name, pretrained=m.pretrained,
                        model_config=m.model_config, seed=suite.seed, weights_cache=opts.weights_cache)
        try:
            from generator.registry.models import resolve_model as registry_resolve

            spec = registry_resolve(bare.model, bare.pretrained, bare.model_config)
        except UserError as e:
            if selected(m.name, opts.models):
                out.problems.append(f"{where}: {e}")
            continue
        if not selected(spec.id, opts.models, m.name):
            continue
        if spec.id in models:
            raise UserError(f"{suite.source or suite.name}: model {spec.id} is listed twice; remove one")
        try:
            _, weights = resolve_model(replace(bare, resolved=spec))
        except UserError as e:
            out.problems.append(f"{where}: {e}")
            continue
        models[spec.id] = (m, spec, weights)
    out.n_models = len(models)
    for model_id, (m, spec, weights) in models.items():
        for ds in datasets:
            if ds.name in pools:
                out.pairs.append((model_id, ds.name,
                                  pair_spec(suite, m, ds, pools[ds.name], opts, resolved=spec, weights=weights)))
    return out
