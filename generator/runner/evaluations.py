"""The paper's evaluations of one class batch, run right after :func:`generator.method.explain.explain_batch`
(issue 9): explanation quality (deletion, insertion, AccDrop, AccInc; :mod:`generator.evaluation.quality`) and the
sanity baselines (:mod:`generator.evaluation.baselines`), stored per image in ``MethodImageResult.quality`` and
``MethodImageResult.baselines``; and the statistics of a merged run (bootstrap intervals by image and by class,
sanity verdicts; :mod:`generator.evaluation.bootstrap`) written into ``classes.json`` / ``summary.json``.

Forward passes per image and part method: 2 L for the quality curves and 2 L more for the random-parts baseline
(L = the image's regions), plus one pass of the fully blurred image per image (shared by both); all states of a
class batch are encoded in chunks of the run's batch size. The random-weights baseline (on by default for a
trained model, ``EvalConfig.random_weights``) adds the random model's own explanation of the class batch (1 + 3 L'
passes per image and part method through the random network, L' its parts; counted apart as
``random_weights_forward_images``) and 2 L' passes per image and part method of the trained model to score it; the
random model and its text side are built once per run (:func:`random_engine`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional, Sequence

import numpy as np

from generator.evaluation import baselines as bl
from generator.evaluation import bootstrap
from generator.evaluation import quality as q
from generator.results.metrics import mean_curve


@dataclass(frozen=True)
class EvalConfig:
    """Which evaluations run per class batch (all on by default; recorded in the run configuration)."""

    quality: bool = True
    random_parts: bool = True
    text_baselines: bool = True
    random_weights: bool = True      # the same architecture with random weights explains the same images (E10)
    augmentation: bool = True
    augmentation_per_neighbour: int = 5
    protocol: q.QualityProtocol = field(default_factory=q.QualityProtocol)
    n_boot: int = bootstrap.N_BOOT
    level: float = bootstrap.LEVEL

    def to_dict(self) -> dict:
        return asdict(self)


def eval_config(value) -> Optional[EvalConfig]:
    """A request's ``evaluations`` setting: None -> the defaults, False -> off (None), an EvalConfig as is."""
    if value is False:
        return None
    return EvalConfig() if value is None or value is True else value


class BatchEvaluations(list):
    """Per image {method: {"quality", "baselines"}}; ``cost`` = {"forward_images", "seconds"} of this class batch
    (stored in the shard; the merged summary keeps only the deterministic forward-image count)."""

    cost: dict


def run_evaluations(p, unit, eng, raw: np.ndarray, explanations) -> Optional[BatchEvaluations]:
    """The one call of :func:`generator.runner.work.run_unit`: quality and baselines of a class batch, with its
    measured cost; None when the request turned the evaluations off."""
    import time

    ev = eval_config(p.request.evaluations)
    if ev is None:
        return None
    req, start = p.request, time.perf_counter()
    counter: dict = {}
    random_expl = None
    if ev.random_weights and not p.spec.untrained and explanations:
        random_expl = random_explanations(p, unit, raw, counter, say=eng.progress)
    rw_seconds = time.perf_counter() - start
    out = BatchEvaluations(evaluate_batch(
        eng.loaded.model, raw, explanations, [unit.class_index] * len(explanations), eng.bank.class_embeds,
        eng.bank.language, len(eng.bank.descriptors), p.cfg, req.seed, unit.class_index,
        lambda r: eng.pre.normalize(r, req.device), req.device, req.batch_size, ev, counter, random_expl))
    out.cost = {"forward_images": int(counter.get("forward_images", 0)), "images": len(explanations),
                "seconds": time.perf_counter() - start}
    if random_expl is not None:
        out.cost.update(random_weights_forward_images=int(counter.get("random_weights_forward_images", 0)),
                        random_weights_explain_seconds=rw_seconds,
                        random_weights_score_forward_images=int(counter.get("random_weights_score_images", 0)))
    return out


_RANDOM: dict = {}   # the twin's remembered failure and text bank: {"failed": (key, error), "bank": (key, loaded, bank)}


