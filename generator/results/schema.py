"""Versioned schema of mkbench result files (in the spirit of lm-evaluation-harness ``result_schema.py``).

Files written per (dataset, model) under ``OUT/<dataset>/<model-id>/``:

* ``images.jsonl`` - one :class:`ImageRecord` per line;
* ``classes.json`` - a :class:`ClassesFile` (per-class aggregates);
* ``summary.json`` - a :class:`Summary` (dataset-level aggregates and provenance).

Bump :data:`SCHEMA_VERSION` (semver) on any change: major for removed/renamed fields, minor for
added fields. Readers accept any version with the same major number.

History: 1.0.0 first release; 1.1.0 adds the optional ground-truth fields (datasets with part masks,
:mod:`generator.runner.ground_truth`): ``ImageRecord.ground_truth_baseline``, ``MethodClassResult.ground_truth``,
``ClassRecord.ground_truth_baseline``, ``MethodSummary.ground_truth``, ``Summary.ground_truth_baseline``
(``MethodImageResult.ground_truth`` existed, always None, in 1.0.0). Files without them (1.0.x) still validate.
1.2.0 adds the images a run skipped because they could not be read (issue 10): ``ClassRecord.skipped`` and
``Summary.n_skipped_images`` / ``Summary.skipped_images`` (:class:`SkippedImage`: path and reason).
1.3.0 adds the optional ``controls`` fields (issue 8; :mod:`generator.evaluation.controls`, computed by
:mod:`generator.runner.records` and :mod:`generator.runner.ground_truth`): ``MethodImageResult.controls``,
``ImageRecord.controls``, ``MethodClassResult.controls``, ``ClassRecord.controls``, ``MethodSummary.controls``,
``Summary.controls``; and ``Summary.config["method_effective"]`` (the pool-scaled initial_topk / u that ran; since
2026-12-02 also ``topk_per_part``, the descriptors read per part; absent from older files, where it was the configured
value).
Migration: none needed; 1.0-1.2 files validate and read with ``controls`` = None (recompute to get controls).
1.3.0 also adds the paper's evaluations and statistics (issue 9), all optional: ``MethodImageResult.quality`` /
``baselines``, ``MethodClassResult.quality`` / ``baselines`` / ``intervals``, ``ClassRecord.intervals``,
``MethodSummary.quality`` / ``baselines`` / ``intervals`` / ``sanity``, ``Summary.intervals`` / ``evaluation`` /
``augmentation``. Migration: none needed to read 1.0/1.1 files (the fields are None); to get the new fields,
rerun ``mkbench compute``/``run`` on the same folder: shards of 1.x are reused and merged again, but their images
keep ``quality``/``baselines`` None until their class is recomputed (delete ``OUT/.shards`` to recompute all).
1.4.0 adds, all optional: the paired random-weights baseline (docs/method.md E10) ``MethodImageResult.baselines
["random_weights"]`` (the quality fields of the random twin's regions scored with the trained model, ``mi`` /
``curve`` against the trained D_y, ``own_mi``, ``same_prediction``), its aggregates in ``MethodClassResult`` /
``MethodSummary.baselines``, its verdict ``MethodSummary.sanity["random_weights"]`` and
``Summary.evaluation["random_weights" | "random_weights_init" | "random_weights_forward_images"]``; and Table 2's
intervals ``Summary.augmentation["intervals"]`` (base_top1 / augmented_top1 by image and by class, the paired
``delta``). Migration: none needed to read 1.0-1.3 files (the fields are absent). To get them, rerun ``mkbench
run``/``compute`` on the same folder: the merge recomputes Table 2 with its intervals, but reused 1.3 shards keep
their images without ``random_weights`` until their class is recomputed (delete ``OUT/.shards``; the evaluation
settings are not in the unit keys). ``mkbench compute --no-random-weights`` or the suite key
``evaluations: {random_weights: false}`` skips the baseline.
1.5.0 adds, all optional, the standard unsupervised part-segmentation scores (docs/method.md E11;
:func:`generator.evaluation.ground_truth.part_segmentation`): ``matched_iou`` (Hungarian one-to-one matching, mean
over the ground-truth parts present) and ``ari`` (adjusted Rand index over the object's pixels) in every
``ground_truth`` / ``ground_truth_baseline`` dict (image, class, summary) and in the ``controls`` dicts
``random_labels`` and ``oracle_foreground``; and the control ``controls["one_cluster"]`` (the method's foreground as
one concept: mean_iou, pointing_accuracy, object_iou, n_concepts, matched_iou, ari). Migration: none needed; 1.0-1.4
files validate and read with the keys absent. To get them, recompute the ground truth (delete ``OUT/.shards`` and
rerun ``mkbench run``/``compute``; reused shards keep their images without them).

Typed without a version change (issue 12; no stored byte changes): ``Summary.model_info`` is a :class:`ModelInfo`
and ``Summary.config`` a :class:`RunConfig` (with :class:`RunModel`, :class:`RunDataset`, :class:`RunTemplates`,
:class:`RunDescriptors`); they describe what 1.x writers already wrote, every field optional, and they write back
exactly the keys they were given, so ``provenance.config_hash`` still equals the hash of the stored ``config``.
Likewise the ground truth: ``MethodImageResult.ground_truth`` and ``ImageRecord.ground_truth_baseline`` are
:class:`ImageGroundTruth` (with :class:`GroundTruthConcept`), the class and summary ones :class:`GroundTruthAggregate`
(with :class:`PartScore`).
"""
from __future__ import annotations

