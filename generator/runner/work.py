"""The worker: one public engine that loads a model once per process, explains a unit (one class folder = one batch
for :func:`generator.method.explain.explain_batch`) and writes its results, the shard last and atomically, so an
interrupted run resumes where it stopped.

* :func:`generator.runner.loader.load_model_once` is the runner's one model loader (``mkbench compute``, suite
  workers, SLURM tasks and the random-weights twin of :mod:`generator.runner.evaluations`).
* :class:`Engine` holds a plan's model, text bank and preprocessing, built on first use; :func:`run_unit` explains one
  unit with it and writes its overlays and shard. The encode pass and the prompt embeddings of a class are cached per
  model (:mod:`generator.runner.feature_cache`, ``OUT/.cache/features``) unless ``feature_cache=False``.
* :func:`execute` runs a :class:`~generator.runner.types.Task` of the executors (a unit that fails is recorded and the
  next one runs); :func:`compute_units` runs one pair's units in order for ``mkbench compute`` (the first failure
  stops it).
* :func:`augment` computes a merged pair's data-set-level descriptor augmentation (paper Table 2) into its cache
  (``OUT/.cache/augmentation``), which the merger reads; :func:`save_hashes` keeps the image hashes the planner
  computed.

A pool with fewer than u (``language_topk``) descriptors is accepted: D_y then holds all N descriptors
(L_T = N, see :mod:`generator.method.language`); the progress output says so.
"""
from __future__ import annotations

import contextlib
import logging
import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Callable, Optional

from generator.errors import StopRun, UserError
from generator.registry import datasets as ds_registry
from generator.runner import records as rec
from generator.runner.loader import load_model_once
from generator.runner.overlays import write_mask, write_original, write_overlay
from generator.runner.plan import plan_pair
from generator.runner.resources import resource_error
from generator.runner.shards import read_shard, shard_path, write_shard
from generator.runner.types import Events, Outcome, Plan, Status, SuitePlan, Task, main_device
from generator.runner.units import WorkUnit, overlay_names

log = logging.getLogger("mkbench.run")

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


def _typed_gt(d: Optional[dict]):
    """A per-image ground-truth dict of :mod:`generator.runner.ground_truth` as the stored type (None stays None)."""
    from generator.results.schema import ImageGroundTruth

    return None if d is None else ImageGroundTruth.model_validate(d)


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


def encode_class(p: Plan, unit: WorkUnit, eng: Engine, images):
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
            encoded, prompt_cache = encode_class(p, unit, eng, images)
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
                res.ground_truth = _typed_gt(gt[0][j][method])
                res.controls = {**(res.controls or {}), **gt[2][j].get(method, {})}
            r.ground_truth_baseline = _typed_gt(gt[1][j])
            r.controls = {**(r.controls or {}), **{k: ({**r.controls.get(k, {}), **v} if isinstance(v, dict) else v)
                                                   for k, v in gt[3][j].items()}}
        for method, res in (evals[j].items() if evals else ()):
            r.methods[method].quality, r.methods[method].baselines = res["quality"], res["baselines"] or None
        image_records.append(r)
    klass = rec.class_record(unit.name, image_records, p.cfg.methods, rec.max_curve_length(p.cfg),
                             folder=unit.folder, index=unit.class_index)
    klass.skipped = skipped
    extra = {"crf_used": any(e.crf_used for e in explanations), "model_info": eng.loaded.info.model_dump(mode="json")}
    if evals is not None:
        extra["evaluation_cost"] = evals.cost
    write_shard(shard_path(req.out, unit), unit, image_records, klass, **extra)
    return {"images": image_records, "class": klass, **extra}


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
                p = plan_pair(req)
            except UserError as e:
                outcomes += [Outcome(task.model_id, req.dataset_name, k, "?", Status.FAILED, error=str(e))
                             for k in item.keys]
                continue
        outcomes += _run_item(p, task, item.keys, events)
    return outcomes


def _run_item(p: Plan, task: Task, keys, events: Events) -> list[Outcome]:
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
                        loaded = load_model_once(p, events.message, getattr(events, "steps", None))
                    except Exception as e:  # noqa: BLE001 - reported per unit, the run goes on
                        load_error = f"model {task.model_id} could not be loaded: {e}"
                        raise UserError(load_error) from None
                    eng = Engine(p, events.message, loaded=loaded, steps=getattr(events, "steps", None))
                run_unit(p, unit, eng)
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


def compute_units(p: Plan, progress: Callable[[str], None] = lambda msg: None, steps=None):
    """Run the unfinished units of one pair in order (``mkbench compute``; the first failure stops it); returns
    (the shard payloads in unit order, how many were computed, the :class:`Engine`, for :func:`augment`)."""
    pending = [u for u in p.units if read_shard(shard_path(p.request.out, u), u.key) is None]
    engine = Engine(p, progress, steps=steps, upcoming=pending)
    shards, computed = [], 0
    try:
        for n, unit in enumerate(p.units, 1):
            done = read_shard(shard_path(p.request.out, unit), unit.key)
            if done is None:
                progress(f"[{n}/{len(p.units)}] {unit.folder}: explaining {len(unit.files)} images")
                done = run_unit(p, unit, engine)
                computed += 1
            else:
                progress(f"[{n}/{len(p.units)}] {unit.folder}: done before, skipped")
            shards.append(done)
    finally:
        if engine.loader is not None:
            engine.loader.close()
    return shards, computed, engine


def save_hashes(plans) -> None:
    """Save the image-hash memos the plans filled (:func:`generator.runner.units.class_files`; each once), so the
    next plan only stats the files."""
    for memo in {id(p.hashes): p.hashes for p in plans if p.hashes is not None}.values():
        memo.save()


def augment(p: Plan, engine: Optional[Engine] = None, shards: Optional[list] = None,
            progress: Callable[[str], None] = lambda m: None) -> None:
    """Compute the descriptor augmentation of a pair whose units are all done into its cache
    (:func:`generator.runner.evaluations.run_augmentation`), for the merger to read; nothing when the evaluations
    are off, the cache holds it already, or a shard is missing (the merge then reports the pair incomplete).
    ``engine``: the one that computed the units (else the model this process holds is reused or loaded)."""
    from generator.runner import evaluations as ev

    if not ev.augmentation_wanted(p) or ev.read_augmentation(p) is not None:
        return
    if shards is None:
        shards = [read_shard(shard_path(p.request.out, u), u.key) for u in p.units]
        if any(s is None for s in shards):
            return
    if engine is None:   # the suite runner: reuse the model this process holds (loaded once per process)
        engine = Engine(p, progress, loaded=load_model_once(p, progress))
    ev.run_augmentation(p, shards, engine.ready(), encode=lambda unit, images: encode_class(p, unit, engine, images)[0],
                        progress=progress)


def augment_pairs(sp: SuitePlan, outcomes: list[Outcome]) -> None:
    """:func:`augment` every fully selected pair of a suite, on the device most of its units ran on."""
    for pair in sp.pairs:
        if not pair.complete_selection:
            continue
        device = main_device(pair, outcomes) or pair.plan.request.device
        augment(replace(pair.plan, request=replace(pair.plan.request, device=device)))