def random_engine(p, say=lambda m: None):
    """(LoadedModel, TextBank, Preprocess) of ``p.spec``'s architecture with random weights, seeded by the run's
    seed (:func:`generator.runner.loader.load_model_once` with ``role="twin"``, i.e. ``pretrained = none``), built once
    per process next to the trained model; a twin that cannot be built is tried once per process. Its text side is
    encoded (and cached under OUT/.cache/text) like any model's."""
    from pathlib import Path

    from generator.errors import UserError
    from generator.registry import datasets as ds_registry
    from generator.runner.textbank import build_text_bank
    from generator.runner.loader import load_model_once, twin_spec

    req = p.request
    mkey = (twin_spec(p.spec), req.device, req.seed)
    if _RANDOM.get("failed", (None,))[0] == mkey:
        raise _RANDOM["failed"][1]
    try:
        loaded = load_model_once(p, say, role="twin")
    except UserError as e:   # remembered: the next class does not try again
        _RANDOM["failed"] = (mkey, e)
        raise
    bkey = (mkey, p.dataset.name, tuple(p.dataset.classnames), tuple(p.templates), p.pool.sha256, p.cfg)
    held = _RANDOM.get("bank")
    if held is None or held[0] != bkey or held[1] is not loaded:
        bank = build_text_bank(loaded, p.dataset.classnames, p.templates, p.pool.descriptors, p.cfg,
                               device=req.device, cache_dir=req.text_cache or Path(req.out) / ".cache" / "text",
                               batch_size=max(req.batch_size, 256))
        held = _RANDOM["bank"] = (bkey, loaded, bank)
    return loaded, held[2], ds_registry.Preprocess(loaded.image_size, loaded.mean, loaded.std)


def random_explanations(p, unit, raw: np.ndarray, counter: dict, say=lambda m: None):
    """The random-weights twin's explanations of the class batch ``raw`` (same method settings and seed), or None
    when the method cannot explain it with random features (said on the progress line); its image forward passes
    are added to ``counter["random_weights_forward_images"]``."""
    import torch

    from generator.method.explain import explain_batch
    from generator.runner import loading

    from generator.errors import UserError

    req = p.request
    try:
        loaded, bank, pre = random_engine(p, say)
    except UserError as e:   # e.g. an hf-hub architecture whose config is not cached offline: the run goes on
        say(f"{unit.folder}: no random-weights baseline ({e})")
        return None
    model = loaded.model
    had, inner = "encode_image" in vars(model), model.encode_image      # an autocast wrapper stays in place

    def encode_image(images, *args, **kwargs):
        counter["random_weights_forward_images"] = counter.get("random_weights_forward_images", 0) + int(images.shape[0])
        return inner(images, *args, **kwargs)

    model.encode_image = encode_image
    state = torch.random.get_rng_state()
    torch.manual_seed(req.seed)
    try:
        images = loading.normalize(pre, raw, req.device)
        return explain_batch(model, images, raw, bank, p.cfg, req.seed,
                             normalize=lambda r: loading.normalize(pre, r, req.device), batch_size=req.batch_size)
    except ValueError as e:   # e.g. too few patches left: this class then has no random-weights baseline
        say(f"{unit.folder}: no random-weights baseline ({e})")
        return None
    finally:
        if had:
            model.encode_image = inner
        else:
            del model.encode_image
        torch.random.set_rng_state(state)


