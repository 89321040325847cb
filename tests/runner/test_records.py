"""Records and aggregates: image records from explanations, class / dataset curves, top-1, concept counts."""
from __future__ import annotations

import numpy as np
import pytest

from generator.method.config import MethodConfig
from generator.method.explain import ImageExplanation, MethodExplanation
from generator.method.mutual_information import mi_curve, mutual_information
from generator.runner import records as R

DESC = [f"d{i}" for i in range(10)]
NAMES = ["cat", "dog"]


def _expl(pred, vision, language, part_of=None):
    pm = np.full((4, 4), -1)
    pm[:2, :2] = 0
    pm[2:, 2:] = 1
    part_of = part_of or [0] * len(vision)
    m = MethodExplanation(vision=vision, scores=sorted(np.linspace(1, 0.1, len(vision)).tolist(), reverse=True),
                          part_of=part_of, per_part={0: [d for d, p in zip(vision, part_of) if p == 0],
                                                     1: [d for d, p in zip(vision, part_of) if p == 1]},
                          language=language, mutual=[d for d in vision if d in language],
                          mi=mutual_information(vision, language), curve=mi_curve(vision, language), part_map=pm)
    return ImageExplanation(prediction=pred, foreground=np.ones((2, 2), bool), methods={"pca": m})


def test_image_record():
    e = _expl(1, [3, 4, 5], [5, 3, 9], part_of=[0, 1, 0])
    r = R.image_record("cat/a.png", 0, e, NAMES, DESC, {"pca": "overlays/pca/cat/a.png"})
    assert (r.label, r.prediction, r.correct) == ("cat", "dog", False)
    m = r.methods["pca"]
    assert [v.descriptor for v in m.vision] == ["d3", "d4", "d5"] and [v.part for v in m.vision] == [0, 1, 0]
    assert m.mutual == ["d3", "d5"] and m.language == ["d5", "d3", "d9"] and m.overlay == "overlays/pca/cat/a.png"
    assert m.mi == pytest.approx(np.log(3 * 3 * 2))
    assert [(p.part, p.area, p.descriptors) for p in m.parts] == [(0, 0.25, ["d3", "d5"]), (1, 0.25, ["d4"])]
    assert m.parts[0].color != m.parts[1].color


def test_class_and_dataset_aggregates_pad_to_max_length():
    cfg = MethodConfig(n_parts=2, topk_per_part=2)  # curves padded to 2*2+1 = 5 points
    length = R.max_curve_length(cfg)
    assert length == 5
    ex = [_expl(0, [1, 2], [1, 2, 7]), _expl(0, [3], [1, 2, 7]), _expl(1, [2, 8, 9], [2, 8])]
    recs = [R.image_record(f"cat/{i}.png", 0, e, NAMES, DESC) for i, e in enumerate(ex)]
    k = R.class_record("cat", recs, ["pca"], length, folder="cat")
    assert k.n_images == 3 and k.top1 == pytest.approx(200 / 3) and k.folder == "cat"
    curves = [e.methods["pca"].curve for e in ex]
    expect = np.zeros((3, 5))
    for i, c in enumerate(curves):
        expect[i, :len(c)] = c
    m = k.methods["pca"]
    assert m.curve == pytest.approx(expect.mean(0).tolist())
    assert m.mi == m.curve[0] and m.auc == pytest.approx(np.mean(m.curve))
    assert [(c.descriptor, c.count) for c in m.mutual_concepts] == [("d2", 2), ("d1", 1), ("d8", 1)]
    assert [(c.descriptor, c.count) for c in m.vision_concepts] == [("d3", 1), ("d9", 1)]
    assert [(c.descriptor, c.count) for c in m.language_concepts] == [("d7", 2), ("d1", 1), ("d2", 1)]
    s = R.method_summaries(recs, ["pca"], length)["pca"]
    assert s.curve == pytest.approx(m.curve) and s.auc == pytest.approx(np.mean(s.curve))
