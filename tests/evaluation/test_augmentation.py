"""Descriptor augmentation (paper Table 2) and its explicit "overly discriminative" rule, on hand-made embeddings."""
import numpy as np
import pytest

from generator.evaluation import augmentation as aug


def unit(v):
    v = np.asarray(v, float)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def test_prompt_is_the_spec_prompt():
    assert aug.prompt("goldfish", "orange scales") == ("how can you identify a goldfish. Distinctive and physical "
                                                       "features describing it is orange scales")


def test_nearest_classes_excludes_self():
    e = unit([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0.9, 0.1]])
    nn = aug.nearest_classes(e, k=2)
    assert nn.shape == (4, 2) and nn[0, 0] == 1 and nn[2, 0] == 3 and all(nn[i, 0] != i for i in range(4))


def test_neighbour_concepts_most_frequent_minus_own():
    vision = [["a", "b"], ["a"], ["c"], ["x"]]
    labels = [1, 1, 2, 0]
    nbrs = np.array([[1, 2], [0, 2], [1, 0]])
    own = [["b"], [], []]
    extra = aug.neighbour_concepts(vision, labels, nbrs, own, per_neighbour=1)
    assert extra[0] == ["a", "c"]          # class 1's most frequent is "a"; "b" is class 0's own
    assert extra[1] == ["x", "c"]


def test_rule_keeps_a_helpful_augmentation_and_skips_a_harmful_one():
    # 2-D world. Class 0's base descriptor (-0.2, 1) is poor, so its images (near the x axis) go to class 1 at base.
    img = unit([[1.0, 0.2], [1.0, 0.3], [0.1, 1.0]])      # two images of class 0, one of class 1
    labels = [0, 0, 1]
    base = [unit([[-0.2, 1.0]]), unit([[0.2, 1.0]])]
    helpful = unit([[1.0, 0.0]])                           # extra for class 0: matches its images
    harmful = unit([[1.0, 0.1]])                           # extra for class 1: pulls it towards class 0's images
    nbrs = np.array([[1], [0]])
    r = aug.run(img, labels, base, [helpful, harmful], nbrs)
    assert r.base_top1 == pytest.approx(100 / 3)           # only the class-1 image is right
    assert r.augmented == [True, False]                    # class 1's extras would lose its own image: skipped
    assert r.augmented_top1 == pytest.approx(100.0)
    assert r.augmented_all_top1 == pytest.approx(100 / 3)  # augmenting every class: the rule matters
    d = r.to_dict(["zero", "one"])
    assert d["transductive"] and d["overly_discriminative"] == ["one"] and d["n_classes_augmented"] == 1
    assert d["delta"] == pytest.approx(d["augmented_top1"] - d["base_top1"])


def test_no_extra_means_no_change():
    img = unit([[1.0, 0.0], [0.0, 1.0]])
    base = [unit([[1.0, 0.1]]), unit([[0.1, 1.0]])]
    r = aug.run(img, [0, 1], base, [np.zeros((0, 2)), np.zeros((0, 2))], np.array([[1], [0]]))
    assert r.base_top1 == r.augmented_top1 == r.augmented_all_top1 == 100.0 and r.augmented == [False, False]


def test_intervals_of_base_augmented_and_their_paired_difference():
    img = unit([[1.0, 0.2], [1.0, 0.3], [0.1, 1.0]])
    labels = [0, 0, 1]
    base = [unit([[-0.2, 1.0]]), unit([[0.2, 1.0]])]
    r = aug.run(img, labels, base, [unit([[1.0, 0.0]]), unit([[1.0, 0.1]])], np.array([[1], [0]]))
    assert list(r.base_correct) == [0, 0, 100] and list(r.augmented_correct) == [100, 100, 100]
    iv = aug.intervals(r, labels, n_boot=500, seed=0)
    assert iv["base_top1"]["image"]["mean"] == pytest.approx(r.base_top1) and iv["base_top1"]["class"]["n_units"] == 2
    assert iv["augmented_top1"]["class"]["lo"] == iv["augmented_top1"]["class"]["hi"] == 100.0   # every image right
    d = iv["delta"]
    assert d["image"]["diff"] == pytest.approx(r.augmented_top1 - r.base_top1) and d["image"]["unit"] == "image"
    # by class: class 0 gains 100 on both images, class 1 gains 0: a resample of classes gives 0, 66.7 or 100
    assert d["class"]["unit"] == "class" and d["class"]["lo"] == pytest.approx(0.0) and d["class"]["hi"] == 100.0
    assert 0.0 <= d["image"]["lo"] <= d["image"]["diff"] <= d["image"]["hi"] <= 100.0


def test_validate_checks_the_table2_intervals():
    from generator.commands.validate import check_augmentation

    img = unit([[1.0, 0.2], [1.0, 0.3], [0.1, 1.0]])
    r = aug.run(img, [0, 0, 1], [unit([[-0.2, 1.0]]), unit([[0.2, 1.0]])], [unit([[1.0, 0.0]]), np.zeros((0, 2))],
                np.array([[1], [0]]))
    stored = {**r.to_dict(["a", "b"]), "intervals": aug.intervals(r, [0, 0, 1], n_boot=100)}
    assert check_augmentation(stored) == []
    stored["intervals"]["delta"]["class"]["diff"] = 5.0
    del stored["intervals"]["base_top1"]["image"]
    problems = check_augmentation(stored)
    assert any("no image interval for base_top1" in p for p in problems)
    assert any("delta/class is about 5.0" in p for p in problems)
