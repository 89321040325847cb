"""Suites: serialisable specs of what to compute (models x datasets x methods), loaded from YAML.

A suite is a *spec* (HELM's separation of specs, states and controllers): plain data, validated on
load, hashed into results. The runner turns it into work units; nothing here touches torch.

YAML format (paths are relative to the suite file; ``${MKBENCH_DATA}``-style environment variables
are expanded)::

    name: my-suite
    seed: 0
    device: auto            # auto | cpu | cuda
    precision: amp          # amp (bf16/fp16 autocast of the image tower on CUDA) | fp32; CPU is always fp32
    batch_size: 64          # images per forward pass (a class is still clustered jointly)
    methods: [pca, kmeans]
    method: {}              # overrides of generator.method.config.MethodConfig fields
    models:
      - {name: ViT-B-32, pretrained: openai}
      - {name: my-arch, model_config: configs/my-arch.json, pretrained: ckpt/my-arch.safetensors}
    datasets:
      - name: imagenet
        dir: /data/imagenet/val
        classnames: imagenet_classes.json     # optional folder -> name mapping
        templates: imagenet                   # registry name, or a list of templates with {}
        descriptors: imagenet                 # a known pool name (fetched, sha256-pinned) or a JSON path
      - name: shapes                          # a generated dataset: written to `dir` when it is missing
        dir: data/shapes
        generate: {kind: demo, per_class: 8, seed: 0}
        descriptors: pool.json
    executor:               # how to fan out (see generator.runner); local by default
      kind: local           # local | slurm
      slurm: {partition: gpu, gpus_per_node: 1, timeout_min: 240, cpus_per_task: 8, mem_gb: 64,
              units_per_task: 100}   # classes per array task (a task loads its model once)

Presets (``generator/presets/*.yaml``) are suites shipped with the package: ``demo`` (the default)
and ``paper13`` (the paper's 13 models on ImageNet, Places365 and Food-101).
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import yaml

from .errors import UserError
from .hashing import stable_hash
from .method.config import MethodConfig

PRESET_DIR = Path(__file__).parent / "presets"


@dataclass(frozen=True)
class SuiteModel:
    name: str
    pretrained: str = "none"
    model_config: Optional[str] = None


@dataclass(frozen=True)
class SuiteDataset:
    name: str
    dir: str
    descriptors: str
    templates: Union[str, tuple] = "default"
    classnames: Optional[str] = None
    generate: Optional[dict] = None  # {kind: <generator>, ...its arguments}: write `dir` when missing


@dataclass(frozen=True)
class SlurmSpec:
    partition: Optional[str] = None
    gpus_per_node: int = 1
    cpus_per_task: int = 8
    mem_gb: int = 64
    timeout_min: int = 240
    max_num_timeout: int = 3  # requeues on preemption / timeout
    array_parallelism: int = 32
    units_per_task: int = 100  # work units (classes) per array task; a task loads its model once
    additional: tuple = ()     # extra sbatch lines as [key, value] pairs, e.g. [[account, my-lab]]


@dataclass(frozen=True)
class ExecutorSpec:
    kind: str = "local"
    slurm: SlurmSpec = field(default_factory=SlurmSpec)


@dataclass(frozen=True)
class Suite:
    name: str
    models: tuple
    datasets: tuple
    methods: tuple = ("pca", "kmeans")
    seed: int = 0
    device: str = "auto"
    batch_size: int = 64
    precision: str = "amp"
    method: dict = field(default_factory=dict)
    executor: ExecutorSpec = field(default_factory=ExecutorSpec)
    source: Optional[str] = None  # the file it was read from (not hashed)

    def method_config(self) -> MethodConfig:
        try:
            cfg = MethodConfig.from_dict({**self.method, "methods": list(self.methods)})
        except (TypeError, ValueError) as e:
            raise UserError(f"{self.source or self.name}: bad `method` settings: {e}") from None
        return cfg

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d.pop("source")
        return _plain(d)

    def hash(self) -> str:
        """Hash of what determines results (the name and source file do not)."""
        d = self.to_dict()
        d.pop("name")
        return stable_hash(d)


def _plain(x):
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x


EXECUTOR_KINDS = ("local", "slurm")
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("amp", "fp32")


def list_presets() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def preset_path(name: str) -> Path:
    path = PRESET_DIR / f"{name}.yaml"
    if not path.is_file():
        raise UserError(f"unknown preset {name!r}; presets: {', '.join(list_presets())}, or give a suite YAML file")
    return path


def load_suite(name_or_path: Union[str, os.PathLike, None] = None) -> Suite:
    """Load a suite from a YAML path or a preset name (``demo`` when nothing is given)."""
    target = "demo" if name_or_path is None else str(name_or_path)
    path = Path(target)
    if not (path.suffix in (".yaml", ".yml") or path.is_file()):
        path = preset_path(target)
    if not path.is_file():
        raise UserError(f"{path}: suite file not found; give an existing YAML file or one of the presets: "
                        f"{', '.join(list_presets())}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise UserError(f"{path}: not valid YAML ({e}); fix the file") from None
    return parse_suite(data, base=path.parent, source=str(path))


def _expand(value: Optional[str], base: Path) -> Optional[str]:
    """Expand env vars and ``~``; make a relative path absolute against ``base`` if that names a file/dir or
    looks like a path (has a ``/``; names such as ``imagenet`` or ``openai`` have none)."""
    if value is None:
        return None
    s = os.path.expandvars(os.path.expanduser(str(value)))
    p = Path(s)
    if not p.is_absolute() and ((base / p).exists() or ("/" in s and "$" not in s)):
        return str((base / p).resolve())
    return s


def _expand_always(value: str, base: Path) -> str:
    p = Path(os.path.expandvars(os.path.expanduser(value)))
    return str(p if p.is_absolute() else (base / p).resolve())


def _generate(value, where: str) -> Optional[dict]:
    if value is None:
        return None
    if isinstance(value, str):
        value = {"kind": value}
    if not isinstance(value, dict) or not value.get("kind"):
        raise UserError(f"{where}: `generate` must name a generator, e.g. generate: {{kind: demo, per_class: 8}}")
    return dict(value)


def _require(d: dict, key: str, where: str):
    if key not in d or d[key] in (None, ""):
        raise UserError(f"{where}: missing `{key}`")
    return d[key]


def _known_keys(d: dict, cls, where: str, extra=()) -> None:
    known = {f.name for f in dataclasses.fields(cls)} | set(extra)
    unknown = set(d) - known
    if unknown:
        raise UserError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(known)}")


def parse_suite(data, base: Path = Path("."), source: Optional[str] = None) -> Suite:
    where = source or "suite"
    if not isinstance(data, dict):
        raise UserError(f"{where}: a suite must be a YAML mapping with `models` and `datasets`")
    _known_keys(data, Suite, where)
    models = []
    for i, m in enumerate(data.get("models") or []):
        w = f"{where}: models[{i}]"
        if isinstance(m, str):
            m = {"name": m}
        if not isinstance(m, dict):
            raise UserError(f"{w}: expected a mapping with `name` (and `pretrained`, `model_config`)")
        _known_keys(m, SuiteModel, w)
        models.append(SuiteModel(name=str(_require(m, "name", w)), pretrained=_expand(str(m.get("pretrained", "none")), base),
                                 model_config=_expand(m.get("model_config"), base)))
    datasets = []
    for i, d in enumerate(data.get("datasets") or []):
        w = f"{where}: datasets[{i}]"
        if not isinstance(d, dict):
            raise UserError(f"{w}: expected a mapping with `name`, `dir`, `descriptors`")
        _known_keys(d, SuiteDataset, w)
        templates = d.get("templates", "default")
        templates = tuple(templates) if isinstance(templates, list) else _expand(str(templates), base)
        generate = _generate(d.get("generate"), w)
        folder = str(_require(d, "dir", w))
        # a generated dataset's folder may not exist yet: it is always relative to the suite file
        folder = _expand(folder, base) if generate is None else _expand_always(folder, base)
        datasets.append(SuiteDataset(name=str(_require(d, "name", w)), dir=folder,
                                     descriptors=_expand(str(_require(d, "descriptors", w)), base),
                                     templates=templates, classnames=_expand(d.get("classnames"), base),
                                     generate=generate))
    if not models:
        raise UserError(f"{where}: no `models` listed")
    if not datasets:
        raise UserError(f"{where}: no `datasets` listed")
    names = [d.name for d in datasets]
    if len(set(names)) != len(names):
        raise UserError(f"{where}: dataset names must be unique, got {names}")
    ex = data.get("executor") or {}
    if not isinstance(ex, dict):
        raise UserError(f"{where}: `executor` must be a mapping")
    _known_keys(ex, ExecutorSpec, f"{where}: executor")
    kind = ex.get("kind", "local")
    if kind not in EXECUTOR_KINDS:
        raise UserError(f"{where}: executor kind {kind!r} unknown; use one of {EXECUTOR_KINDS}")
    slurm = ex.get("slurm") or {}
    _known_keys(slurm, SlurmSpec, f"{where}: executor.slurm")
    slurm = SlurmSpec(**{k: tuple(tuple(x) if isinstance(x, list) else x for x in v) if isinstance(v, list) else v
                         for k, v in slurm.items()})
    if slurm.units_per_task < 1:
        raise UserError(f"{where}: executor.slurm.units_per_task must be at least 1")
    device = str(data.get("device", "auto"))
    if device not in DEVICES:
        raise UserError(f"{where}: device {device!r} unknown; use one of {DEVICES}")
    precision = str(data.get("precision", "amp"))
    if precision not in PRECISIONS:
        raise UserError(f"{where}: precision {precision!r} unknown; use one of {PRECISIONS}")
    methods = tuple(data.get("methods") or ("pca", "kmeans"))
    method = dict(data.get("method") or {})
    suite = Suite(name=str(data.get("name") or Path(where).stem), models=tuple(models), datasets=tuple(datasets),
                  methods=methods, seed=int(data.get("seed", 0)), device=device,
                  batch_size=int(data.get("batch_size", 64)), precision=precision, method=method,
                  executor=ExecutorSpec(kind=kind, slurm=slurm), source=source)
    suite.method_config()  # validate early
    return suite
