"""Property-based tests (hypothesis, issue 10 item 9): the MI and curve functions (method.mutual_information,
results.metrics), the descriptor-pool loader, the
class-name loader and the suite loader. A loader given anything returns its value or raises UserError, nothing
else (no traceback reaches a user); the MI functions keep the paper's identities for any concept lists."""
from __future__ import annotations

import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.errors import UserError
from generator.method.mutual_information import DUMMY, mi_curve, mutual_information
from generator.registry.datasets import read_class_names
from generator.registry.descriptors import parse_pool
from generator.results.metrics import auc, mean_curve
from generator.suite import parse_suite

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ids = st.lists(st.integers(0, 40), unique=True, max_size=20)
floats = st.floats(-1e6, 1e6, allow_nan=False)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | floats | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                        max_size=4), max_leaves=20)


@FAST
@given(ids, ids)
def test_mi_is_log_of_lv_lt_m_or_zero(x, y):
    m = len(set(x) & set(y))
    mi = mutual_information(x, y)
    assert mi == (0.0 if m == 0 else mi)
    if m:
        assert math.isclose(mi, math.log(len(x) * len(y) * m), rel_tol=1e-6, abs_tol=1e-6)
    assert math.isclose(mi, mutual_information(y, x), abs_tol=1e-9)    # symmetric


@FAST
@given(ids, ids)
def test_mi_curve_starts_at_mi_ends_at_zero_and_never_rises(x, y):
    curve = mi_curve(x, y)
    assert len(curve) == len(x) + 1 and curve[-1] == 0.0
    assert curve[0] == mutual_information(x, y)
    # never rises (up to the official code's log(p + 1e-9), which puts MI of one match at -1e-9, not 0)
    assert all(b <= a + 1e-6 for a, b in zip(curve, curve[1:]))
    assert mutual_information([DUMMY] * len(x), y) == 0.0


@FAST
@given(st.lists(st.lists(floats, max_size=12), max_size=6), st.none() | st.integers(0, 16))
def test_mean_curve_pads_with_zeros_and_auc_is_its_mean(curves, length):
    mean = mean_curve(curves, length)
    if not curves:
        assert mean == []
        return
    n = max(len(c) for c in curves) if length is None else length
    assert len(mean) == n
    for i, v in enumerate(mean):
        col = [c[i] if i < len(c) else 0.0 for c in curves]
        assert min(col) - 1e-6 <= v <= max(col) + 1e-6
    a = auc(mean)
    assert (a == 0.0) if not mean else (min(mean) - 1e-6 <= a <= max(mean) + 1e-6)


@FAST
@given(st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode()),
                 st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),
                 st.integers(1, 3000).map(lambda n: b'{"a":' * n + b"[]" + b"}" * n)))
def test_descriptor_pool_loader_returns_a_pool_or_a_user_error(data):
    try:
        pool = parse_pool(data, "pool.json")
    except UserError as e:
        assert "pool.json" in str(e)
        return
    assert pool.descriptors and len(set(pool.descriptors)) == len(pool.descriptors)
    assert all(d in pool.descriptors for ds in pool.classes.values() for d in ds)


printable = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=6)   # no control chars


@FAST
@given(st.dictionaries(printable, st.lists(printable, max_size=4), min_size=1, max_size=5))
def test_a_valid_pool_keeps_every_descriptor_once_in_first_order(obj):
    try:
        pool = parse_pool(json.dumps(obj).encode(), "pool.json")
    except UserError:
        assert all(not v for v in obj.values()) or any(not d.strip() for v in obj.values() for d in v)
        return
    first = list(dict.fromkeys(d for v in obj.values() for d in v))
    assert pool.descriptors == first


FOLDERS = ["a", "b", "c"]


@FAST
@given(st.sampled_from([".json", ".txt"]),
       st.one_of(st.binary(max_size=120), json_values.map(lambda v: json.dumps(v).encode()),
                 st.lists(st.text(max_size=5), min_size=3, max_size=3).map(lambda v: json.dumps(v).encode()),
                 st.integers(1, 5000).map(lambda n: b"[" * n + b"]" * n)))
def test_class_name_loader_returns_names_for_every_folder_or_a_user_error(tmp_path_factory, suffix, data):
    path = tmp_path_factory.mktemp("names") / f"names{suffix}"
    path.write_bytes(data)
    try:
        names = read_class_names(path, FOLDERS)
    except UserError as e:
        assert str(path) in str(e) and "\n" not in str(e)
        return
    assert list(names) == FOLDERS and all(isinstance(n, str) and n.strip() == n and n for n in names.values())


KEYS = ["name", "seed", "device", "precision", "batch_size", "methods", "method", "models", "datasets", "executor",
        "fail_fast", "colour"]
suite_like = st.fixed_dictionaries(
    {"models": st.one_of(json_values, st.just(["m"]), st.just([{"name": "m", "pretrained": "none"}])),
     "datasets": st.one_of(json_values, st.just([{"name": "d", "dir": "x", "descriptors": "y"}]))},
    optional={k: json_values for k in KEYS if k not in ("models", "datasets")}
    | {"method": st.dictionaries(st.sampled_from(["n_parts", "initial_topk", "sinkhorn_iters", "ot_scale",
                                                  "facet", "crf_params"]), json_values, max_size=3)})


@FAST
@given(st.one_of(json_values, suite_like))
def test_suite_loader_returns_a_suite_or_a_one_line_user_error(data):
    try:
        suite = parse_suite(data, source="s.yaml")
    except UserError as e:
        assert str(e).startswith("s.yaml") and "\n" not in str(e)
        return
    assert suite.models and suite.datasets
    cfg = suite.method_config()
    assert cfg.n_parts >= 1 and cfg.sinkhorn_iters >= 1 and cfg.initial_topk >= 1
