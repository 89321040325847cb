"""Bootstrap intervals by image and by class, paired differences (issue 9 item 4)."""
import math

import numpy as np
import pytest

from generator.evaluation import bootstrap as b


def test_constant_values_give_a_point_interval():
    iv = b.interval([2.0] * 10, n_boot=100)
    assert iv["lo"] == iv["hi"] == iv["mean"] == 2.0 and iv["unit"] == "image" and iv["n_units"] == 10


def test_empty_and_single_unit():
    assert math.isnan(b.interval([])["mean"])
    iv = b.interval([1.0, 3.0], groups=["a", "a"], n_boot=50)
    assert iv["lo"] == iv["hi"] == 2.0 and iv["unit"] == "class" and iv["n_units"] == 1


def test_class_resampling_is_wider_when_classes_differ():
    # 10 classes of 20 images: every class is all 0 or all 1, so images within a class are not independent
    values = np.repeat([0.0, 1.0] * 5, 20)
    groups = np.repeat(np.arange(10), 20)
    by_image = b.interval(values, None, n_boot=500)
    by_class = b.interval(values, groups, n_boot=500)
    assert by_image["mean"] == by_class["mean"] == 0.5
    assert (by_class["hi"] - by_class["lo"]) > 2 * (by_image["hi"] - by_image["lo"])
    assert by_class["lo"] < 0.5 < by_class["hi"]


def test_cluster_bootstrap_weights_classes_by_size():
    # the mean over images (not over class means) is what each resample estimates
    values = np.array([1.0] * 9 + [0.0])
    groups = np.array([0] * 9 + [1])
    means = b.resampled_means(values, groups, n_boot=2000, seed=1)
    assert set(np.round(np.unique(means), 6)) <= {0.0, 0.9, 1.0}


def test_paired_difference_known_shift():
    a = np.linspace(0, 1, 30)
    d = b.paired_difference(a, a - 0.25, n_boot=200)
    assert d["diff"] == pytest.approx(0.25) and d["lo"] == pytest.approx(0.25) and d["hi"] == pytest.approx(0.25)
    assert d["p"] == 0.0
    with pytest.raises(ValueError):
        b.paired_difference([1, 2], [1])


def test_contains():
    assert b.contains({"lo": 1, "hi": 2}, 1.5) and b.contains({"lo": 1, "hi": 2}, 3) is False
    assert b.contains({"lo": math.nan, "hi": 2}, 1) is None and b.contains(None, 1) is None