def evaluation_record(p, shards: Sequence[dict], size: Optional[int] = None) -> Optional[dict]:
    """``Summary.evaluation``: the declared protocol, which evaluations ran, and the forward passes they cost
    (summed over the shards that recorded it; wall time stays in the shards, so merged files are deterministic)."""
    ev = eval_config(p.request.evaluations)
    if ev is None:
        return None
    size = size[0] if isinstance(size, (list, tuple)) else size
    costs = [s["evaluation_cost"] for s in shards if s.get("evaluation_cost")]
    return {"protocol": ev.protocol.describe(size, p.cfg.n_parts), "quality": ev.quality,
            "random_parts": ev.random_parts, "text_baselines": ev.text_baselines, "augmentation": ev.augmentation,
            "random_weights": bool(ev.random_weights and not p.spec.untrained),
            "random_weights_init": None if p.spec.untrained or not ev.random_weights else
            f"{p.spec.model} re-initialised by open_clip with torch seed {p.request.seed} (pretrained none)",
            "bootstrap": {"n_boot": ev.n_boot, "level": ev.level, "units": list(bootstrap.UNITS)},
            "passes_per_image": "1 (blurred image) + 2 L per part method (quality) + 2 L per part method "
                                "(random parts) + 2 L' per part method (random weights, scored by the trained "
                                "model), L = the image's regions, L' the random model's; plus the random model's "
                                "own explanation (random_weights_forward_images)",
            "forward_images": int(sum(c["forward_images"] for c in costs)),
            "random_weights_forward_images": int(sum(c.get("random_weights_forward_images", 0) for c in costs)),
            "images_counted": int(sum(c["images"] for c in costs))}


def descriptor_similarity(m, scale: float) -> dict[int, float]:
    """Per part: cos(image, its best raw descriptor) = max importance score of its descriptors / ``scale``."""
    score = dict(zip(m.vision, m.scores))
    return {int(p): max((score[d] for d in ds if d in score), default=0.0) / scale for p, ds in m.per_part.items()}


def _part_ids(part_map: np.ndarray) -> list[int]:
    return [int(p) for p in np.unique(part_map[part_map >= 0])]


def evaluate_batch(model, raw: np.ndarray, explanations, labels: Sequence[int], class_embeds, language,
                   n_descriptors: int, cfg, seed: int, class_index: int, normalize, device, batch_size: int,
                   ev: EvalConfig = EvalConfig(), counter: Optional[dict] = None,
                   random_explanations: Optional[Sequence] = None) -> list[dict]:
    """Per image: {method: {"quality": dict | None, "baselines": dict}} for the class batch ``raw``.
    ``random_explanations``: the random-weights twin's explanations of the same images (the ``random_weights``
    baseline: its regions are scored with ``model``, its D_v against this model's D_y); None: no such baseline."""
    from generator.method import features

    def encode(images: np.ndarray) -> np.ndarray:
        return features.encode_image_embeds(model, normalize(images).to(device), batch_size=batch_size).cpu().numpy()

    out: list[dict] = [{} for _ in explanations]
    class_np = class_embeds.detach().float().cpu().numpy()
    language_of = [list(map(int, row)) for row in language.tolist()]
    perm = bl.derangement(len(language_of), np.random.default_rng([seed, 7919]))
    logits = np.stack([e.logits for e in explanations]) if explanations else np.zeros((0, len(class_np)))
    preds = [e.prediction for e in explanations]
    jobs, where = [], []
    for mi, method in enumerate(cfg.methods):
        for i, e in enumerate(explanations):
            m = e.methods[method]
            rec = out[i].setdefault(method, {"quality": None, "baselines": {}})
            if ev.text_baselines:
                rng = np.random.default_rng([seed, class_index, i, mi, 1])
                rec["baselines"].update(bl.text_baselines(m.vision, language_of, e.prediction, n_descriptors, perm, rng))
            if not ev.quality:
                continue
            order = q.region_order(_part_ids(m.part_map), m.part_similarity, descriptor_similarity(m, cfg.importance_scale))
            jobs.append(q.QualityJob(i, m.part_map, order))
            where.append((i, method, "quality"))
            if ev.random_parts:
                rng = np.random.default_rng([seed, class_index, i, mi, 2])
                jobs.append(q.QualityJob(i, bl.random_part_map(m.part_map, rng), order))
                where.append((i, method, "random_parts"))
        for i, e in enumerate(explanations if random_explanations is not None else ()):
            r = random_explanations[i].methods[method]
            rec = out[i][method]
            rec["baselines"]["random_weights"] = bl.random_weights_text(
                r.vision, r.language, language_of[e.prediction], random_explanations[i].prediction, e.prediction)
            if ev.quality:
                order = q.region_order(_part_ids(r.part_map), r.part_similarity,
                                       descriptor_similarity(r, cfg.importance_scale))
                jobs.append(q.QualityJob(i, r.part_map, order))
                where.append((i, method, "random_weights"))
    if jobs:
        results = q.batch_quality(raw, jobs, class_np, preds, labels, logits, encode, cfg.n_parts, ev.protocol,
                                  chunk=batch_size, counter=counter)
        for (i, method, kind), r in zip(where, results):
            value = None if r is None else r.to_dict()
            if kind == "quality":
                out[i][method]["quality"] = value
            elif kind == "random_weights":      # text side already there; no region: quality fields absent
                out[i][method]["baselines"][kind].update(value or {})
            else:
                out[i][method]["baselines"][kind] = value
        if counter is not None and random_explanations is not None:
            counter["random_weights_score_images"] = counter.get("random_weights_score_images", 0) + sum(
                2 * r.n_regions for (_, _, kind), r in zip(where, results) if kind == "random_weights" and r)
    return out


