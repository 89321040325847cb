"""Run a suite (models x datasets x methods) on top of the resumable engine of :mod:`generator.runner.compute`.

1. :func:`plan_suite` checks everything before any work and says at once what is missing (data folders, unset
   environment variables, weights not available offline, descriptor pools), writes generated datasets that are
   missing, and plans every (model, dataset) pair into work units (one per class, keyed by a hash of everything that
   determines its result; :mod:`generator.runner.units`). A unit whose shard file exists is done.
2. :func:`make_tasks` groups the pending units into :class:`Task` s: one model each (so a worker loads the model
   once and reuses it across datasets), all of a model's units for the local executor, ``units_per_task`` of them
   for a SLURM array task.
3. An executor (:mod:`generator.runner.executors`) runs the tasks with :func:`execute`, which writes each unit's
   shard atomically; a killed run therefore resumes where it stopped, and a rerun skips finished units.
4. :func:`merge_all` writes ``OUT/<dataset>/<model-id>/`` from the shards in unit order (deterministic, whichever
   executor or worker computed them), skipping pairs whose shards have not changed since their last merge.
"""
from __future__ import annotations

import json
import logging
import os
import re
import time
import traceback
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Optional

from generator.errors import StopRun, UserError
from generator.hashing import stable_hash
from generator.results.io import write_json
from generator.runner import compute as engine
from generator.runner.datagen import ensure_dataset
from generator.runner.merge import merge
from generator.runner.resources import resolve_pool, resource_error
from generator.runner.shards import SHARDS_DIR, is_done, read_shard, shard_path
from generator.suite import PairSpec

log = logging.getLogger("mkbench.run")

# --------------------------------------------------------------------------------------------- options and plan


@dataclass
class RunOptions:
    out: Path = Path("results")
    executor: Optional[str] = None            # None: the suite's executor kind
    workers: Optional[int] = None             # local executor: processes (default: one per visible GPU, else 1)
    cluster: str = "slurm"                    # submitit backend of the slurm executor: slurm | local | debug
    device: Optional[str] = None              # overrides the suite's device
    models: tuple = ()                        # only these model ids (or suite names)
    datasets: tuple = ()                      # only these datasets
    max_units: Optional[int] = None           # only the first N classes of each dataset (a sample; not merged)
    keep_going: bool = False                  # run what can run when some pairs cannot be planned
    overlays_per_class: int = 4
    weights_cache: Optional[str] = None
    feature_cache: bool = True                # reuse image features from OUT/.cache/features
    fail_fast: Optional[bool] = None          # stop at the first unreadable image (None: the suite's fail_fast)


@dataclass
class Pair:
    """One (model, dataset) of the suite, planned."""
    model_id: str
    dataset: str
    request: PairSpec                          # as the workers get it (device as the suite says)
    plan: engine.Plan                          # planned here (device resolved for this machine)
    units: list                                # the selected WorkUnits, in order
    done: set = field(default_factory=set)     # keys whose shard existed before the run

    @property
    def pending(self) -> list:
        return [u for u in self.units if u.key not in self.done]

    @property
    def complete_selection(self) -> bool:
        return len(self.units) == len(self.plan.units)


@dataclass
class SuitePlan:
    suite: object
    options: RunOptions
    pairs: list[Pair]
    problems: list[str] = field(default_factory=list)   # what could not be planned (with the fix)

    @property
    def n_units(self) -> int:
        return sum(len(p.units) for p in self.pairs)

    @property
    def n_pending(self) -> int:
        return sum(len(p.pending) for p in self.pairs)

    @property
    def notes(self) -> list[str]:
        """What the dataset scans left out (hidden folders, non-image files), once per dataset."""
        return list(dict.fromkeys(n for p in self.pairs for n in p.plan.dataset.notes))

    def pair(self, model_id: str, dataset: str) -> Pair:
        return next(p for p in self.pairs if p.model_id == model_id and p.dataset == dataset)


_UNSET_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


def _unset_vars(value: Optional[str]) -> list[str]:
    return [v for v in _UNSET_VAR.findall(value or "") if v not in os.environ]


def pair_spec(suite, model, ds, pool: Path, opts: RunOptions, resolved=None) -> PairSpec:
    """The resolved, frozen spec of one (model, dataset) of ``suite`` as the workers get it (device as the suite
    says); ``resolved``: the registry's ModelSpec of ``model``, so nothing downstream resolves it again."""
    return PairSpec(
        dataset_dir=Path(ds.dir), descriptors=pool, out=Path(opts.out), model=model.name if not model.model_config
        else None, pretrained=model.pretrained, model_config=model.model_config, dataset_name=ds.name,
        class_names=Path(ds.classnames) if ds.classnames else None,
        templates=list(ds.templates) if isinstance(ds.templates, tuple) else ds.templates,
        batch_size=suite.batch_size, seed=suite.seed, device=opts.device or suite.device,
        method=suite.method_config(), overlays_per_class=opts.overlays_per_class, weights_cache=opts.weights_cache,
        precision=suite.precision, feature_cache=opts.feature_cache,
        fail_fast=suite.fail_fast if opts.fail_fast is None else opts.fail_fast, resolved=resolved,
        evaluations=suite_evaluations(suite))


