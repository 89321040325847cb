"""``mkbench compute``: a one-pair suite (:func:`generator.suite.one_pair_suite`) through the suite's path: resolve the
pair once (:mod:`generator.runner.resolve`), plan it (:mod:`generator.runner.plan`), run its unfinished units in this
process (:mod:`generator.runner.work`), merge (:mod:`generator.runner.merge`). Safe to interrupt and rerun: a unit
whose shard holds its key is skipped and the model is loaded only if some unit is left."""
from __future__ import annotations

from typing import Callable, Optional

from generator.hashing import stable_hash
from generator.runner.merge import merge
from generator.runner.plan import plan_pair
from generator.runner.resolve import pair_spec, resolve_pair
from generator.runner.types import ComputeResult, Plan, RunOptions
from generator.runner.work import augment, compute_units, save_hashes
from generator.suite import PairSpec


def pair_of(suite, opts: RunOptions, model: Optional[str] = None) -> PairSpec:
    """The frozen spec of a one-pair suite (its pool is the file the dataset names). ``model``: the architecture
    name given beside a model config (``--model`` with ``--model-config``), which the registry checks against it."""
    from dataclasses import replace
    from pathlib import Path

    (m,), (ds,) = suite.models, suite.datasets
    spec = pair_spec(suite, m, ds, Path(ds.descriptors), opts)
    return replace(spec, model=model) if model and m.model_config else spec


def plan(spec: PairSpec, run_device: Optional[str] = None) -> Plan:
    """Resolve (if it is not) and plan one pair (:func:`generator.runner.plan.plan_pair`)."""
    return plan_pair(resolve_pair(spec), run_device=run_device)


def compute(spec: PairSpec, progress: Callable[[str], None] = lambda msg: None, steps=None) -> ComputeResult:
    """Resolve, plan, run the unfinished units, merge one pair. ``steps``: bars for the long steps
    (:class:`generator.runner.progress.Steps`; None: none)."""
    p = plan(spec)
    save_hashes([p])
    for note in p.dataset.notes:
        progress(f"note: {note}")
    eff = p.method_effective
    if eff.get("scaled"):
        progress(f"pool of {eff['pool_size']} descriptors, {eff['n_classes']} classes: initial_topk "
                 f"{p.requested.initial_topk} -> {eff['initial_topk']}, u {p.requested.language_topk} -> "
                 f"{eff['language_topk']} (pool_scaling {eff['pool_scaling']!r}, docs/method.md)")
    if len(p.pool.descriptors) < p.cfg.language_topk:
        progress(f"note: {p.pool.source} has {len(p.pool.descriptors)} descriptors, fewer than u = "
                 f"{p.cfg.language_topk}: the language side uses all of them")
    shards, computed, engine = compute_units(p, progress, steps)
    augment(p, engine, shards)
    config = p.run_config()
    summary = merge(p.results_dir, p, shards, config_hash=stable_hash(config), config=config)
    progress(f"wrote {p.results_dir}")
    return ComputeResult(p.results_dir, computed, len(p.units) - computed, summary)


ComputeRequest = PairSpec   # the request of compute(): a pair spec (tests and benchmarks build it directly)