# ---------------------------------------------------------------------------------------------------------------
# aggregation (class records, summaries) and statistics (merge time)

QUALITY_KEYS = q.METRICS


def aggregate_baselines(per_image: Sequence[Optional[dict]], curve_length: int) -> Optional[dict]:
    """Class / dataset aggregates of the baselines: MI = point 0 and AUC = mean of the zero-padded mean curve for
    the text baselines (as for the method, spec §2.6); :func:`quality.aggregate` for random parts."""
    have = [b for b in per_image if b]
    if not have:
        return None
    out = {}
    for name in bl.TEXT_BASELINES:
        curves = [b[name]["curve"] for b in have if b.get(name)]
        if curves:
            c = mean_curve(curves, length=max([curve_length] + [len(x) for x in curves]))
            out[name] = {"mi": c[0], "auc": float(np.mean(c)), "n_images": len(curves)}
    if any("random_parts" in b for b in have):
        out["random_parts"] = q.aggregate([b.get("random_parts") for b in have])
    rw = [b["random_weights"] for b in have if b.get("random_weights")]
    if rw:
        c = mean_curve([r["curve"] for r in rw], length=max([curve_length] + [len(r["curve"]) for r in rw]))
        out["random_weights"] = {**(q.aggregate([r if "curves" in r else None for r in rw]) or {"n_images": 0}),
                                 "mi": c[0], "auc": float(np.mean(c)), "n_images_text": len(rw),
                                 "own_mi": float(np.mean([r["own_mi"] for r in rw])),
                                 "same_prediction": float(np.mean([r["same_prediction"] for r in rw]))}
    return out


def aggregate_evaluations(results: Sequence, curve_length: int) -> dict:
    """{"quality": ..., "baselines": ...} aggregates of a class's / data set's MethodImageResults."""
    return {"quality": q.aggregate([getattr(r, "quality", None) for r in results]),
            "baselines": aggregate_baselines([getattr(r, "baselines", None) for r in results], curve_length)}


def _image_auc(curve: Sequence[float], length: int) -> float:
    return float(np.sum(curve)) / length if length else 0.0


def per_image_values(records, method: str, length: int) -> dict[str, np.ndarray]:
    """One value per image (NaN where undefined) whose mean is the stored aggregate: top1 (0/100), mi (curve point
    0), auc (curve sum / padded length P), the quality metrics, and the baselines' ``<baseline>.<metric>``."""
    rows: dict[str, list] = {"top1": [], "mi": [], "auc": []}
    for key in QUALITY_KEYS:
        rows[key] = []
    for name, metrics in bl.COMPARED_ON.items():
        for metric in metrics:
            rows[f"{name}.{metric}"] = []
    for r in records:
        m = r.methods[method]
        rows["top1"].append(100.0 if r.correct else 0.0)
        rows["mi"].append(m.curve[0] if m.curve else 0.0)
        rows["auc"].append(_image_auc(m.curve, length))
        qual = getattr(m, "quality", None) or {}
        for key in QUALITY_KEYS:
            rows[key].append(qual.get(key, np.nan) if qual else np.nan)
        base = getattr(m, "baselines", None) or {}
        for name, metrics in bl.COMPARED_ON.items():
            b = base.get(name)
            for metric in metrics:
                if not b:
                    v = np.nan
                elif metric == "mi":
                    v = b["curve"][0] if "curve" in b else b.get("mi", np.nan)
                elif metric == "auc" and "curve" in b:
                    v = _image_auc(b["curve"], length)
                else:
                    v = b.get(metric, np.nan)
                rows[f"{name}.{metric}"].append(v)
    return {k: np.asarray(v, dtype=np.float64) for k, v in rows.items()}


