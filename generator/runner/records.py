"""Explanations -> result records (:mod:`generator.results.schema`) and their aggregates (spec §2.6).

Aggregation choices:
* class and dataset curves are the zero-padded element-wise mean of the image curves
  (:func:`generator.results.metrics.mean_curve`), padded to ``max_curve_length`` = topk_per_part * n_parts + 1 (16 for the paper's
  settings: the official code pads to that maximum, so curves of different classes/models align and
  AUCs compare); MI = point 0 of the mean curve; AUC = :func:`auc` of the mean curve (spec §2.6);
* top-1 is in %;
* the most frequent mutual / vision-only / language-only concepts are counted over the class's images
  (``TOP_CONCEPTS`` of each, ties broken by descriptor text);
* ground-truth metrics (datasets with part masks) and the pixel K-means baseline are the mean over the class's /
  dataset's images (:func:`generator.runner.ground_truth.aggregate`); None without masks;
* controls (schema 1.3): every method image result carries ``controls.random_dv``, the exact expected MI curve of
  |D_v| random pool ids with the same D_y (:func:`generator.evaluation.controls.random_dv`); classes and the data set
  carry the zero-padded mean of those curves (padded like the method's), its MI and AUC, so each MI / AUC has its
  random-D_v control at the same |D_v|. Ground-truth controls (datasets with masks) are means over images
  (:mod:`generator.runner.ground_truth`). Every image records whether its foreground is empty.
"""
from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np

from generator.results.metrics import curve_stats, top1 as top1_of
from generator.evaluation.controls import mean_control_curve, random_dv
from generator.results.schema import (ClassRecord, ConceptCount, ImageRecord, MethodClassResult,
                                      MethodImageResult, MethodSummary, PartRecord, VisionConcept)
from generator.runner.ground_truth import aggregate as aggregate_gt
from generator.runner.ground_truth import aggregate_image_controls, aggregate_method_controls
from generator.runner.evaluations import aggregate_evaluations
from generator.runner.overlays import part_color

TOP_CONCEPTS = 10


def max_curve_length(cfg) -> int:
    return cfg.topk_per_part * cfg.n_parts + 1


def parts_of(m, descriptors: Sequence[str]) -> list[PartRecord]:
    """The legend of an overlay: one record per part present in the pixel map."""
    ids, counts = np.unique(m.part_map[m.part_map >= 0], return_counts=True)
    total = float(m.part_map.size)
    return [PartRecord(part=int(p), color=part_color(int(p)), area=float(c) / total,
                       descriptors=[descriptors[d] for d in m.per_part.get(int(p), [])])
            for p, c in zip(ids, counts)]


def method_image_result(m, descriptors: Sequence[str], overlay: str | None = None) -> MethodImageResult:
    return MethodImageResult(
        vision=[VisionConcept(descriptor=descriptors[d], score=s, part=p)
                for d, s, p in zip(m.vision, m.scores, m.part_of)],
        language=[descriptors[d] for d in m.language],
        mutual=[descriptors[d] for d in m.mutual],
        mi=m.mi, curve=list(m.curve), parts=parts_of(m, descriptors), overlay=overlay,
        controls={"random_dv": random_dv(len(m.vision), len(m.language), len(descriptors))})


def image_record(path: str, label: int, explanation, classnames: Sequence[str], descriptors: Sequence[str],
                 overlays: dict[str, str] | None = None) -> ImageRecord:
    overlays = overlays or {}
    return ImageRecord(
        image=path, label=classnames[label], prediction=classnames[explanation.prediction],
        correct=explanation.prediction == label,
        methods={name: method_image_result(m, descriptors, overlays.get(name))
                 for name, m in explanation.methods.items()},
        controls={"foreground": {"empty": not bool(np.asarray(explanation.foreground).any()),
                                 "patches": int(np.asarray(explanation.foreground).sum())}})


def _top(counter: Counter, n: int = TOP_CONCEPTS) -> list[ConceptCount]:
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return [ConceptCount(descriptor=d, count=c) for d, c in ranked]


def class_record(name: str, records: list[ImageRecord], methods: Sequence[str], curve_length: int,
                 **extra) -> ClassRecord:
    out = {}
    for method in methods:
        results = [r.methods[method] for r in records]
        mi, area, curve = curve_stats([r.curve for r in results], curve_length)
        mutual, vision_only, language_only = Counter(), Counter(), Counter()
        for r in results:
            shared = set(r.mutual)
            mutual.update(shared)
            vision_only.update({v.descriptor for v in r.vision} - shared)
            language_only.update(set(r.language) - shared)
        out[method] = MethodClassResult(mi=mi, auc=area, curve=curve, mutual_concepts=_top(mutual),
                                        vision_concepts=_top(vision_only), language_concepts=_top(language_only),
                                        ground_truth=aggregate_gt([r.ground_truth for r in results]),
                                        controls=method_controls(results, curve_length),
                                        **aggregate_evaluations(results, curve_length))
    return ClassRecord(name=name, n_images=len(records), top1=top1_of(r.correct for r in records), methods=out,
                       ground_truth_baseline=baseline_aggregate(records), controls=image_controls(records), **extra)


def method_controls(results: list[MethodImageResult], curve_length: int) -> dict | None:
    """Controls of one method over images: the random-D_v mean curve (same padding as the method's) and the means
    of the ground-truth controls. None when no image has controls (results older than schema 1.3)."""
    curves = [r.controls["random_dv"]["curve"] for r in results if r.controls and r.controls.get("random_dv")]
    if not curves:
        return None
    out = {"random_dv": mean_control_curve(curves, curve_length)}
    rest = aggregate_method_controls([r.controls for r in results])
    return out | (rest or {})


def image_controls(records: list[ImageRecord]) -> dict | None:
    """Image-level controls (foreground, oracle region, ...) over ``records``; None when none has any."""
    return aggregate_image_controls([r.controls for r in records])


def baseline_aggregate(records: list[ImageRecord]) -> dict | None:
    """The pixel K-means baseline, mean over ``records`` (None without masks)."""
    return aggregate_gt([r.ground_truth_baseline for r in records])


def method_summaries(records: list[ImageRecord], methods: Sequence[str], curve_length: int) -> dict[str, MethodSummary]:
    out = {}
    for method in methods:
        mi, area, curve = curve_stats([r.methods[method].curve for r in records], curve_length)
        results = [r.methods[method] for r in records]
        out[method] = MethodSummary(mi=mi, auc=area, curve=curve,
                                    ground_truth=aggregate_gt([r.methods[method].ground_truth for r in records]),
                                    controls=method_controls([r.methods[method] for r in records], curve_length),
                                    **aggregate_evaluations(results, curve_length))
    return out
