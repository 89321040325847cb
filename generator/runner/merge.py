"""The merger, the only writer of merged results: the shards of a (dataset, model) -> the result files of
:mod:`generator.results.schema` in ``OUT/<dataset>/<model-id>/``: ``images.jsonl`` (class order, then file order),
``classes.json`` and ``summary.json`` (dataset curves = zero-padded mean of all image curves, MI = point 0, AUC = mean;
top-1 %; ground-truth metrics and the pixel baseline = mean over all images, when the dataset has part masks; the
images skipped as unreadable, listed per class in ``classes.json`` and all together in the summary; the statistics of
:mod:`generator.runner.evaluations` and the descriptor augmentation the worker computed,
:func:`generator.runner.work.augment`). Deterministic: the same shards give the same files, whichever executor or
worker computed them. :func:`merge_all` merges every pair of a suite whose units are all done, skipping pairs whose
shards have not changed since their last merge (``OUT/.shards/<dataset>/<model-id>/merged.json``)."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Optional

from generator.hashing import stable_hash
from generator.provenance import device_name, make_provenance
from generator.results.io import write_json, write_jsonl
from generator.results.metrics import top1 as top1_of
from generator.results.schema import ClassesFile, Summary
from generator.runner import evaluations as ev
from generator.runner import records as rec
from generator.runner.shards import SHARDS_DIR, is_done, read_shard, shard_path
from generator.runner.types import Merged, Outcome, Pair, PairResult, Plan, Status, SuitePlan, main_device


class MissingAugmentation(RuntimeError):
    """The plan asks for the descriptor augmentation and the worker has not computed it (work.augment)."""


def merge(results_dir: Path, p: Plan, shards: list[dict], config_hash: str, config: dict) -> Summary:
    """``p`` is the pair's plan; ``shards`` the unit payloads in unit order."""
    results_dir = Path(results_dir)
    images = [r for s in shards for r in s["images"]]
    classes = [s["class"] for s in shards]
    methods = list(p.cfg.methods)
    n = len(images)
    top1 = top1_of(r.correct for r in images)
    model_info = next((s["model_info"] for s in shards if s.get("model_info")), {})
    crf_used = any(s.get("crf_used", False) for s in shards)
    req = p.request
    summary = Summary(
        model=p.spec.model, pretrained=p.spec.pretrained, model_id=p.spec.id, dataset=p.dataset.name,
        n_images=n, n_classes=len(classes), top1=top1,
        methods=rec.method_summaries(images, methods, rec.max_curve_length(p.cfg)),
        untrained=p.spec.untrained, model_info=model_info, config=config,
        provenance=make_provenance(descriptor_source=str(p.pool.source), descriptor_sha256=p.pool.sha256,
                                   seed=req.seed, config_hash=config_hash, device=device_name(req.device),
                                   crf_used=crf_used),
        ground_truth_baseline=rec.baseline_aggregate(images),
        n_skipped_images=sum(len(c.skipped) for c in classes),
        skipped_images=[s for c in classes for s in c.skipped], controls=rec.image_controls(images))
    _evaluations(summary, classes, shards, p, methods)
    write_jsonl(results_dir / "images.jsonl", images)
    write_json(results_dir / "classes.json", ClassesFile(classes=classes))
    write_json(results_dir / "summary.json", summary)
    return summary


def _evaluations(summary: Summary, classes, shards: list[dict], p: Plan, methods) -> None:
    """Bootstrap intervals (by image and by class), sanity verdicts and the descriptor augmentation
    (:mod:`generator.runner.evaluations`)."""
    cfg = ev.eval_config(getattr(p.request, "evaluations", None))
    summary.evaluation = ev.evaluation_record(p, shards, summary.model_info.image_size)
    ev.attach_statistics(summary, classes, [s["images"] for s in shards], methods, rec.max_curve_length(p.cfg),
                         p.request.seed, cfg or ev.EvalConfig())
    summary.augmentation = ev.read_augmentation(p)
    if summary.augmentation is None and ev.augmentation_wanted(p):
        raise MissingAugmentation(f"{p.dataset.name} / {p.spec.id}: the descriptor augmentation was not computed "
                                  "(generator.runner.work.augment runs before the merge)")


MERGED_MARK = "merged.json"


def _mark_path(pair: Pair) -> Path:
    return Path(pair.request.out) / SHARDS_DIR / pair.dataset / pair.model_id / MERGED_MARK


def merge_pair(pair: Pair, device: Optional[str] = None) -> Merged:
    """Merge ``pair``'s shards into its result files; returns how (see :attr:`PairResult.merged`)."""
    if not pair.complete_selection:
        return Merged.SAMPLE
    p = pair.plan
    shards = []
    for unit in p.units:
        s = read_shard(shard_path(pair.request.out, unit), unit.key)
        if s is None:
            return Merged.INCOMPLETE
        shards.append(s)
    config = p.run_config()
    mark = {"config_hash": stable_hash(config), "units": stable_hash([u.key for u in p.units])}
    files = [p.results_dir / f for f in ("images.jsonl", "classes.json", "summary.json")]
    try:
        if json.loads(_mark_path(pair).read_text()) == mark and all(f.is_file() for f in files):
            return Merged.UP_TO_DATE
    except (OSError, ValueError):
        pass
    plan = replace(p, request=replace(p.request, device=device or p.request.device))
    merge(p.results_dir, plan, shards, config_hash=mark["config_hash"], config=config)
    write_json(_mark_path(pair), mark)
    return Merged.WRITTEN


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
        for unit in pair.pending:
            o = mine.get(unit.key)
            has_shard = is_done(shard_path(pair.request.out, unit), unit.key)
            if o is None:
                o = Outcome(pair.model_id, pair.dataset, unit.key, unit.folder,
                            Status.COMPUTED if has_shard else Status.FAILED,
                            error=None if has_shard else "no result: the worker did not finish it (see the logs)")
                outcomes.append(o)
            r.add(o)
        r.merged = merge_pair(pair, device=main_device(pair, outcomes))
        if r.merged is Merged.INCOMPLETE:   # a shard counted as done is gone (the output folder changed under the run)
            failed = {o.key for o in outcomes if o.model_id == pair.model_id and o.dataset == pair.dataset
                      and o.status is Status.FAILED}
            for unit in pair.units:
                if unit.key not in failed and not is_done(shard_path(pair.request.out, unit), unit.key):
                    r.failed += 1
                    outcomes.append(Outcome(pair.model_id, pair.dataset, unit.key, unit.folder, Status.FAILED,
                                            error="its result vanished from the output folder during the run; "
                                                  "rerun to recompute it"))
        r.bad_images = _bad_images(pair)
        r.results_dir = str(pair.plan.results_dir) if r.merged in (Merged.WRITTEN, Merged.UP_TO_DATE) else None
        results.append(r)
    return results
