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
    fail_fast: false        # true: stop at the first unreadable image (default: skip it and record it)
    evaluations: {}         # the paper's evaluations, all on by default; e.g. {random_weights: false} skips the
                            # random-weights baseline (docs/method.md E10), {quality: false, ...} others
    methods: [pca, kmeans]
    method: {}              # overrides of generator.method.config.MethodConfig fields
    models:
      - {name: ViT-B-32, pretrained: openai}
      - {name: my-arch, model_config: configs/my-arch.json, pretrained: ckpt/my-arch.safetensors}
                            # or `models: paper`: the paper's 13 models (data/paper/models.json, spec §3.1)
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
and ``paper13`` (the paper's 13 models on ImageNet, Places365 and Food-101). A preset's relative paths are
relative to the shipped data folder (``data/`` of the repository), so they hold in a checkout and in a wheel.
"""
from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal, Optional, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator

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
    fail_fast: bool = False       # stop at the first unreadable image instead of skipping and recording it
    evaluations: dict = field(default_factory=dict)   # EvalConfig switches turned off, e.g. {"random_weights": False}
    source: Optional[str] = None  # the file it was read from (not hashed)

    def method_config(self) -> MethodConfig:
        return validate_method(self.method, self.methods, self.source or self.name)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d.pop("source")
        return _plain(d)

    def hash(self) -> str:
        """Hash of what determines results (the name and source file do not)."""
        d = self.to_dict()
        d.pop("name")
        d.pop("fail_fast")
        if not d.get("evaluations"):
            d.pop("evaluations", None)      # suites without the key hash as before
        return stable_hash(d)


@dataclass(frozen=True)
class PairSpec:
    """One (model, dataset) pair, resolved: everything a worker needs to plan and compute it, frozen and picklable
    (it travels to worker processes and SLURM tasks as it is). A suite resolves into these once
    (:func:`generator.runner.resolve.resolve_suite`: model names through the registry into ``resolved`` and
    ``weights``, pools into files); ``mkbench compute`` is a one-pair suite (:func:`one_pair_suite`) resolved the same
    way. The planner, the worker and the merger take it as it is and never modify it.

    What determines results (in the unit keys): the model and its weights, the dataset, ``method`` (with
    ``methods``), ``seed``, ``precision`` (effective: CPU is always fp32) and ``overlays_per_class``. The rest says how
    and where to run."""
    dataset_dir: Path
    descriptors: Path
    out: Path
    model: Optional[str] = None
    pretrained: Optional[str] = None
    model_config: Optional[str] = None
    dataset_name: Optional[str] = None
    class_names: Optional[Path] = None
    templates: Union[str, tuple, list, None] = None
    batch_size: int = 64
    seed: int = 0
    device: str = "cpu"
    methods: Optional[tuple] = None                  # None: the method config's (pca, kmeans)
    method: MethodConfig = field(default_factory=MethodConfig)
    overlays_per_class: int = 4
    text_cache: Optional[Path] = None                # default OUT/.cache/text
    weights_cache: Optional[str] = None              # open_clip / HF cache folder (default: theirs)
    precision: str = "amp"                           # amp | fp32 of the image tower (suite default); CPU: fp32
    feature_cache: bool = True                       # reuse image features: OUT/.cache/features (feature_cache.py)
    loader_workers: Optional[int] = None             # image-decoding processes (None: runner.loading.default_workers)
    fail_fast: bool = False                          # stop at the first unreadable image (default: skip, record)
    evaluations: Optional[object] = None             # runner.evaluations.EvalConfig (None: all on); False: off
    resolved: Optional[object] = None                # registry ModelSpec of (model, pretrained, model_config), if done
    weights: Optional[str] = None                    # its weights identity (registry.models.weights_identity), if done

    def pair_id(self) -> tuple:
        return (getattr(self.resolved, "id", None) or self.model or self.model_config, self.dataset_name)


SUITE_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Suite) if f.default is not dataclasses.MISSING}


def one_pair_suite(*, dataset_dir, descriptors, model: Optional[str] = None, pretrained: Optional[str] = None,
                   model_config: Optional[str] = None, dataset_name: Optional[str] = None, class_names=None,
                   templates=None, methods=None, **settings) -> Suite:
    """The suite of ``mkbench compute``: one model on one dataset, with the suite defaults (:data:`SUITE_DEFAULTS`:
    precision, seed, batch size, part methods, method settings) for whatever is not given. As on the command line,
    ``pretrained=None`` gives a paper model its paper weights, ``dataset_name=None`` names the dataset after its
    folder and ``templates=None`` takes the default templates; ``settings``: ``seed``, ``device``, ``batch_size``,
    ``precision``, ``fail_fast``, ``evaluations`` (switches turned off, as the suite key, e.g.
    ``{"random_weights": False}``)."""
    unknown = set(settings) - {"seed", "device", "batch_size", "precision", "fail_fast", "evaluations"}
    if unknown:
        raise TypeError(f"one_pair_suite: unknown settings {sorted(unknown)}")
    settings = {k: v for k, v in settings.items() if v is not None}
    suite = Suite(name=dataset_name or Path(dataset_dir).name,
                  models=(SuiteModel(name=model or "", pretrained=pretrained, model_config=model_config),),
                  datasets=(SuiteDataset(name=dataset_name, dir=str(dataset_dir), descriptors=str(descriptors),
                                         templates=tuple(templates) if isinstance(templates, list) else templates,
                                         classnames=str(class_names) if class_names else None),),
                  methods=tuple(methods) if methods else SUITE_DEFAULTS["methods"], **settings)
    suite.method_config()  # validate early
    return suite


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
    return parse_suite(data, base=suite_base(path), source=str(path))


def suite_base(path: Path) -> Path:
    """What a suite's relative paths are relative to: the suite file's folder, or for a preset the shipped data
    folder (``data/`` in the repository, ``generator/data`` in a wheel; :mod:`generator.resources`)."""
    if path.resolve().parent == PRESET_DIR.resolve():
        from generator.resources import data_dir

        return data_dir()
    return path.parent


# ------------------------------------------------------------------------------------------- validation (pydantic)
# The YAML is validated by the pydantic models below (types, ranges, unknown keys); a failure becomes one line
# naming the file, the key, the value and the fix (:func:`_one_line`). The validated values then fill the frozen
# dataclasses above, which is what the runner sees.

SEED_MAX = 2**32 - 1  # numpy's and torch's seeds; --seed takes the same range


class _Raw(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


_Name = Annotated[str, Field(min_length=1)]
_PosInt = Annotated[int, Field(ge=1)]
_NonNegInt = Annotated[int, Field(ge=0)]
_Finite = Annotated[float, Field(strict=False, allow_inf_nan=False)]   # an int is fine for a float
_PosFloat = Annotated[float, Field(strict=False, allow_inf_nan=False, gt=0)]


def _as_str(v):
    """Paths and tags may come out of YAML as numbers (``pretrained: 2024``); they are strings."""
    return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


class RawModel(_Raw):
    name: _Name
    pretrained: Optional[str] = "none"
    config_file: Optional[str] = Field(None, alias="model_config")

    @model_validator(mode="before")
    @classmethod
    def _short(cls, v):
        if isinstance(v, str):
            return {"name": v}
        if isinstance(v, dict):
            return {k: _as_str(x) for k, x in v.items()}
        return v


class RawDataset(_Raw):
    name: _Name
    dir: _Name
    descriptors: _Name
    templates: Union[str, list[str]] = "default"
    classnames: Optional[str] = None
    generate: Optional[Union[str, dict]] = None

    @model_validator(mode="before")
    @classmethod
    def _strings(cls, v):
        return {k: _as_str(x) for k, x in v.items()} if isinstance(v, dict) else v


class RawSlurm(_Raw):
    partition: Optional[str] = None
    gpus_per_node: _NonNegInt = 1
    cpus_per_task: _PosInt = 8
    mem_gb: _PosInt = 64
    timeout_min: _PosInt = 240
    max_num_timeout: _NonNegInt = 3
    array_parallelism: _PosInt = 32
    units_per_task: _PosInt = 100
    additional: list[Annotated[list[Union[str, int]], Field(min_length=2, max_length=2)]] = []


class RawExecutor(_Raw):
    kind: Literal["local", "slurm"] = "local"
    slurm: RawSlurm = RawSlurm()

    @field_validator("slurm", mode="before")
    @classmethod
    def _none(cls, v):
        return {} if v is None else v


class RawEvaluations(_Raw):
    """Switches of :class:`generator.runner.evaluations.EvalConfig` (all on by default)."""
    quality: bool = True
    random_parts: bool = True
    text_baselines: bool = True
    random_weights: bool = True
    augmentation: bool = True


class RawSuite(_Raw):
    name: Optional[str] = None
    seed: Annotated[int, Field(ge=0, le=SEED_MAX)] = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    precision: Literal["amp", "fp32"] = "amp"
    batch_size: _PosInt = 64
    fail_fast: bool = False
    methods: Annotated[list[_Name], Field(min_length=1)] = ["pca", "kmeans"]
    method: dict = {}
    models: Annotated[list[RawModel], Field(min_length=1)]
    datasets: Annotated[list[RawDataset], Field(min_length=1)]
    executor: RawExecutor = RawExecutor()
    evaluations: RawEvaluations = RawEvaluations()

    @field_validator("method", "executor", "evaluations", mode="before")
    @classmethod
    def _none(cls, v):
        return {} if v is None else v

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, v):
        return _as_str(v)


# The valid range of each method setting whose Python type alone does not say it. The fields and their defaults come
# from :class:`~generator.method.config.MethodConfig` (one source: :func:`_method_settings_model` builds the pydantic
# model from the dataclass); a setting not listed here is checked against its annotation only. Method names are
# checked when planning (the part-method registry needs torch).
_METHOD_RANGES = {
    "facet": Literal["tokens", "keys"],
    "foreground_method": _Name,              # checked against the registry when planning
    "foreground_component": _NonNegInt,
    "second_component_min_patches": _NonNegInt,
    "crf_params": Annotated[list[_Finite], Field(min_length=6, max_length=6)],
    "n_parts": _PosInt,
    "methods": Annotated[list[_Name], Field(min_length=1)],
    "kmeans_iter_limit": _PosInt,
    "prompt_kinds": Annotated[list[Literal["red", "gray", "blur"]], Field(min_length=1)],
    "ellipse_thickness": _PosInt,
    "blur_kernel": _PosInt,
    "initial_topk": _PosInt,
    "ot_scale": _PosFloat,
    "sinkhorn_lambda": _PosFloat,
    "sinkhorn_iters": _PosInt,
    "sinkhorn_tol": Optional[_PosFloat],
    "topk_per_part": _PosInt,
    "language_topk": _PosInt,
    "pool_scaling": Literal["auto", "ratio", "none"],
    "reference_pool_size": _PosInt,
    "small_pool_size": _NonNegInt,
}
# a dataclass annotation -> what the YAML may give for it (tuples are YAML lists; an int is fine for a float)
_PLAIN_TYPES = {str: str, int: int, float: _Finite, bool: bool, tuple: list}


def _odd(v):
    if v % 2 == 0:
        raise ValueError("must be odd (a Gaussian kernel size), e.g. 11")
    return v


def _one_slot(v):
    if v.count("{}") != 1:
        raise ValueError("must contain '{}' (the descriptor) exactly once, e.g. 'a photo showing {}'")
    return v


def _method_settings_model() -> type[BaseModel]:
    """The pydantic model of ``method:``: every field of MethodConfig with its default (tuples as lists), typed by
    :data:`_METHOD_RANGES` or else by its annotation."""
    import typing

    hints = typing.get_type_hints(MethodConfig)
    fields = {}
    for f in dataclasses.fields(MethodConfig):
        kind = _METHOD_RANGES.get(f.name)
        if kind is None:
            hint = hints[f.name]
            args = [a for a in typing.get_args(hint) if a is not type(None)]
            if hint in _PLAIN_TYPES:
                kind = _PLAIN_TYPES[hint]
            elif len(args) == 1 and args[0] in _PLAIN_TYPES:   # X | None
                kind = Optional[_PLAIN_TYPES[args[0]]]
            else:
                raise TypeError(f"MethodConfig.{f.name}: give its valid values in suite._METHOD_RANGES")
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        fields[f.name] = (kind, list(default) if isinstance(default, tuple) else default)
    unknown = set(_METHOD_RANGES) - set(fields)
    if unknown:
        raise TypeError(f"suite._METHOD_RANGES names settings MethodConfig does not have: {sorted(unknown)}")
    return create_model("MethodSettings", __base__=_Raw, __doc__="Every MethodConfig field with its valid range.",
                        __validators__={"_odd": field_validator("blur_kernel")(_odd),
                                        "_one_slot": field_validator("descriptor_prompt")(_one_slot)},
                        **fields)


MethodSettings = _method_settings_model()


# what a key takes, said after the error (the pydantic message says what is wrong)
_HINTS = {
    "seed": f"a whole number from 0 to {SEED_MAX}, e.g. seed: 0",
    "batch_size": "a whole number of at least 1, e.g. batch_size: 64",
    "methods": "a list of part methods, e.g. methods: [pca, kmeans]",
    "models": "a list such as models: [{name: ViT-B-32, pretrained: openai}]",
    "datasets": "a list such as datasets: [{name: d, dir: data/d, descriptors: pool.json}]",
    "units_per_task": "a whole number of at least 1, e.g. units_per_task: 100",
    "n_parts": "a whole number of at least 1, e.g. n_parts: 5",
    "initial_topk": "a whole number of at least 1, e.g. initial_topk: 500",
    "language_topk": "a whole number of at least 1, e.g. language_topk: 50",
    "sinkhorn_iters": "a whole number of at least 1, e.g. sinkhorn_iters: 1000",
    "dir": "the image folder (one sub-folder per class), e.g. dir: data/imagenet/val",
    "descriptors": "a descriptor pool: a JSON file or a known pool name, e.g. descriptors: imagenet",
    "name": "a non-empty name",
    "templates": "a registry name (imagenet, places365, food101, default), a file, or a list of templates with {}",
}
_TYPE_TAGS = {"str", "int", "float", "bool", "list", "dict", "none", "literal", "tuple"}


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "[" in str(part) or str(part).split("-")[0] in _TYPE_TAGS or str(part).startswith("function-"):
            continue  # pydantic's union/validator tags, not keys
        else:
            out += ("." if out else "") + str(part)
    return out


def _one_line(e: ValidationError, where: str, prefix: str = "") -> str:
    """The first error of ``e`` as one line: file, key, value, what is wrong, what it takes."""
    errors = e.errors(include_url=False)
    err = errors[0]
    key = prefix + _loc(err["loc"])
    leaf = key.split(".")[-1].split("[")[0]
    if err["type"] == "extra_forbidden":
        return f"{where}: unknown key `{key}`; remove it or fix its spelling"
    if err["type"] == "missing":
        return f"{where}: missing `{key}`" + (f"; give {_HINTS[leaf]}" if leaf in _HINTS else "")
    value = err.get("input")
    shown = repr(value) if not isinstance(value, (dict, list)) or len(repr(value)) < 80 else type(value).__name__
    msg = re.sub(r" or instance of Raw\w+", "", err["msg"].removeprefix("Value error, "))
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    hint = f"; it takes {_HINTS[leaf]}" if leaf in _HINTS else ""
    return f"{where}: `{key}` = {shown}: {msg}{hint}{more}"


def validate_method(settings: dict, methods, where: str) -> MethodConfig:
    """``method:`` overrides (plus the suite's ``methods``) -> a MethodConfig; UserError naming the key."""
    if not isinstance(settings, dict):
        raise UserError(f"{where}: `method` must be a mapping of settings, e.g. method: {{n_parts: 5}}")
    try:
        ok = MethodSettings.model_validate({**settings, "methods": list(methods)})
    except ValidationError as e:
        raise UserError(_one_line(e, where, prefix="method.")) from None
    values = ok.model_dump()
    return MethodConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


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
    if not value.get("kind") or not isinstance(value["kind"], str):
        raise UserError(f"{where}: `generate` must name a generator, e.g. generate: {{kind: demo, per_class: 8}}")
    return dict(value)


PAPER_MODELS_ENTRY = "paper"  # `models: paper` = the 13 models of data/paper/models.json, in its order


def parse_suite(data, base: Path = Path("."), source: Optional[str] = None) -> Suite:
    """Validate ``data`` (the YAML's mapping) and build the frozen :class:`Suite`; UserError (one line naming the
    file, the key and the fix) on the first problem."""
    where = source or "suite"
    if not isinstance(data, dict):
        raise UserError(f"{where}: a suite must be a YAML mapping with `models` and `datasets`")
    if data.get("models") == PAPER_MODELS_ENTRY:  # the paper's 13 models, from their one table
        from generator.registry.paper import paper_models

        data = {**data, "models": [{"name": m.model, "pretrained": m.pretrained} for m in paper_models().values()]}
    try:
        raw = RawSuite.model_validate(data)
    except ValidationError as e:
        raise UserError(_one_line(e, where)) from None
    models = tuple(SuiteModel(name=m.name, pretrained=_expand(m.pretrained or "none", base),
                              model_config=_expand(m.config_file, base)) for m in raw.models)
    datasets = []
    for i, d in enumerate(raw.datasets):
        w = f"{where}: datasets[{i}]"
        templates = tuple(d.templates) if isinstance(d.templates, list) else _expand(d.templates, base)
        generate = _generate(d.generate, w)
        # a generated dataset's folder may not exist yet: it is always relative to the suite file
        folder = _expand(d.dir, base) if generate is None else _expand_always(d.dir, base)
        datasets.append(SuiteDataset(name=d.name, dir=folder, descriptors=_expand(d.descriptors, base),
                                     templates=templates, classnames=_expand(d.classnames, base), generate=generate))
    names = [d.name for d in datasets]
    if len(set(names)) != len(names):
        raise UserError(f"{where}: dataset names must be unique, got {names}")
    s = raw.executor.slurm
    slurm = SlurmSpec(partition=s.partition, gpus_per_node=s.gpus_per_node, cpus_per_task=s.cpus_per_task,
                      mem_gb=s.mem_gb, timeout_min=s.timeout_min, max_num_timeout=s.max_num_timeout,
                      array_parallelism=s.array_parallelism, units_per_task=s.units_per_task,
                      additional=tuple(tuple(x) for x in s.additional))
    suite = Suite(name=raw.name or Path(where).stem, models=models, datasets=tuple(datasets),
                  methods=tuple(raw.methods), seed=raw.seed, device=raw.device, batch_size=raw.batch_size,
                  precision=raw.precision, method=dict(raw.method), executor=ExecutorSpec(raw.executor.kind, slurm),
                  fail_fast=raw.fail_fast, source=source,
                  evaluations={k: v for k, v in raw.evaluations.model_dump().items() if v is False})
    suite.method_config()  # validate early
    return suite
