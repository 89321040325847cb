"""The resumable compute loop: explain every class of a dataset with one model and write the results.

1. :func:`plan` validates everything before any work (dataset folder, class names, templates, descriptor
   pool, method settings, model name and *local* weights, device) and lists the work units with their keys.
2. :func:`compute` skips units whose shard file already holds their key; the model is loaded (once) only
   if some unit is left. Each unit = one class folder = one batch for :func:`explain_batch`; its image
   records, class record and overlays are written, the shard last (atomically), so an interrupted run
   resumes where it stopped. The encode pass and the prompt embeddings of a class are cached per model
   (:mod:`generator.runner.feature_cache`, ``OUT/.cache/features``) unless ``feature_cache=False``.
3. :func:`generator.runner.merge.merge` writes ``OUT/<dataset>/<model-id>/`` from the shards.

A pool with fewer than u (``language_topk``) descriptors is accepted: D_y then holds all N descriptors
(L_T = N, see :mod:`generator.method.language`); the progress output says so.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional

from generator.errors import UserError
from generator.hashing import short_name, stable_hash
from generator.method.config import MethodConfig, effective_topk, pool_scaled
from generator.registry import datasets as ds_registry
from generator.registry import models as model_registry
from generator.registry.descriptors import load_pool
from generator.runner import records as rec
from generator.runner.device import apply_precision, effective_precision, resolve_device
from generator.runner.merge import merge
from generator.runner.overlays import write_mask, write_original, write_overlay
from generator.runner.shards import read_shard, shard_path, write_shard
from generator.runner.units import WorkUnit, class_files, make_units, overlay_names
from generator.suite import PairSpec


# The engine's request is the suite's resolved pair (frozen, picklable; the same defaults for `mkbench compute`).
ComputeRequest = PairSpec


@dataclass
class Plan:
    request: ComputeRequest
    dataset: ds_registry.ImageFolder
    templates_name: str
    templates: list[str]
    pool: object                  # DescriptorPool
    spec: model_registry.ModelSpec
    weights: str                  # weights identity
    cfg: MethodConfig
    units: list[WorkUnit]
    precision: str = "fp32"       # effective precision of the image tower (in the unit keys)
    requested: Optional[MethodConfig] = None   # the method settings as given; ``cfg`` is what runs (pool-scaled)
    method_effective: dict = field(default_factory=dict)  # method.config.effective_topk of this pool and dataset

    @property
    def results_dir(self) -> Path:
        return Path(self.request.out) / short_name(self.dataset.name) / short_name(self.spec.id)

    def run_config(self) -> dict:
        """Everything that determines the results (hashed into ``config_hash``)."""
        return {"model": {**self.spec.to_dict(), "id": self.spec.id, "weights": self.weights},
                "dataset": {"name": self.dataset.name, "classes": self.dataset.classnames},
                "templates": {"name": self.templates_name, "templates": self.templates},
                "descriptors": {"sha256": self.pool.sha256, "n": len(self.pool.descriptors)},
                "method": (self.requested or self.cfg).to_dict(), "method_effective": self.method_effective,
                "seed": self.request.seed, "precision": self.precision,
                "overlays_per_class": self.request.overlays_per_class,
                **_evaluation_config(self.request)}


def _evaluation_config(req: "ComputeRequest") -> dict:
    """The issue-9 evaluations' settings in the run configuration (absent when they are off)."""
    from generator.runner.evaluations import eval_config

    ev = eval_config(req.evaluations)
    return {} if ev is None else {"evaluations": ev.to_dict()}


@dataclass
class ComputeResult:
    results_dir: Path
    computed: int
    skipped: int
    summary: object               # results.schema.Summary


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


def plan(req: ComputeRequest, run_device: Optional[str] = None, memo: Optional[dict] = None) -> Plan:
    """Validate the request and list the work units (no model is built, no image decoded). ``run_device``: the
    device the units will run on when not this machine's (a SLURM planner); it decides the effective precision.
    ``memo``: a dict shared by the plans of one suite, so a dataset is scanned (and its files stat-ed) and a
    descriptor pool read once for all models, not once per model."""
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
    spec = req.resolved or model_registry.resolve_model(req.model, req.pretrained, req.model_config)
    weights_file = model_registry.check_weights(spec, req.weights_cache)  # fail fast, before any work
    weights = model_registry.weights_identity(spec, weights_file, req.seed)
    precision = effective_precision(run_device or req.device, req.precision)
    files = _memo(memo, ("files", id(dataset)), lambda: class_files(dataset))
    units = make_units(dataset, spec.id, weights, pool.sha256, templates, cfg, req.seed, req.overlays_per_class,
                       precision=precision, files=files)
    return Plan(req, dataset, templates_name, templates, pool, spec, weights, cfg, units, precision,
                requested=requested, method_effective=effective)