from typing import Optional, Union

from pydantic import BaseModel, ConfigDict, Field, model_serializer

SCHEMA_VERSION = "1.5.0"


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class _AsGiven(_Model):
    """A stored shape whose optional fields are written only when they were given (read from a file or set by the
    writer), so typing it changes no stored byte: an absent key stays absent, a null stays null."""

    @model_serializer(mode="wrap")
    def _as_given(self, handler):
        out = handler(self)
        unset = {f.alias or name for name, f in type(self).model_fields.items() if name not in self.model_fields_set}
        return {k: v for k, v in out.items() if k not in unset}


class ModelInfo(_AsGiven):
    """``Summary.model_info`` (and each shard's): what the loaded model is, measured when it was loaded
    (:func:`generator.registry.models.load_model`). Every field is optional: a file of an older writer, or one made
    by hand, may lack any of them; a field that is None is not written."""

    family: Optional[str] = Field(default=None, description="model family (the paper's, else of the tower kind), e.g. ViT")
    tower: Optional[str] = Field(default=None, description="image tower kind: vit, modified_resnet, timm_convnext")
    image_size: Optional[int] = Field(default=None, description="input resolution in pixels (square)")
    parameters: Optional[int] = Field(default=None, description="number of parameters of the whole model")
    paper_name: Optional[str] = Field(default=None, description="the model's name in the paper, for its 13 models")
    data: Optional[str] = Field(default=None, description="pretraining data (the paper's table or the checkpoint's "
                                "model card)")

    @model_serializer(mode="wrap")
    def _as_given(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None}

    @property
    def params_m(self) -> Optional[float]:
        """Parameters in millions."""
        return None if self.parameters is None else self.parameters / 1e6


Num = Union[int, float]   # a stored number as written (an int stays an int, so typing changes no byte)


class GroundTruthConcept(_AsGiven):
    """One concept (part of the explanation's part map) of :class:`ImageGroundTruth` and the ground-truth part it
    lies on most (:func:`generator.evaluation.ground_truth.part_localisation`)."""

    concept: Optional[int] = Field(default=None, description="the concept's part id in the part map")
    part: Optional[str] = Field(default=None, description="the ground-truth part it overlaps most (None: none)")
    iou: Optional[Num] = Field(default=None, description="IoU of the concept with that part")
    pointing: Optional[bool] = Field(default=None, description="whether the concept's peak lies on that part")
    pixels: Optional[int] = Field(default=None, description="pixels of the concept")


class _Metrics(_AsGiven):
    def metric(self, key: str):
        """The value of metric ``key`` (e.g. ``"mean_iou"``; None when absent)."""
        return getattr(self, key, None)


class ImageGroundTruth(_Metrics):
    """``MethodImageResult.ground_truth`` (one method's explanation of one image) and, with ``k``/``patch`` and
    without the grounding fields, ``ImageRecord.ground_truth_baseline`` (pixel K-means), as
    :mod:`generator.runner.ground_truth` writes them. Every field is optional (older writers lack the 1.5 ones);
    written back with exactly the keys it was given, in this order (the writer's)."""

    matched_iou: Optional[Num] = Field(default=None, description="Hungarian one-to-one part IoU (schema 1.5)")
    ari: Optional[Num] = Field(default=None, description="adjusted Rand index over the object's pixels (schema 1.5)")
    mean_iou: Optional[Num] = None
    pointing_accuracy: Optional[Num] = None
    object_iou: Optional[Num] = None
    n_concepts: Optional[int] = None
    concepts: Optional[list[GroundTruthConcept]] = None
    grounding_present: Optional[Num] = None
    grounding_under_concept: Optional[Num] = None
    n_descriptors: Optional[int] = None
    n_pairs: Optional[int] = None
    n_unknown_descriptors: Optional[int] = None
    parts_present: Optional[list[str]] = None
    k: Optional[int] = Field(default=None, description="baseline: clusters of the pixel K-means")
    patch: Optional[int] = Field(default=None, description="baseline: patch size in pixels")


