"""Deterministic merge of the shards of a (dataset, model) into the result files of
:mod:`generator.results.schema`: ``images.jsonl`` (class order, then file order), ``classes.json`` and
``summary.json`` (dataset curves = zero-padded mean of all image curves, MI = point 0, AUC = mean; top-1 %;
ground-truth metrics and the pixel baseline = mean over all images, when the dataset has part masks; the images
skipped as unreadable, listed per class in ``classes.json`` and all together in the summary)."""
from __future__ import annotations

from pathlib import Path

from generator.provenance import device_name, make_provenance
from generator.results.io import write_json, write_jsonl
from generator.results.metrics import top1 as top1_of
from generator.results.schema import ClassesFile, Summary
from generator.runner import records as rec


def merge(results_dir: Path, p, shards: list[dict], config_hash: str, config: dict, engine=None) -> Summary:
    """``p`` is the run's :class:`~generator.runner.compute.Plan`; ``shards`` the unit payloads in unit order;
    ``engine`` an already loaded model for the data-set-level augmentation pass (else it loads one when needed)."""
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
    _evaluations(summary, classes, shards, p, methods, engine)
    write_jsonl(results_dir / "images.jsonl", images)
    write_json(results_dir / "classes.json", ClassesFile(classes=classes))
    write_json(results_dir / "summary.json", summary)
    return summary


def _evaluations(summary: Summary, classes, shards: list[dict], p, methods, engine=None) -> None:
    """Bootstrap intervals (by image and by class), sanity verdicts and the descriptor augmentation
    (:mod:`generator.runner.evaluations`)."""
    from generator.runner import evaluations as ev

    cfg = ev.eval_config(getattr(p.request, "evaluations", None))
    summary.evaluation = ev.evaluation_record(p, shards, summary.model_info.get("image_size"))
    ev.attach_statistics(summary, classes, [s["images"] for s in shards], methods, rec.max_curve_length(p.cfg),
                         p.request.seed, cfg or ev.EvalConfig())
    summary.augmentation = ev.run_augmentation(p, shards, engine)
