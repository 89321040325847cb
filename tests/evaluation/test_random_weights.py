"""The random-weights sanity baseline (Adebayo et al.'s model randomisation, within the run; docs/method.md E10) on a
hand-made case with a known answer: the trained model's explanation names the planted object and its grounded
descriptors, the random network's names a background strip and unrelated descriptors, and both are scored with the
trained model. The random explanation must lose every compared metric; an explanation identical to the method's
must not pass (paired differences exactly 0)."""
import numpy as np
import pytest
import torch

from generator.evaluation import baselines as bl
from generator.method.config import MethodConfig
from generator.method.explain import ImageExplanation, MethodExplanation
from generator.method.mutual_information import mi_curve, mutual_information
from generator.runner import evaluations as ev
from tests.evaluation.test_quality import OBJECT, S, planted_image

LANGUAGE = [[0, 1, 2, 3], [10, 11, 12, 13], [20, 21, 22, 23]]     # D_y of classes 0, 1, 2
CFG = MethodConfig(methods=("pca",), n_parts=2, sinkhorn_iters=5)


class PlantedTower(torch.nn.Module):
    """The "trained" model: class-0 evidence = brightness of the object square (1 intact, 0.75 blurred), class 1 a
    constant 0.9 (wins once the object is blurred), class 2 a constant 0.2."""

    def __init__(self):
        super().__init__()
        self.visual = torch.nn.Linear(1, 1)          # a parameter for features._input_like

    def encode_image(self, x):
        a = x[:, 0, OBJECT[0], OBJECT[1]].mean(dim=(1, 2))
        return torch.stack([a, torch.full_like(a, 0.9), torch.full_like(a, 0.2)], dim=1)


def explanation(part_map, vision, prediction=0):
    m = MethodExplanation(vision=vision, scores=[2.5 * 0.9] * len(vision), part_of=[0] * len(vision),
                          per_part={0: list(vision)}, language=LANGUAGE[prediction], mutual=[],
                          mi=mutual_information(vision, LANGUAGE[prediction]),
                          curve=mi_curve(vision, LANGUAGE[prediction]), part_map=part_map, part_similarity={0: 0.9})
    logits = np.array([1.0, 0.9, 0.2]) / np.linalg.norm([1.0, 0.9, 0.2])
    return ImageExplanation(prediction=prediction, foreground=np.ones((4, 4), bool), methods={"pca": m},
                            logits=logits)


def maps():
    obj = np.full((S, S), -1)
    obj[OBJECT] = 0
    strip = np.full((S, S), -1)
    strip[0:8, :] = 0                                  # as many pixels would not matter: nothing of the object
    return obj, strip


def evaluate(trained, random_twin, n):
    raw = np.stack([planted_image()] * n)
    class_embeds = torch.eye(3)
    normalize = lambda r: torch.as_tensor(r).permute(0, 3, 1, 2).float() / 255.0   # noqa: E731
    return ev.evaluate_batch(PlantedTower(), raw, trained, [0] * n, class_embeds, torch.tensor(LANGUAGE), 30, CFG,
                             0, 0, normalize, "cpu", 4, ev.EvalConfig(random_parts=False), {}, random_twin)


class Rec:     # the per-image record shape of generator.results.schema (what per_image_values reads)
    def __init__(self, q, b, curve):
        self.correct = True
        self.methods = {"pca": type("M", (), {"quality": q, "baselines": b, "curve": curve})()}


def test_random_weights_explanation_loses_every_metric():
    obj, strip = maps()
    n = 6
    trained = [explanation(obj, [0, 1, 2]) for _ in range(n)]
    twin = [explanation(strip, [25, 26, 27], prediction=2) for _ in range(n)]
    out = evaluate(trained, twin, n)
    method, rw = out[0]["pca"]["quality"], out[0]["pca"]["baselines"]["random_weights"]
    assert method["deletion"] < rw["deletion"] and method["insertion"] > rw["insertion"]
    assert rw["mi"] == 0.0 and rw["curve"] == mi_curve([25, 26, 27], LANGUAGE[0])    # scored against the trained D_y
    assert rw["own_mi"] == 0.0 and rw["same_prediction"] is False
    assert rw["order"] == [0] and rw["n_regions"] == 1                                  # its own region order

    recs = [Rec(o["pca"]["quality"], o["pca"]["baselines"], trained[0].methods["pca"].curve) for o in out]
    values = ev.per_image_values(recs, "pca", 4)
    verdicts = ev.sanity_verdicts(values, np.arange(n) // 2, ev.EvalConfig(n_boot=200), 0)
    v = verdicts["random_weights"]
    assert set(v["metrics"]) == set(bl.COMPARED_ON["random_weights"]) and v["passes"] is True
    assert v["metrics"]["deletion"]["diff"] < 0 and v["metrics"]["mi"]["diff"] > 0 and v["metrics"]["mi"]["unit"] == "class"
    agg = ev.aggregate_baselines([o["pca"]["baselines"] for o in out], 4)["random_weights"]
    assert agg["n_images"] == n and agg["deletion"] == pytest.approx(rw["deletion"]) and agg["same_prediction"] == 0.0


def test_an_explanation_equal_to_the_methods_does_not_pass():
    obj, _ = maps()
    n = 4
    trained = [explanation(obj, [0, 1, 2]) for _ in range(n)]
    out = evaluate(trained, [explanation(obj, [0, 1, 2]) for _ in range(n)], n)
    for o in out:
        q, rw = o["pca"]["quality"], o["pca"]["baselines"]["random_weights"]
        assert all(rw[k] == pytest.approx(q[k]) for k in ("deletion", "insertion", "acc_drop", "acc_inc"))
        assert rw["same_prediction"] is True

    recs = [Rec(o["pca"]["quality"], o["pca"]["baselines"], trained[0].methods["pca"].curve) for o in out]
    v = ev.sanity_verdicts(ev.per_image_values(recs, "pca", 4), np.arange(n) // 2, ev.EvalConfig(n_boot=100), 0)
    assert v["random_weights"]["passes"] is False
    assert all(x["diff"] == pytest.approx(0.0) for x in v["random_weights"]["metrics"].values())


def test_no_twin_no_baseline():
    obj, _ = maps()
    out = evaluate([explanation(obj, [0, 1, 2])], None, 1)
    assert "random_weights" not in out[0]["pca"]["baselines"]
