"""scripts/family_table.py: the paired margin behind a threshold line (value minus control, image by image)."""
import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "family_table.py"


@pytest.fixture(scope="module")
def table():
    spec = importlib.util.spec_from_file_location("family_table", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _records(pairs, labels):
    return [SimpleNamespace(label=lab, methods={"kmeans": SimpleNamespace(v=a, c=b)})
            for (a, b), lab in zip(pairs, labels)]


def test_margin_is_the_paired_mean_difference_with_its_interval(table):
    pairs = [(0.5, 0.3), (0.4, 0.3), (0.6, 0.3), (0.5, 0.2)] * 5     # differences 0.2, 0.1, 0.3, 0.3: mean 0.225
    recs = _records(pairs, ["a", "b", "c", "d"] * 5)
    text = table._margin(recs, "kmeans", lambda r, m: m.v, lambda r, m: m.c)
    assert "paired difference +0.225" in text and "20 images" in text
    lo, hi = (float(x) for x in text.split("by image [")[1].split("]")[0].split(", "))
    assert 0.1 <= lo < 0.225 < hi <= 0.3


def test_margin_skips_unknown_values_and_other_methods(table):
    recs = _records([(0.1, 0.4), (None, 0.1), (0.2, None), (0.3, 0.4)], ["a", "a", "b", "b"])
    recs.append(SimpleNamespace(label="c", methods={"pca": SimpleNamespace(v=9.0, c=0.0)}))
    text = table._margin(recs, "kmeans", lambda r, m: m.v, lambda r, m: m.c)
    assert "paired difference -0.200" in text and "2 images" in text
    assert table._margin(recs[:1], "kmeans", lambda r, m: m.v, lambda r, m: m.c) == ""
