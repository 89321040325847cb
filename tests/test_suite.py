"""Suites: YAML specs, presets, validation with clear errors, stable hashes."""
from __future__ import annotations

import pytest

from generator.errors import UserError
from generator.suite import list_presets, load_suite, parse_suite


def _write(tmp_path, text):
    p = tmp_path / "s.yaml"
    p.write_text(text)
    return p


def test_paper13_preset_lists_the_papers_models_and_datasets():
    s = load_suite("paper13")
    assert len(s.models) == 13
    assert {d.name for d in s.datasets} == {"imagenet", "places365", "food101"}
    assert {d.templates for d in s.datasets} == {"imagenet", "places365", "food101"}
    assert ("ViT-B-16-quickgelu", "dfn2b") in {(m.name, m.pretrained) for m in s.models}


def test_presets_include_paper13():
    assert "paper13" in list_presets()


def test_relative_paths_resolve_against_the_suite_file(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "pool.json").write_text("{}")
    p = _write(tmp_path, "models: [{name: m, pretrained: none}]\n"
                         "datasets: [{name: d, dir: data, descriptors: pool.json}]\n")
    s = load_suite(p)
    assert s.datasets[0].dir == str((tmp_path / "data").resolve())
    assert s.datasets[0].descriptors == str((tmp_path / "pool.json").resolve())
    assert s.name == "s"


def test_hash_changes_with_a_setting_and_not_with_the_source(tmp_path):
    base = {"models": [{"name": "m"}], "datasets": [{"name": "d", "dir": "x", "descriptors": "y"}]}
    a = parse_suite(base, source="a.yaml")
    b = parse_suite(base, source="b.yaml")
    c = parse_suite({**base, "seed": 1})
    assert a.hash() == b.hash() != c.hash()


@pytest.mark.parametrize("text, needle", [
    ("models: []\ndatasets: [{name: d, dir: x, descriptors: y}]", "`models` = []"),
    ("models: [m]\ndatasets: [{name: d, descriptors: y}]", "missing `datasets[0].dir`"),
    ("models: [m]\ndatasets: [{name: d, dir: x, descriptors: y, colour: red}]", "unknown key `datasets[0].colour`"),
    ("models: [m]\ndatasets: [{name: d, dir: x, descriptors: y}]\nexecutor: {kind: cloud}", "`executor.kind`"),
    ("models: [m]\ndatasets: [{name: d, dir: x, descriptors: y}]\nmethod: {n_partz: 3}", "`method.n_partz`"),
    ("models: [m]\ndatasets: [{name: d, dir: x, descriptors: y}]\ndevice: tpu", "device"),
    ("models: [m\n", "not valid YAML"),
])
def test_bad_suites_fail_with_a_message_naming_the_file(tmp_path, text, needle):
    p = _write(tmp_path, text)
    with pytest.raises(UserError) as e:
        load_suite(p)
    assert needle in str(e.value) and "s.yaml" in str(e.value)


def test_unknown_preset_lists_the_presets():
    with pytest.raises(UserError, match="paper13"):
        load_suite("nope")


def test_method_overrides_reach_the_method_config():
    s = parse_suite({"models": ["m"], "datasets": [{"name": "d", "dir": "x", "descriptors": "y"}],
                     "methods": ["kmeans"], "method": {"n_parts": 3}})
    cfg = s.method_config()
    assert cfg.n_parts == 3 and cfg.methods == ("kmeans",)


BASE = "models: [m]\ndatasets: [{name: d, dir: x, descriptors: y}]\n"


@pytest.mark.parametrize("line, key", [
    ("batch_size: x", "`batch_size` = 'x'"),
    ("batch_size: 0", "`batch_size` = 0"),
    ("batch_size: true", "`batch_size` = True"),
    ("seed: x", "`seed` = 'x'"),
    (f"seed: {2**64}", f"`seed` = {2**64}"),
    ("seed: -1", "`seed` = -1"),
    ("methods: pca", "`methods` = 'pca'"),
    ("methods: [[pca]]", "`methods[0]`"),
    ("methods: []", "`methods` = []"),
    ("executor: {slurm: {units_per_task: x}}", "`executor.slurm.units_per_task` = 'x'"),
    ("executor: {slurm: {units_per_task: 0}}", "`executor.slurm.units_per_task` = 0"),
    ("method: {n_parts: 0}", "`method.n_parts` = 0"),
    ("method: {n_parts: -2}", "`method.n_parts` = -2"),
    ("method: {n_parts: '3'}", "`method.n_parts` = '3'"),
    ("method: {initial_topk: 0}", "`method.initial_topk` = 0"),
    ("method: {language_topk: 0}", "`method.language_topk` = 0"),
    ("method: {sinkhorn_iters: 0}", "`method.sinkhorn_iters` = 0"),
    ("method: {ot_scale: .nan}", "`method.ot_scale`"),
    ("method: {blur_kernel: 4}", "must be odd"),
    ("method: {descriptor_prompt: no slot}", "`method.descriptor_prompt`"),
    ("method: [n_parts]", "`method`"),
    ("models: m", "`models` = 'm'"),
    ("fail_fast: maybe", "`fail_fast` = 'maybe'"),
])
def test_wrong_values_fail_in_one_line_naming_file_key_and_value(tmp_path, line, key):
    """issue 10: `batch_size: "x"`, `seed: "x"` / 2**64, methods of the wrong shape, `units: "x"` and invalid method
    settings (n_parts 0/negative/string, initial_topk 0, language_topk 0, sinkhorn_iters 0) gave tracebacks or were
    accepted and failed every class after the model loaded."""
    text = BASE.replace("models: [m]\n", "") if line.startswith("models:") else BASE
    p = _write(tmp_path, text + line + "\n")
    with pytest.raises(UserError) as e:
        load_suite(p)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(str(p)) and key in msg, msg


def test_method_settings_model_covers_every_method_config_field():
    import dataclasses

    from generator.method.config import MethodConfig
    from generator.suite import MethodSettings

    assert set(MethodSettings.model_fields) == {f.name for f in dataclasses.fields(MethodConfig)}
    assert MethodSettings().model_dump() == MethodConfig().to_dict()   # same defaults


def test_valid_values_still_load_and_fail_fast_is_not_hashed():
    from generator.suite import SEED_MAX

    base = {"models": ["m", {"name": "n", "pretrained": 2024}], "datasets": [{"name": 7, "dir": "x", "descriptors": "y"}]}
    s = parse_suite({**base, "seed": SEED_MAX, "method": {"ot_scale": 3, "sinkhorn_tol": None}})
    assert s.seed == SEED_MAX and s.models[1].pretrained == "2024" and s.datasets[0].name == "7"
    assert s.method_config().ot_scale == 3.0
    assert parse_suite({**base, "fail_fast": True}).hash() == parse_suite(base).hash()


def test_evaluations_switches_opt_out_of_the_random_weights_baseline():
    from generator.runner.evaluations import EvalConfig
    from generator.runner.resolve import suite_evaluations

    base = {"models": ["m"], "datasets": [{"name": "d", "dir": "x", "descriptors": "y"}]}
    off = parse_suite({**base, "evaluations": {"random_weights": False}})
    assert off.evaluations == {"random_weights": False}
    assert suite_evaluations(off) == EvalConfig(random_weights=False) and suite_evaluations(parse_suite(base)) is None
    assert parse_suite({**base, "evaluations": {"random_weights": True}}).hash() == parse_suite(base).hash()
    assert off.hash() != parse_suite(base).hash()
    with pytest.raises(UserError, match="evaluations.random_weigths"):
        parse_suite({**base, "evaluations": {"random_weigths": False}})