class PartScore(_AsGiven):
    matched: Optional[int] = Field(default=None, description="concepts matched to the part")
    mean_iou: Optional[Num] = None


class GroundTruthAggregate(_Metrics):
    """``ground_truth`` / ``ground_truth_baseline`` of a class or a summary: means over images of
    :class:`ImageGroundTruth` (:func:`generator.runner.ground_truth.aggregate`); written back as given."""

    n_images: Optional[int] = None
    n_concepts: Optional[int] = None
    mean_iou: Optional[Num] = None
    pointing_accuracy: Optional[Num] = None
    object_iou: Optional[Num] = None
    matched_iou: Optional[Num] = None
    ari: Optional[Num] = None
    grounding_present: Optional[Num] = None
    grounding_under_concept: Optional[Num] = None
    parts: Optional[dict[str, PartScore]] = None
    k: Optional[int] = None
    patch: Optional[int] = None


class RunModel(_AsGiven):
    """``config.model``: the model as resolved (registry ModelSpec) and its weights identity."""

    model: Optional[str] = None
    pretrained: Optional[str] = None
    model_config_file: Optional[str] = Field(default=None, alias="model_config")
    paper_key: Optional[str] = None
    id: Optional[str] = None
    weights: Optional[str] = None

    model_config = ConfigDict(extra="allow", populate_by_name=True, serialize_by_alias=True)


class RunDataset(_AsGiven):
    name: Optional[str] = None
    classes: Optional[list[str]] = None


class RunTemplates(_AsGiven):
    name: Optional[str] = None
    templates: Optional[list[str]] = None


class RunDescriptors(_AsGiven):
    sha256: Optional[str] = None
    n: Optional[int] = None


class RunConfig(_AsGiven):
    """``Summary.config``: the full run configuration that ``provenance.config_hash`` hashes
    (:meth:`generator.runner.types.Plan.run_config`); written as given, so the hash of the stored value checks out.
    ``method`` is :meth:`generator.method.config.MethodConfig.to_dict` of the settings as given,
    ``method_effective`` the pool-scaled values that ran (schema 1.3), ``evaluations`` the issue-9 settings (absent
    when they were off). Every field is optional (a file made by hand may have an empty config)."""

    model: Optional[RunModel] = None
    dataset: Optional[RunDataset] = None
    templates: Optional[RunTemplates] = None
    descriptors: Optional[RunDescriptors] = None
    method: Optional[dict] = None
    method_effective: Optional[dict] = None
    seed: Optional[int] = None
    precision: Optional[str] = None
    overlays_per_class: Optional[int] = None
    evaluations: Optional[dict] = None


class VisionConcept(_Model):
    """One descriptor of D_v: the vision side's textual concept for a part (spec §2.3)."""

    descriptor: str
    score: float = Field(description="importance: 2.5 x cos(whole image, raw descriptor) (§2.3.7)")
    part: int = Field(description="index of the visual part (cluster id) it was grounded from")


class PartRecord(_Model):
    """A visual concept (part) found in one image and its grounded descriptors (legend of an overlay)."""

    part: int
    color: str = Field(description="hex colour of the part in the overlay")
    area: float = Field(description="share of the image's pixels covered by the part")
    descriptors: list[str]