_LOADED: dict = {}   # the one model this process holds: {(spec, device, seed, weights cache): LoadedModel}


def load_model_once(p: Plan, say: Callable[[str], None] = lambda m: None, steps=None):
    """The model of ``p``, loaded once per process and reused across datasets and tasks of that model (the one model
    loader of the runner: ``mkbench compute``, suite workers and SLURM tasks all come here). Loading another model
    frees the previous one first. Mixed precision is applied as ``p.request.precision`` asks (CPU: fp32)."""
    from generator.runner.progress import Steps

    req = p.request
    key = (p.spec, req.device, req.seed, req.weights_cache)
    if key not in _LOADED:
        _LOADED.clear()
        _free_cuda()
        say(f"loading model {p.spec.id} on {req.device}")
        step = (steps or Steps()).start(f"loading model {p.spec.id}")
        try:
            _LOADED[key] = model_registry.load_model(p.spec, device=req.device, seed=req.seed,
                                                     cache_dir=req.weights_cache)
        finally:
            step.finish()
    loaded = _LOADED[key]
    if apply_precision(loaded, req.device, req.precision):
        say(f"{p.spec.id}: mixed precision on {req.device}")
    return loaded


def _free_cuda() -> None:
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


class Engine:
    """The model (:func:`load_model_once`), the text bank and the preprocessing of a plan, built on first use."""

    def __init__(self, p: Plan, progress: Callable[[str], None], loaded=None, steps=None, upcoming=()):
        """``loaded``: an already built LoadedModel of ``p.spec`` to reuse (the suite runner loads a model
        once per worker and reuses it across datasets); None builds it on first use. ``steps``: where long steps
        are shown (:class:`generator.runner.progress.Steps`; None shows nothing). ``upcoming``: the units about to
        run, in order, whose images :mod:`generator.runner.loading` decodes ahead."""
        from generator.runner.progress import Steps

        self.p, self.progress, self.steps = p, progress, steps or Steps()
        self.loaded, self.bank, self.pre = loaded, None, None
        self.upcoming, self.loader = list(upcoming), None

    def load_images(self, unit: WorkUnit):
        """(normalised (B', 3, S, S) on the device, uint8 (B', S, S, 3), indices of the B' readable files of ``unit``,
        [BadImage] of the others, [(path, note)] of images scaled to 8 bits), prefetched when it is upcoming."""
        from generator.runner import loading

        req, root = self.p.request, self.p.dataset.root
        if self.loader is None and self.upcoming:
            self.loader = loading.ClassLoader(self.pre, [[root / f for f in u.files] for u in self.upcoming],
                                              req.device, req.loader_workers)
            self._order = {u.key: i for i, u in enumerate(self.upcoming)}
        paths = [root / f for f in unit.files]
        if self.loader is not None and unit.key in self._order:
            return self.loader.get(self._order[unit.key], paths)
        raw, kept, bad, notes = loading.load_readable(self.pre, paths)
        return (*loading.to_device(self.pre, raw, req.device), kept, bad, notes)

    def ready(self):
        if self.bank is None:
            from generator.runner.textbank import build_text_bank

            req = self.p.request
            if self.loaded is None:
                self.loaded = load_model_once(self.p, self.progress, self.steps)
            self.pre = ds_registry.Preprocess(self.loaded.image_size, self.loaded.mean, self.loaded.std)
            cache = req.text_cache or Path(req.out) / ".cache" / "text"
            self.progress(f"encoding {len(self.p.dataset.classes)} class names and "
                          f"{len(self.p.pool.descriptors)} descriptors")
            self.bank = build_text_bank(self.loaded, self.p.dataset.classnames, self.p.templates,
                                        self.p.pool.descriptors, self.p.cfg, device=req.device, cache_dir=cache,
                                        batch_size=max(req.batch_size, 256),
                                        progress=self.steps.counter(f"encoding texts ({self.p.spec.id})"))
        return self


