"""Planning: resolved, frozen pair specs in (:mod:`generator.runner.resolve`), plans out. Pure: it scans folders,
reads the descriptor pools, hashes images and stats shard files, and writes nothing (the image-hash memo it fills is
saved by the worker, :func:`generator.runner.work.save_hashes`); its inputs are never modified.

1. :func:`plan_pair` checks one pair (batch size, dataset folder, class names, templates, descriptor pool, method
   settings, device) and lists its work units, one per class, keyed by a hash of everything that determines its
   result (:mod:`generator.runner.units`).
2. :func:`plan_suite` plans every resolved pair of a suite, scanning each dataset and reading each pool once for all
   models; a unit whose shard exists is done. Problems are collected with their fix (:func:`require_plan`).
3. :func:`make_tasks` groups the pending units into :class:`~generator.runner.types.Task` s for the executors: one
   model each (so a worker loads the model once), all of a model's units for the local executor,
   ``units_per_task`` of them for a SLURM array task.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, Optional

from generator.errors import UserError
from generator.method.config import MethodConfig, effective_topk, pool_scaled
from generator.registry import datasets as ds_registry
from generator.registry.descriptors import load_pool
from generator.runner.device import effective_precision, resolve_device
from generator.runner.resolve import Resolved
from generator.runner.shards import is_done, shard_path
from generator.runner.types import Pair, Plan, SuitePlan, Task, WorkItem
from generator.runner.units import class_files, image_hashes, make_units
from generator.suite import PairSpec


def _check_method(cfg: MethodConfig) -> None:
    from generator.method.foreground import FOREGROUND_METHODS
    from generator.method.parts import PART_METHODS

    unknown = [m for m in cfg.methods if m not in PART_METHODS]
    if unknown or not cfg.methods:
        raise UserError(f"unknown part method(s) {unknown}; choose from {', '.join(sorted(PART_METHODS))} "
                        "(e.g. --methods pca,kmeans)")
    if cfg.foreground_method not in FOREGROUND_METHODS:
        raise UserError(f"unknown foreground_method {cfg.foreground_method!r}; choose from "
                        f"{', '.join(sorted(FOREGROUND_METHODS))} (suite `method: {{foreground_method: ...}}`)")


def _memo(memo: Optional[dict], key: tuple, make: Callable):
    """``make()``, or the value ``memo`` holds for ``key`` (no memo: always ``make()``)."""
    if memo is None:
        return make()
    if key not in memo:
        memo[key] = make()
    return memo[key]


def plan_pair(req: PairSpec, run_device: Optional[str] = None, memo: Optional[dict] = None) -> Plan:
    """Validate a resolved pair (:func:`generator.runner.resolve.resolve_pair`) and list its work units (no model is
    built, no image decoded, no file written). ``run_device``: the device the units will run on when not this
    machine's (a SLURM planner); it decides the effective precision. ``memo``: a dict shared by the plans of one suite,
    so a dataset is scanned (and its files hashed) and a descriptor pool read once for all models."""
    if req.resolved is None or req.weights is None:
        raise ValueError("plan_pair takes a resolved PairSpec (generator.runner.resolve.resolve_pair)")
    if req.batch_size < 1:
        raise UserError(f"--batch-size {req.batch_size}: must be at least 1")
    dataset = _memo(memo, ("dataset", str(req.dataset_dir), req.dataset_name, str(req.class_names)),
                    lambda: ds_registry.scan_image_folder(req.dataset_dir, name=req.dataset_name,
                                                          class_names=req.class_names))
    templates_name, templates = ds_registry.resolve_templates(req.templates)
    pool = _memo(memo, ("pool", str(req.descriptors)), lambda: load_pool(req.descriptors))
    requested = req.method if req.methods is None else replace(req.method, methods=tuple(req.methods))
    _check_method(requested)
    try:  # pool-relative initial_topk / language_topk (generator.method.config, docs/method.md)
        effective = effective_topk(requested, len(pool.descriptors), len(dataset.classes))
    except ValueError as e:
        raise UserError(f"bad method settings: {e}") from None
    cfg = pool_scaled(requested, len(pool.descriptors), len(dataset.classes))
    req = replace(req, device=resolve_device(req.device))   # a new request: the caller's is never modified
    precision = effective_precision(run_device or req.device, req.precision)
    hashes = _memo(memo, ("hashes", id(dataset)), lambda: image_hashes(dataset))
    files = _memo(memo, ("files", id(dataset)), lambda: class_files(dataset, hashes))
    units = make_units(dataset, req.resolved.id, req.weights, pool.sha256, templates, cfg, req.seed,
                       req.overlays_per_class, precision=precision, files=files)
    return Plan(req, dataset, templates_name, templates, pool, req.resolved, req.weights, cfg, units, precision,
                requested=requested, method_effective=effective, hashes=hashes)


def _slurm_device(suite, opts) -> Optional[str]:
    """The device SLURM array tasks will run on (the planner may have no GPU; it decides the precision in the
    unit keys); None for the local executor, which plans on the machine it runs on."""
    if (opts.executor or suite.executor.kind) != "slurm":
        return None
    device = opts.device or suite.device
    if opts.cluster == "slurm":   # tasks get suite.executor.slurm.gpus_per_node GPUs
        return "cpu" if device == "cpu" or suite.executor.slurm.gpus_per_node < 1 else "cuda"
    import torch                  # submitit's local/debug backends run on this machine

    return "cuda" if device == "cuda" or (device == "auto" and torch.cuda.is_available()) else "cpu"


def plan_suite(resolved: Resolved) -> SuitePlan:
    """Plan every resolved pair of a suite; problems are collected, not raised (see :func:`require_plan`)."""
    suite, opts = resolved.suite, resolved.options
    problems = list(resolved.problems)
    plan_device = "cpu" if (opts.executor or suite.executor.kind) == "slurm" else (opts.device or suite.device)
    run_device = _slurm_device(suite, opts)
    pairs, failed = [], {}   # failed: (dataset, message) -> model ids, so a dataset's problem is said once
    memo: dict = {}          # each dataset scanned and each pool read once for all models
    for model_id, ds_name, req in resolved.pairs:
        try:
            p = plan_pair(replace(req, device=plan_device), run_device=run_device, memo=memo)
        except UserError as e:
            failed.setdefault((ds_name, str(e)), []).append(model_id)
            continue
        units = p.units[:opts.max_units] if opts.max_units else list(p.units)
        done = {u.key for u in units if is_done(shard_path(opts.out, u), u.key)}
        pairs.append(Pair(model_id, ds_name, req, p, units, done))
    for (ds_name, msg), ids in failed.items():
        who = "every model" if len(ids) == resolved.n_models and len(ids) > 1 else ", ".join(ids)
        problems.append(f"{suite.source or suite.name}: dataset {ds_name} with {who}: {msg}")
    if not pairs and not problems:
        problems.append("nothing selected: check --model / --dataset against the suite's models and datasets")
    return SuitePlan(suite, opts, pairs, list(dict.fromkeys(problems)))


def require_plan(sp: SuitePlan) -> None:
    """UserError listing every problem unless ``--keep-going`` and something can run."""
    if sp.problems and not (sp.options.keep_going and sp.pairs):
        from generator.suite import PRESET_DIR

        source = sp.suite.source
        name = source if source and Path(source).parent != PRESET_DIR else sp.suite.name
        hint = (f"\n`mkbench models --suite {name}` and `mkbench datasets {name}` show what is here; docs/cluster.md "
                "says how to provide the paper's weights and data")
        hint += "" if sp.options.keep_going else "\n(--keep-going runs what can run and reports the rest)"
        raise UserError(f"suite {sp.suite.name} cannot run as it is:\n  - " + "\n  - ".join(sp.problems) + hint)


def make_tasks(sp: SuitePlan, units_per_task: Optional[int] = None) -> list[Task]:
    """One task per model (``units_per_task=None``) or chunks of at most ``units_per_task`` pending units."""
    by_model: dict[str, list[tuple[Pair, object]]] = {}
    for pair in sp.pairs:
        by_model.setdefault(pair.model_id, []).extend((pair, u) for u in pair.pending)
    tasks = []
    for model_id, units in by_model.items():
        size = units_per_task or max(len(units), 1)
        for start in range(0, len(units), size):
            items: list[WorkItem] = []
            for pair, unit in units[start:start + size]:
                if items and items[-1].request is pair.request:
                    items[-1].keys += (unit.key,)
                else:
                    items.append(WorkItem(pair.request, (unit.key,)))
            tasks.append(Task(model_id, items))
    return tasks