class MethodImageResult(_Model):
    vision: list[VisionConcept] = Field(description="D_v ordered by importance, most important first")
    language: list[str] = Field(description="D_y: top-u descriptors of the predicted class, nearest first")
    mutual: list[str] = Field(description="descriptors in both D_v and D_y, in D_v order")
    mi: float = Field(description="MI(D_v; D_y) = log(Lv*LT*m) for m matches, 0 if none")
    curve: list[float] = Field(description="MI dynamics: length Lv+1, ends at 0")
    parts: list[PartRecord] = Field(default_factory=list)
    overlay: Optional[str] = Field(default=None, description="path of the part-overlay PNG, relative to the results folder")
    ground_truth: Optional[ImageGroundTruth] = Field(
        default=None, description="ground-truth part metrics of this image when the dataset has masks: mean_iou, "
        "pointing_accuracy, object_iou, n_concepts, concepts [{concept, part, iou, pointing, pixels}], "
        "grounding_present, grounding_under_concept, n_descriptors, n_pairs, n_unknown_descriptors, parts_present")
    controls: Optional[dict] = Field(
        default=None, description="controls beside this image's numbers (schema 1.3): random_dv {mi, auc, curve} "
        "(exact expectation for |D_v| random pool ids, same D_y); with masks also grounding_random and "
        "grounding_class_prior {present, under_concept}, random_labels {mean_iou, draws}, "
        "oracle_foreground {mean_iou, pointing_accuracy, object_iou, n_concepts}")
    quality: Optional[dict] = Field(
        default=None, description="explanation quality of this image (spec §2.7, generator.evaluation.quality): "
        "deletion, insertion, acc_drop, acc_inc (declared AUC rule) and their *_normalised, order, n_regions, curves; "
        "None when the image has no region or the evaluation was off")
    baselines: Optional[dict] = Field(
        default=None, description="sanity baselines of this image (generator.evaluation.baselines): random_parts "
        "(quality fields), random_descriptors and shuffled_class ({mi, curve}); schema 1.4: random_weights (quality "
        "fields of the random twin's regions scored with the trained model, mi, curve, own_mi, same_prediction)")


class ImageRecord(_Model):
    image: str = Field(description="image path relative to the dataset folder")
    label: str
    prediction: str
    correct: bool
    methods: dict[str, MethodImageResult]
    ground_truth_baseline: Optional[ImageGroundTruth] = Field(
        default=None, description="K-means on raw pixel patches (no model) of this image when the dataset has masks: "
        "mean_iou, pointing_accuracy, object_iou, n_concepts")
    controls: Optional[dict] = Field(
        default=None, description="image-level controls (schema 1.3): foreground {empty, patches[, iou, "
        "every_patch_iou, oracle_patch_iou]}; with masks also oracle_region {red, gray, blur, mean: {within, pool, "
        "n_parts}, n_parts}")


class ConceptCount(_Model):
    descriptor: str
    count: int


class MethodClassResult(_Model):
    mi: float = Field(description="point 0 of the class's zero-padded mean curve")
    auc: float = Field(description="mean of the class's zero-padded mean curve")
    curve: list[float]
    mutual_concepts: list[ConceptCount] = Field(description="most frequent mutual concepts with counts")
    vision_concepts: list[ConceptCount] = Field(default_factory=list, description="most frequent vision-only concepts")
    language_concepts: list[ConceptCount] = Field(default_factory=list, description="most frequent language-only concepts")
    ground_truth: Optional[GroundTruthAggregate] = Field(
        default=None, description="ground-truth metrics, mean over images (datasets with masks): n_images, "
        "n_concepts, mean_iou, pointing_accuracy, object_iou, grounding_present, grounding_under_concept, "
        "parts {part: {matched, mean_iou}}")
    controls: Optional[dict] = Field(
        default=None, description="controls, aggregated over images (schema 1.3): random_dv {mi, auc, curve} of the "
        "zero-padded mean control curve; with masks the means of the per-image controls")
    quality: Optional[dict] = Field(default=None, description="mean quality metrics and curves over the images with "
                                    "regions: n_images, n_without_regions, deletion, insertion, acc_drop, acc_inc, curves")
    baselines: Optional[dict] = Field(default=None, description="baseline aggregates: random_parts (as quality), "
                                      "random_descriptors / shuffled_class {mi, auc, n_images}; random_weights (as "
                                      "quality, plus mi, auc, n_images_text, own_mi, same_prediction; schema 1.4)")
    intervals: Optional[dict] = Field(default=None, description="bootstrap intervals {metric: {unit: {mean, lo, hi, unit, n_units, n_boot, level, seed}}}, "
        "unit = image or class (generator.evaluation.bootstrap)")


class SkippedImage(_Model):
    """An image of the dataset left out of the results because it could not be read (corrupt, truncated, empty, not
    an image, over the decompression-bomb limit); ``mkbench run/compute --fail-fast`` stops instead."""

    image: str = Field(description="image path relative to the dataset folder")
    reason: str