def _ground_truth(p: Plan, unit: WorkUnit, raw, explanations, encoded=None, eng=None):
    """Ground-truth part metrics and their controls when the dataset has part masks (``p.dataset.part_masks``,
    :mod:`generator.runner.ground_truth`): (per image {method: dict}, per image baseline dict or None, per image
    {method: controls}, per image controls), or None. The oracle-region prompts cost forward passes (batched)."""
    masks = p.dataset.part_masks
    if masks is None:
        return None
    from generator.runner.ground_truth import batch_controls, batch_ground_truth, region_scores

    methods, base = batch_ground_truth(masks, unit.files, raw, explanations, p.pool.descriptors, p.cfg.n_parts,
                                       p.request.seed)
    if encoded is None or eng is None:
        return methods, base, [{} for _ in explanations], [{} for _ in explanations]
    req = p.request

    def region(raw_, gts):
        return region_scores(eng.loaded.model, raw_, gts, eng.bank, p.cfg,
                             lambda r: eng.pre.normalize(r, req.device), req.device, req.batch_size)

    m_ctl, i_ctl = batch_controls(masks, unit.files, raw, explanations, p.pool.descriptors, p.dataset.classnames,
                                  p.pool.classes, encoded.patches, p.cfg, req.seed, region=region)
    return methods, base, m_ctl, i_ctl


def _encode(p: Plan, unit: WorkUnit, eng: Engine, images):
    """(the class's encode pass, patches float16-rounded; the prompt store or None): from the feature cache
    when ``p.request.feature_cache`` and it holds them. The rounding happens with or without the cache, so
    results never depend on it (:mod:`generator.runner.feature_cache`)."""
    from generator.method import features
    from generator.runner.feature_cache import FeatureCache, round_patches

    def encode():
        return round_patches(features.encode_images(eng.loaded.model, images, facet=p.cfg.facet))

    if not p.request.feature_cache:
        return encode(), None
    cache, pre = FeatureCache(p.request.out, p.weights), eng.pre
    key = cache.encode_key(p.dataset.root, unit.files, p.cfg.facet, pre.size, pre.mean, pre.std, p.precision)
    enc = cache.load_encoded(key, len(unit.files), images.device)
    if enc is None:
        enc = encode()
        cache.save_encoded(key, enc)
    return enc, cache.prompt_store(key, p.cfg, images.device)


@contextlib.contextmanager
def _counted_forwards(eng: Engine, unit: WorkUnit, cfg):
    """A per-image bar of the class's image forward passes: ``model.encode_image`` counts the images it encodes
    while the unit runs. Total: B (1 + 3 L n_methods) with L = n_parts, an upper bound (an image can have fewer
    parts; the bar ends at what was done)."""
    model = eng.loaded.model
    total = len(unit.files) * (1 + len(cfg.prompt_kinds) * cfg.n_parts * len(cfg.methods))
    step = eng.steps.start(f"class {unit.folder}: image forward passes", total=total)
    had = "encode_image" in vars(model)
    inner = model.encode_image

    def encode_image(images, *args, **kwargs):
        out = inner(images, *args, **kwargs)
        step.advance(int(images.shape[0]))
        return out

    model.encode_image = encode_image
    try:
        yield step
    finally:
        if had:
            model.encode_image = inner
        else:
            del model.encode_image
        step.finish()


def _load_class(p: Plan, unit: WorkUnit, eng: Engine):
    """(images, uint8 images, the unit with only its readable files, [SkippedImage]) of a class. Unreadable images
    are skipped and recorded (said once per class), or stop the run with ``fail_fast``; 16-bit / float images are
    scaled to 8 bits (said once per class); a class with no readable image fails."""
    from generator.errors import StopRun
    from generator.results.schema import SkippedImage

    root = p.dataset.root
    images, raw, kept, bad, notes = eng.load_images(unit)
    if bad and p.request.fail_fast:
        raise StopRun(f"{bad[0]} (--fail-fast; without it unreadable images are skipped and listed in the results)")
    if not kept:
        raise UserError(f"{root / unit.folder}: none of its {len(unit.files)} images can be read, e.g. {bad[0]}")
    if bad:
        eng.progress(f"{unit.folder}: skipped {len(bad)} unreadable image(s), e.g. {bad[0].path.name}: "
                     f"{bad[0].reason}")
    if notes:
        eng.progress(f"note: {unit.folder}: {len(notes)} image(s) scaled to 8 bits, e.g. {notes[0][0].name}: "
                     f"{notes[0][1]}")
    skipped = [SkippedImage(image=p.dataset.relative(b.path), reason=b.reason) for b in bad]
    return images, raw, replace(unit, files=tuple(unit.files[i] for i in kept)), skipped