def _ok(v: np.ndarray) -> np.ndarray:
    return np.isfinite(v)


def intervals_of(values: dict[str, np.ndarray], groups: Optional[np.ndarray], ev: EvalConfig, seed: int) -> dict:
    """{metric: {"image": interval[, "class": interval]}} for every metric with values (NaNs dropped)."""
    out = {}
    for key, v in values.items():
        ok = _ok(v)
        if not ok.any():
            continue
        entry = {"image": bootstrap.interval(v[ok], None, ev.n_boot, ev.level, seed)}
        if groups is not None:
            entry["class"] = bootstrap.interval(v[ok], groups[ok], ev.n_boot, ev.level, seed)
        out[key] = entry
    return out


def sanity_verdicts(values: dict[str, np.ndarray], groups: np.ndarray, ev: EvalConfig, seed: int) -> dict:
    """{baseline: {metric: verdict}, "passes": all passed} for the baselines present (paired, by class)."""
    out = {}
    for name, metrics in bl.COMPARED_ON.items():
        per = {}
        for metric, lower in metrics.items():
            a, b = values.get(metric), values.get(f"{name}.{metric}")
            if a is None or b is None:
                continue
            ok = _ok(a) & _ok(b)
            if ok.sum() == 0:
                continue
            per[metric] = bl.verdict(a[ok], b[ok], groups[ok], lower, ev.n_boot, ev.level, seed)
        if per:
            out[name] = {"metrics": per, "passes": all(v["passes"] for v in per.values())}
    return out


def attach_statistics(summary, classes, images_by_class: Sequence[Sequence], methods: Sequence[str],
                      curve_length: int, seed: int, ev: EvalConfig = EvalConfig()) -> None:
    """Write bootstrap intervals (by image and by class) and sanity verdicts into ``summary`` and ``classes``;
    ``images_by_class[i]`` are the image records of ``classes[i]`` (the class is the resampling cluster)."""
    images = [r for recs in images_by_class for r in recs]
    groups = np.asarray([i for i, recs in enumerate(images_by_class) for _ in recs])
    summary.intervals = {"top1": bootstrap.both_units([100.0 if r.correct else 0.0 for r in images], groups,
                                                      ev.n_boot, ev.level, seed)} if images else {}
    for method in methods:
        length = max([curve_length] + [len(r.methods[method].curve) for r in images])
        values = per_image_values(images, method, length)
        s = summary.methods[method]
        s.intervals = intervals_of(values, groups, ev, seed)
        s.sanity = sanity_verdicts(values, groups, ev, seed) or None
    for c, recs in zip(classes, images_by_class):
        if not recs:
            continue
        c.intervals = {"top1": {"image": bootstrap.interval([100.0 if r.correct else 0.0 for r in recs], None,
                                                            ev.n_boot, ev.level, seed)}}
        for method in methods:
            if method in c.methods:
                length = max([curve_length] + [len(r.methods[method].curve) for r in recs])
                c.methods[method].intervals = intervals_of(per_image_values(recs, method, length), None, ev, seed)


# ---------------------------------------------------------------------------------------------------------------
# descriptor augmentation (paper Table 2): a data-set-level pass, run when a (dataset, model) is merged

def _class_descriptors(pool, classnames: Sequence[str]) -> list[list[str]]:
    """Each class's own descriptors from the pool (exact name, else case/underscore-insensitive match)."""
    loose = {k.lower().replace("_", " ").strip(): v for k, v in pool.classes.items()}
    return [list(pool.classes.get(c) or loose.get(c.lower().replace("_", " ").strip(), [])) for c in classnames]


def augmentation_wanted(p) -> bool:
    """Whether the plan ``p`` asks for the descriptor augmentation (the evaluations are on, with it)."""
    ev = eval_config(p.request.evaluations)
    return ev is not None and ev.augmentation