def suite_evaluations(suite):
    """The suite's ``evaluations`` switches as the engine's EvalConfig (None: the defaults, all on)."""
    from generator.runner.evaluations import EvalConfig

    off = getattr(suite, "evaluations", None) or {}
    return EvalConfig(**off) if off else None


def _slurm_device(suite, opts: RunOptions) -> Optional[str]:
    """The device SLURM array tasks will run on (the planner may have no GPU; it decides the precision in the
    unit keys); None for the local executor, which plans on the machine it runs on."""
    if (opts.executor or suite.executor.kind) != "slurm":
        return None
    device = opts.device or suite.device
    if opts.cluster == "slurm":   # tasks get suite.executor.slurm.gpus_per_node GPUs
        return "cpu" if device == "cpu" or suite.executor.slurm.gpus_per_node < 1 else "cuda"
    import torch                  # submitit's local/debug backends run on this machine

    return "cuda" if device == "cuda" or (device == "auto" and torch.cuda.is_available()) else "cpu"


def _resolve_model(model):
    from generator.registry.models import resolve_model

    return resolve_model(None if model.model_config else model.name, model.pretrained, model.model_config)


def _selected(name: str, wanted: tuple, *aliases: str) -> bool:
    return not wanted or any(a in wanted for a in (name, *aliases))


def plan_suite(suite, opts: RunOptions, say=lambda msg: None) -> SuitePlan:
    """Plan every selected (model, dataset) pair; problems are collected, not raised (see :func:`require_plan`)."""
    problems: list[str] = []
    pools: dict[str, Path] = {}
    datasets = [d for d in suite.datasets if _selected(d.name, opts.datasets)]
    for ds in datasets:
        where = f"{suite.source or suite.name}: dataset {ds.name}"
        missing_vars = sorted(set(_unset_vars(ds.dir) + _unset_vars(ds.classnames)))
        if missing_vars:
            problems.append(f"{where}: environment variable {', '.join(missing_vars)} is not set; set it to the "
                            f"folder holding the data (dir: {ds.dir})")
            continue
        try:
            ensure_dataset(ds.dir, ds.generate, log=say)
            if not Path(ds.dir).is_dir():
                raise UserError(f"folder {ds.dir} not found; put the dataset there (one sub-folder per class) "
                                f"or fix `dir` in the suite")
            pools[ds.name] = resolve_pool(ds.descriptors, where)
        except UserError as e:
            problems.append(str(e) if str(e).startswith(where) else f"{where}: {e}")
    from generator.registry.models import check_weights

    specs = {}
    for m in suite.models:
        where = f"{suite.source or suite.name}: model {m.name} ({m.pretrained})"
        try:
            spec = _resolve_model(m)
        except UserError as e:
            if _selected(m.name, opts.models):
                problems.append(f"{where}: {e}")
            continue
        if not _selected(spec.id, opts.models, m.name):
            continue
        if spec.id in specs:
            raise UserError(f"{suite.source or suite.name}: model {spec.id} is listed twice; remove one")
        try:
            check_weights(spec, opts.weights_cache)
        except UserError as e:
            problems.append(f"{where}: {e}")
            continue
        specs[spec.id] = (m, spec)
    plan_device = "cpu" if (opts.executor or suite.executor.kind) == "slurm" else (opts.device or suite.device)
    run_device = _slurm_device(suite, opts)
    pairs, failed = [], {}   # failed: (dataset, message) -> model ids, so a dataset's problem is said once
    memo: dict = {}          # each dataset scanned and each pool read once for all models (engine.plan)
    for model_id, (m, resolved) in specs.items():
        for ds in datasets:
            if ds.name not in pools:
                continue
            req = pair_spec(suite, m, ds, pools[ds.name], opts, resolved=resolved)
            try:
                p = engine.plan(replace(req, device=plan_device), run_device=run_device, memo=memo)
            except UserError as e:
                failed.setdefault((ds.name, str(e)), []).append(model_id)
                continue
            units = p.units[:opts.max_units] if opts.max_units else list(p.units)
            done = {u.key for u in units if is_done(shard_path(opts.out, u), u.key)}
            pairs.append(Pair(model_id, ds.name, req, p, units, done))
    for (ds_name, msg), ids in failed.items():
        who = "every model" if len(ids) == len(specs) and len(ids) > 1 else ", ".join(ids)
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


