"""The runner's shared types, in the order the data meets them: the run's options, the plan of a pair and of a
suite (:mod:`generator.runner.plan`), the tasks and the outcome of each unit (:mod:`generator.runner.work`), and the
result of merging a pair (:mod:`generator.runner.merge`). Plain data: nothing here reads or writes a file."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from generator.hashing import short_name
from generator.runner.evaluations import eval_config
from generator.suite import PairSpec

if TYPE_CHECKING:
    from generator.method.config import MethodConfig
    from generator.registry.datasets import ImageFolder
    from generator.registry.models import ModelSpec
    from generator.runner.units import WorkUnit


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
    evaluations: Optional[object] = None      # runner.evaluations.EvalConfig (None: all on); False: off


@dataclass
class Plan:
    """One resolved pair, planned: its dataset scanned, its pool read, its work units keyed."""
    request: PairSpec
    dataset: "ImageFolder"
    templates_name: str
    templates: list[str]
    pool: Any                     # registry.descriptors.DescriptorPool
    spec: "ModelSpec"
    weights: str                  # weights identity
    cfg: "MethodConfig"
    units: list["WorkUnit"]
    precision: str = "fp32"       # effective precision of the image tower (in the unit keys)
    requested: Optional["MethodConfig"] = None   # the method settings as given; ``cfg`` is what runs (pool-scaled)
    method_effective: dict = field(default_factory=dict)  # method.config.effective_topk of this pool and dataset
    hashes: Any = None            # the hashing.HashCache of the images' sha256 (saved by the worker, not the planner)

    @property
    def results_dir(self) -> Path:
        return Path(self.request.out) / short_name(self.dataset.name) / short_name(self.spec.id)

    def run_config(self) -> dict:
        """Everything that determines the results (hashed into ``config_hash``)."""
        ev = eval_config(self.request.evaluations)
        return {"model": {**self.spec.to_dict(), "id": self.spec.id, "weights": self.weights},
                "dataset": {"name": self.dataset.name, "classes": self.dataset.classnames},
                "templates": {"name": self.templates_name, "templates": self.templates},
                "descriptors": {"sha256": self.pool.sha256, "n": len(self.pool.descriptors)},
                "method": (self.requested or self.cfg).to_dict(), "method_effective": self.method_effective,
                "seed": self.request.seed, "precision": self.precision,
                "overlays_per_class": self.request.overlays_per_class,
                **({} if ev is None else {"evaluations": ev.to_dict()})}


@dataclass
class Pair:
    """One (model, dataset) of the suite, planned."""
    model_id: str
    dataset: str
    request: PairSpec                          # as the workers get it (device as the suite says)
    plan: Plan                                 # planned here (device resolved for this machine)
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


class Events:
    """What a worker reports while it runs (no-op here; see :mod:`generator.runner.progress`)."""

    def message(self, text: str) -> None: ...

    def unit_started(self, model_id: str, dataset: str, unit) -> None: ...

    def unit_finished(self, outcome: Outcome) -> None: ...

    def unit_done_elsewhere(self, model_id: str, dataset: str, name: str) -> None:
        """A worker in another process wrote this unit's shard (it logs the unit itself)."""


def main_device(pair: Pair, outcomes: list[Outcome]) -> Optional[str]:
    """The device most of ``pair``'s units computed in this run ran on (None when none was)."""
    devices = [o.device for o in outcomes if o.model_id == pair.model_id and o.dataset == pair.dataset
               and o.status is Status.COMPUTED and o.device]
    return Counter(devices).most_common(1)[0][0] if devices else None


class Merged(str, Enum):
    """How a pair's result files stand after :func:`generator.runner.merge.merge_pair`."""
    WRITTEN = "written"
    UP_TO_DATE = "up to date"
    SAMPLE = "sample (not merged)"             # --max-units: only some classes ran
    INCOMPLETE = "incomplete"                  # some unit has no shard
    NO = "no"

    __str__ = str.__str__
    __format__ = str.__format__


@dataclass
class PairResult:
    model_id: str
    dataset: str
    total: int
    computed: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0                       # time spent computing this run
    merged: str = Merged.NO                    # a Merged, or for a dry run "dry run: N to compute"
    results_dir: Optional[str] = None
    bad_images: list = field(default_factory=list)   # [{class, image, reason}] skipped as unreadable

    def add(self, o: Outcome) -> None:
        """Count a unit's outcome."""
        self.seconds += o.seconds
        self.computed += o.status is Status.COMPUTED
        self.skipped += o.status is Status.SKIPPED
        self.failed += o.status is Status.FAILED


@dataclass
class ComputeResult:
    """What :func:`generator.runner.compute.compute` (one pair) did."""
    results_dir: Path
    computed: int
    skipped: int
    summary: object               # results.schema.Summary