def augmentation_path(p):
    """The cache file of ``p``'s augmentation, keyed by the run configuration and the unit keys (a re-merge of the
    same results reads it; any change of setting or data computes it afresh)."""
    from pathlib import Path

    from generator.evaluation import augmentation as aug
    from generator.hashing import short_name, stable_hash

    ev = eval_config(p.request.evaluations)
    key = stable_hash({"config": p.run_config(), "units": [u.key for u in p.units], "prompt": aug.PROMPT,
                       "per_neighbour": ev.augmentation_per_neighbour, "intervals": 1})
    return (Path(p.request.out) / ".cache" / "augmentation" / short_name(p.dataset.name) / short_name(p.spec.id)
            / f"{key}.json")


def read_augmentation(p) -> Optional[dict]:
    """``Summary.augmentation`` of ``p`` as the worker computed it (:func:`run_augmentation`), or None when it is
    not wanted or not there."""
    import json

    if not augmentation_wanted(p):
        return None
    try:
        return json.loads(augmentation_path(p).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def run_augmentation(p, shards: list[dict], eng, encode, progress=lambda m: None) -> Optional[dict]:
    """``Summary.augmentation`` of a pair whose units are all done (:mod:`generator.evaluation.augmentation`), written
    to :func:`augmentation_path` for the merger (:func:`read_augmentation`). ``eng``: a ready
    :class:`generator.runner.work.Engine` of ``p``; ``encode(unit, images)``: the class's encode pass (the feature
    cache when it holds it). None when the evaluations are off."""
    import time

    from generator.evaluation import augmentation as aug
    from generator.results.io import write_json

    ev = eval_config(p.request.evaluations)
    if ev is None or not ev.augmentation:
        return None
    from generator.method import text

    start = time.perf_counter()
    req, loaded = p.request, eng.loaded
    embeds, labels, vision = [], [], []
    for unit, shard in zip(p.units, shards):
        files = [r.image for r in shard["images"]]          # unreadable images were skipped by the run
        if not files:
            continue
        images, _ = eng.pre.load_batch([p.dataset.root / f for f in files], device=req.device)
        if files == list(unit.files):
            emb = encode(unit, images).embeds   # the feature cache when it holds them
        else:
            from generator.method import features

            emb = features.encode_image_embeds(loaded.model, images, batch_size=req.batch_size)
        embeds.append(emb.float().cpu().numpy())
        labels += [unit.class_index] * len(files)
        vision += [sorted({v.descriptor for m in r.methods.values() for v in m.vision}) for r in shard["images"]]
    names = p.dataset.classnames
    own = _class_descriptors(p.pool, names)
    neighbours = aug.nearest_classes(eng.bank.class_embeds.float().cpu().numpy(), k=2)
    extra = aug.neighbour_concepts(vision, labels, neighbours, own, ev.augmentation_per_neighbour)
    texts, spans = [], []
    for c, name in enumerate(names):
        ds_own = own[c] or [""]
        texts += [aug.prompt(name, d) for d in ds_own] + [aug.prompt(name, d) for d in extra[c]]
        spans.append((len(ds_own), len(extra[c])))
    emb = text.encode_texts(loaded.model, loaded.tokenizer, texts, device=req.device,
                            batch_size=256).float().cpu().numpy()   # the whole result is cached, not the texts
    base, more, at = [], [], 0
    for n_own, n_extra in spans:
        base.append(emb[at:at + n_own])
        more.append(emb[at + n_own:at + n_own + n_extra])
        at += n_own + n_extra
    result = aug.run(np.concatenate(embeds), labels, base, more, neighbours)
    progress(f"descriptor augmentation: {len(texts)} prompts, {time.perf_counter() - start:.1f}s")
    out = {**result.to_dict(names, ev.augmentation_per_neighbour), "n_images": len(labels),
           "intervals": aug.intervals(result, labels, ev.n_boot, ev.level, p.request.seed),
           "n_text_prompts": len(texts),
           "classes_without_descriptors": [n for n, o in zip(names, own) if not o]}
    write_json(augmentation_path(p), out)
    return out