# ------------------------------------------------------------------------------------------------ tasks (work)


@dataclass
class WorkItem:
    request: PairSpec
    keys: tuple


@dataclass
class Task:
    """Units of one model (in suite order), run by one worker that loads the model once."""
    model_id: str
    items: list[WorkItem]
    device: Optional[str] = None               # a worker's device (e.g. cuda:1), overriding the requests'

    @property
    def n_units(self) -> int:
        return sum(len(i.keys) for i in self.items)


class Status(str, Enum):
    """What happened to a work unit in a run (a str, so reports and logs keep the plain words)."""
    COMPUTED = "computed"   # explained and its shard written in this run
    SKIPPED = "skipped"     # its shard was there already
    FAILED = "failed"       # an error (kept in Outcome.error); the other units still ran

    __str__ = str.__str__
    __format__ = str.__format__


@dataclass
class Outcome:
    model_id: str
    dataset: str
    key: str
    name: str                                  # class folder
    status: Status
    seconds: float = 0.0
    error: Optional[str] = None
    device: Optional[str] = None


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


class Events:
    """What a worker reports while it runs (no-op here; see :mod:`generator.runner.progress`)."""

    def message(self, text: str) -> None: ...

    def unit_started(self, model_id: str, dataset: str, unit) -> None: ...

    def unit_finished(self, outcome: Outcome) -> None: ...

    def unit_done_elsewhere(self, model_id: str, dataset: str, name: str) -> None:
        """A worker in another process wrote this unit's shard (it logs the unit itself)."""


class PrintEvents(Events):
    """For workers in other processes (SLURM, local GPU workers): lines on stdout, which submitit keeps."""

    def message(self, text):
        print(text, flush=True)

    def unit_finished(self, o):
        extra = f": {o.error}" if o.error else ""
        print(f"[{o.model_id} / {o.dataset}] {o.name}: {o.status} ({o.seconds:.1f}s){extra}", flush=True)


class LogEvents(Events):
    """For local worker processes: into the run's log file (the parent process draws the progress bars)."""

    def message(self, text):
        log.info(text)

    def unit_finished(self, o):
        extra = f": {o.error}" if o.error else ""
        (log.warning if o.status is Status.FAILED else log.info)(
            f"{o.model_id} / {o.dataset} / {o.name}: {o.status} ({o.seconds:.2f}s){extra}")


def execute(task: Task, events: Events = Events(), plans: Optional[dict] = None) -> list[Outcome]:
    """Run a task's units; a unit that fails is recorded and the next one runs. ``plans`` ({(model_id, dataset):
    Plan}) skips re-planning in the process that planned the suite."""
    outcomes: list[Outcome] = []
    for item in task.items:
        req = replace(item.request, device=task.device or item.request.device)
        key = (task.model_id, req.dataset_name)
        p = (plans or {}).get(key)
        if p is None or (task.device and p.request.device != task.device):
            try:
                p = engine.plan(req)
            except UserError as e:
                outcomes += [Outcome(task.model_id, req.dataset_name, k, "?", Status.FAILED, error=str(e))
                             for k in item.keys]
                continue
        outcomes += _run_item(p, task, item.keys, events)
    return outcomes


def _run_item(p: engine.Plan, task: Task, keys, events: Events) -> list[Outcome]:
    by_key = {u.key: u for u in p.units}
    dataset, out = p.dataset.name, []
    eng, load_error = None, None
    for k in keys:
        unit = by_key.get(k)
        if unit is None:
            out.append(Outcome(task.model_id, dataset, k, "?", Status.FAILED,
                               error="the dataset or settings changed since the run was planned; run again"))
            continue
        events.unit_started(task.model_id, dataset, unit)
        t0 = time.perf_counter()
        o = Outcome(task.model_id, dataset, k, unit.folder, Status.SKIPPED, device=p.request.device)
        if read_shard(shard_path(p.request.out, unit), unit.key) is None:
            try:
                if load_error:
                    raise UserError(load_error)
                if eng is None:
                    try:
                        loaded = engine.load_model_once(p, events.message, getattr(events, "steps", None))
                    except Exception as e:  # noqa: BLE001 - reported per unit, the run goes on
                        load_error = f"model {task.model_id} could not be loaded: {e}"
                        raise UserError(load_error) from None
                    eng = engine.Engine(p, events.message, loaded=loaded, steps=getattr(events, "steps", None))
                engine.run_unit(p, unit, eng)
                o.status = Status.COMPUTED
            except StopRun:
                raise
            except OSError as e:
                stop = resource_error(e, p.request.out)
                if stop is not None:
                    raise stop from None
                o.status, o.error = Status.FAILED, f"{type(e).__name__}: {e}"
                log.debug("unit %s / %s / %s failed:\n%s", task.model_id, dataset, unit.folder, traceback.format_exc())
            except Exception as e:  # noqa: BLE001 - a failed unit is reported, the others still run
                o.status, o.error = Status.FAILED, f"{type(e).__name__}: {e}" if not isinstance(e, UserError) else str(e)
                log.debug("unit %s / %s / %s failed:\n%s", task.model_id, dataset, unit.folder, traceback.format_exc())
        o.seconds = time.perf_counter() - t0
        events.unit_finished(o)
        out.append(o)
    return out