class ClassRecord(_Model):
    name: str
    n_images: int
    top1: float = Field(description="zero-shot top-1 accuracy on the class's images, in %")
    methods: dict[str, MethodClassResult]
    ground_truth_baseline: Optional[GroundTruthAggregate] = Field(
        default=None, description="pixel K-means baseline, mean over images (datasets with masks): n_images, "
        "n_concepts, mean_iou, pointing_accuracy, object_iou, parts, k, patch")
    skipped: list[SkippedImage] = Field(default_factory=list, description="images of the class that could not be "
                                        "read and are not in n_images (schema 1.2)")
    controls: Optional[dict] = Field(
        default=None, description="image-level controls, means over images (schema 1.3), with foreground.n_empty "
        "and foreground.n_images")
    intervals: Optional[dict] = Field(default=None, description="bootstrap intervals {metric: {unit: {mean, lo, hi, unit, n_units, n_boot, level, seed}}}, "
        "unit = image or class (generator.evaluation.bootstrap)")


class ClassesFile(_Model):
    schema_version: str = SCHEMA_VERSION
    classes: list[ClassRecord]


class MethodSummary(_Model):
    mi: float
    auc: float
    curve: list[float]
    ground_truth: Optional[GroundTruthAggregate] = Field(
        default=None, description="ground-truth metrics, mean over images (datasets with masks): n_images, "
        "n_concepts, mean_iou, pointing_accuracy, object_iou, grounding_present, grounding_under_concept, "
        "parts {part: {matched, mean_iou}}")
    controls: Optional[dict] = Field(
        default=None, description="controls, aggregated over images (schema 1.3): random_dv {mi, auc, curve} of the "
        "zero-padded mean control curve; with masks the means of the per-image controls")
    quality: Optional[dict] = Field(default=None, description="as MethodClassResult.quality, over all images")
    baselines: Optional[dict] = Field(default=None, description="as MethodClassResult.baselines, over all images")
    intervals: Optional[dict] = Field(default=None, description="bootstrap intervals {metric: {unit: {mean, lo, hi, unit, n_units, n_boot, level, seed}}}, "
        "unit = image or class (generator.evaluation.bootstrap)")
    sanity: Optional[dict] = Field(
        default=None, description="sanity verdicts {baseline: {passes, metrics: {metric: {diff, lo, hi, p, unit, "
        "lower_is_better, passes}}}}: paired method - baseline over the same images, resampled by class")


class Provenance(_Model):
    package: str = "mkbench"
    package_version: str
    open_clip_version: str
    torch_version: str
    git_commit: Optional[str]
    descriptor_source: str
    descriptor_sha256: str
    seed: int
    config_hash: str
    created: str
    device: Optional[str] = None
    crf_used: bool = False


class Summary(_Model):
    schema_version: str = SCHEMA_VERSION
    model: str
    pretrained: str
    model_id: str
    dataset: str
    n_images: int
    n_classes: int
    top1: float
    methods: dict[str, MethodSummary]
    untrained: bool = False
    model_info: ModelInfo = Field(default_factory=ModelInfo, description="family, tower kind, image size, parameters, ...")
    config: RunConfig = Field(default_factory=RunConfig, description="the full run configuration that config_hash hashes")
    provenance: Provenance
    ground_truth_baseline: Optional[GroundTruthAggregate] = Field(
        default=None, description="pixel K-means baseline, mean over images (datasets with masks): n_images, "
        "n_concepts, mean_iou, pointing_accuracy, object_iou, parts, k, patch")
    n_skipped_images: int = Field(default=0, description="images that could not be read (not in n_images)")
    skipped_images: list[SkippedImage] = Field(default_factory=list, description="those images and why (schema 1.2)")
    controls: Optional[dict] = Field(
        default=None, description="image-level controls, means over images (schema 1.3), with foreground.n_empty "
        "and foreground.n_images")
    intervals: Optional[dict] = Field(default=None, description="bootstrap intervals of top1 by image and by class")
    evaluation: Optional[dict] = Field(
        default=None, description="the declared quality protocol (blur, steps, AUC rule, region, order), which "
        "evaluations ran, and their measured cost (forward_images, seconds)")
    augmentation: Optional[dict] = Field(
        default=None, description="descriptor augmentation (paper Table 2, transductive; "
        "generator.evaluation.augmentation): base and augmented top-1, rule, classes augmented; schema 1.4: "
        "intervals {base_top1, augmented_top1: {image, class}, delta: {image, class} paired differences}")


def schema_major(version: str) -> int:
    return int(version.split(".")[0])


def check_version(version: str, where: str) -> None:
    if schema_major(version) != schema_major(SCHEMA_VERSION):
        raise ValueError(
            f"{where}: schema version {version} is not readable by this mkbench (expects {SCHEMA_VERSION}); "
            "recompute the results with this version or install the mkbench that wrote them"
        )