def run_unit(p: Plan, unit: WorkUnit, engine: Engine) -> dict:
    """Explain one class folder and write its overlays and shard; returns the shard payload."""
    from generator.method.explain import explain_batch
    from generator.runner import loading

    import torch

    req, eng = p.request, engine.ready()
    torch.manual_seed(req.seed)
    root = p.dataset.root
    images, raw, unit, skipped = _load_class(p, unit, eng)
    try:
        with _counted_forwards(eng, unit, p.cfg):
            encoded, prompt_cache = _encode(p, unit, eng, images)
            explanations = explain_batch(eng.loaded.model, images, raw, eng.bank, p.cfg, req.seed,
                                         normalize=lambda r: loading.normalize(eng.pre, r, req.device),
                                         batch_size=req.batch_size, encoded=encoded, prompt_cache=prompt_cache)
    except ValueError as e:  # the method steps raise ValueError for data they cannot handle (e.g. too few patches)
        raise UserError(f"{root / unit.folder}: cannot explain this class with {p.spec.id}: {e}") from None
    n_overlays = min(req.overlays_per_class, len(unit.files)) * len(p.cfg.methods)
    drawn = eng.steps.start(f"class {unit.folder}: overlays", total=n_overlays) if n_overlays else None
    gt = _ground_truth(p, unit, raw, explanations, encoded, eng)
    from generator.runner.evaluations import run_evaluations
    evals = run_evaluations(p, unit, eng, raw, explanations)
    image_records, names = [], overlay_names(unit.files)
    for j, (rel, e) in enumerate(zip(unit.files, explanations)):
        overlays = {}
        if j < req.overlays_per_class:
            name = names[j]
            write_original(p.results_dir / "overlays" / "original" / name, raw[j])
            if p.dataset.part_masks is not None:
                masks = p.dataset.part_masks
                write_mask(p.results_dir / "overlays" / "mask" / name, raw[j], masks.mask(rel, raw.shape[1]),
                           masks.part_names)
            for method, m in e.methods.items():
                overlays[method] = f"overlays/{method}/{names[j]}"
                write_overlay(p.results_dir / overlays[method], raw[j], m.part_map)
                drawn.advance()
        r = rec.image_record(rel, unit.class_index, e, p.dataset.classnames, p.pool.descriptors, overlays)
        if gt is not None:
            for method, res in r.methods.items():
                res.ground_truth = gt[0][j][method]
                res.controls = {**(res.controls or {}), **gt[2][j].get(method, {})}
            r.ground_truth_baseline = gt[1][j]
            r.controls = {**(r.controls or {}), **{k: ({**r.controls.get(k, {}), **v} if isinstance(v, dict) else v)
                                                   for k, v in gt[3][j].items()}}
        for method, res in (evals[j].items() if evals else ()):
            r.methods[method].quality, r.methods[method].baselines = res["quality"], res["baselines"] or None
        image_records.append(r)
    klass = rec.class_record(unit.name, image_records, p.cfg.methods, rec.max_curve_length(p.cfg),
                             folder=unit.folder, index=unit.class_index)
    klass.skipped = skipped
    extra = {"crf_used": any(e.crf_used for e in explanations), "model_info": eng.loaded.info.to_dict()}
    if evals is not None:
        extra["evaluation_cost"] = evals.cost
    write_shard(shard_path(req.out, unit), unit, image_records, klass, **extra)
    return {"images": image_records, "class": klass, **extra}


def compute(req: ComputeRequest, progress: Callable[[str], None] = lambda msg: None, steps=None) -> ComputeResult:
    """Plan, run the unfinished units, merge. Safe to interrupt and rerun. ``steps``: bars for the long steps
    (:class:`generator.runner.progress.Steps`; None: none)."""
    p = plan(req)
    pending = [u for u in p.units if read_shard(shard_path(req.out, u), u.key) is None]
    engine = Engine(p, progress, steps=steps, upcoming=pending)
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
    shards, computed = [], 0
    for n, unit in enumerate(p.units, 1):
        done = read_shard(shard_path(req.out, unit), unit.key)
        if done is None:
            progress(f"[{n}/{len(p.units)}] {unit.folder}: explaining {len(unit.files)} images")
            done = run_unit(p, unit, engine)
            computed += 1
        else:
            progress(f"[{n}/{len(p.units)}] {unit.folder}: done before, skipped")
        shards.append(done)
    if engine.loader is not None:
        engine.loader.close()
    config = p.run_config()
    summary = merge(p.results_dir, p, shards, config_hash=stable_hash(config), config=config, engine=engine)
    progress(f"wrote {p.results_dir}")
    return ComputeResult(p.results_dir, computed, len(p.units) - computed, summary)