# ------------------------------------------------------------------------------------------------------ merge

MERGED_MARK = "merged.json"


@dataclass
class PairResult:
    model_id: str
    dataset: str
    total: int
    computed: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0                       # time spent computing this run
    merged: str = "no"                         # written | up to date | sample (not merged) | incomplete | no
    results_dir: Optional[str] = None
    bad_images: list = field(default_factory=list)   # [{class, image, reason}] skipped as unreadable

    def add(self, o: Outcome) -> None:
        """Count a unit's outcome."""
        self.seconds += o.seconds
        self.computed += o.status is Status.COMPUTED
        self.skipped += o.status is Status.SKIPPED
        self.failed += o.status is Status.FAILED


def _mark_path(pair: Pair) -> Path:
    return Path(pair.request.out) / SHARDS_DIR / pair.dataset / pair.model_id / MERGED_MARK


def merge_pair(pair: Pair, device: Optional[str] = None) -> str:
    """Merge ``pair``'s shards into its result files; returns how (see :attr:`PairResult.merged`)."""
    if not pair.complete_selection:
        return "sample (not merged)"
    p = pair.plan
    shards = []
    for unit in p.units:
        s = read_shard(shard_path(pair.request.out, unit), unit.key)
        if s is None:
            return "incomplete"
        shards.append(s)
    config = p.run_config()
    mark = {"config_hash": stable_hash(config), "units": stable_hash([u.key for u in p.units])}
    files = [p.results_dir / f for f in ("images.jsonl", "classes.json", "summary.json")]
    try:
        if json.loads(_mark_path(pair).read_text()) == mark and all(f.is_file() for f in files):
            return "up to date"
    except (OSError, ValueError):
        pass
    plan = replace(p, request=replace(p.request, device=device or p.request.device))
    merge(p.results_dir, plan, shards, config_hash=mark["config_hash"], config=config)
    write_json(_mark_path(pair), mark)
    return "written"


def _bad_images(pair: Pair) -> list[dict]:
    """The images the finished units of ``pair`` skipped as unreadable (from their shards)."""
    out = []
    for unit in pair.units:
        s = read_shard(shard_path(pair.request.out, unit), unit.key)
        for x in (s["class"].skipped if s else []):
            out.append({"class": unit.folder, "image": x.image, "reason": x.reason})
    return out


def merge_all(sp: SuitePlan, outcomes: list[Outcome]) -> list[PairResult]:
    """Tally the outcomes per pair (a pending unit with no outcome but a shard now counts as computed, one
    without a shard as failed) and merge every pair whose units are all done."""
    results = []
    for pair in sp.pairs:
        mine = {o.key: o for o in outcomes if o.model_id == pair.model_id and o.dataset == pair.dataset}
        r = PairResult(pair.model_id, pair.dataset, total=len(pair.units), skipped=len(pair.done))
        devices = [o.device for o in mine.values() if o.status is Status.COMPUTED and o.device]
        for unit in pair.pending:
            o = mine.get(unit.key)
            has_shard = is_done(shard_path(pair.request.out, unit), unit.key)
            if o is None:
                o = Outcome(pair.model_id, pair.dataset, unit.key, unit.folder,
                            Status.COMPUTED if has_shard else Status.FAILED,
                            error=None if has_shard else "no result: the worker did not finish it (see the logs)")
                outcomes.append(o)
            r.add(o)
        r.merged = merge_pair(pair, device=max(set(devices), key=devices.count) if devices else None)
        if r.merged == "incomplete":   # a shard counted as done is gone (the output folder changed under the run)
            failed = {o.key for o in outcomes if o.model_id == pair.model_id and o.dataset == pair.dataset
                      and o.status is Status.FAILED}
            for unit in pair.units:
                if unit.key not in failed and not is_done(shard_path(pair.request.out, unit), unit.key):
                    r.failed += 1
                    outcomes.append(Outcome(pair.model_id, pair.dataset, unit.key, unit.folder, Status.FAILED,
                                            error="its result vanished from the output folder during the run; "
                                                  "rerun to recompute it"))
        r.bad_images = _bad_images(pair)
        r.results_dir = str(pair.plan.results_dir) if r.merged in ("written", "up to date") else None
        results.append(r)
    return results
