"""Pool-relative hyper-parameters (generator.method.config.effective_topk / pool_scaled) and config hashing."""
from __future__ import annotations

import dataclasses

import pytest

from generator.method.config import MethodConfig, effective_topk, pool_scaled


@pytest.mark.parametrize("mode", ["auto", "ratio", "none"])
def test_the_papers_pool_keeps_500_and_50_exactly(mode):
    eff = effective_topk(MethodConfig(pool_scaling=mode), 4229, 1000)
    assert (eff["initial_topk"], eff["language_topk"], eff["topk_per_part"]) == (500, 50, 3)


@pytest.mark.parametrize("n, classes", [(1806, 365), (457, 101)])   # Places365, Food-101: not scaled under auto
def test_the_papers_other_pools_are_not_scaled_by_default(n, classes):
    eff = effective_topk(MethodConfig(), n, classes)
    assert not eff["scaled"] and (eff["initial_topk"], eff["language_topk"], eff["topk_per_part"]) == (500, 50, 3)
    assert pool_scaled(MethodConfig(), n, classes) == MethodConfig()


def test_the_demo_pool_gets_the_documented_small_values():
    # 500 * 75 / 4229 = 8.87 -> 9; u = max(round(50 * 75 / 4229) = 1, round(75 / 12) = 6) = 6
    for mode in ("auto", "ratio"):
        eff = effective_topk(MethodConfig(pool_scaling=mode), 75, 12)
        assert eff["scaled"] and (eff["initial_topk"], eff["language_topk"]) == (9, 6)
        assert eff["topk_per_part"] == 1                                  # round(3 * 75 / 4229) = 0 -> floor 1
    # the shipped demo pool (worlds 2 and 3): 111 descriptors, 12 classes
    eff = effective_topk(MethodConfig(), 111, 12)
    assert (eff["initial_topk"], eff["language_topk"], eff["topk_per_part"]) == (13, 9, 1)
    assert effective_topk(MethodConfig(pool_scaling="none"), 75, 12)["initial_topk"] == 500
    assert effective_topk(MethodConfig(pool_scaling="none"), 75, 12)["topk_per_part"] == 3


def test_floors_and_caps():
    eff = effective_topk(MethodConfig(pool_scaling="ratio"), 10, 10)   # tiny pool: floors
    assert eff["initial_topk"] == eff["topk_per_part"] == 1 and eff["language_topk"] == 1
    eff = effective_topk(MethodConfig(pool_scaling="ratio"), 2000, 10)  # 3 * 2000 / 4229 = 1.42 -> 1; 500 r = 236
    assert (eff["topk_per_part"], eff["initial_topk"]) == (1, 236)
    eff = effective_topk(MethodConfig(pool_scaling="ratio"), 3600, 10)  # 3 r = 2.55 -> 3
    assert eff["topk_per_part"] == 3
    eff = effective_topk(MethodConfig(pool_scaling="ratio"), 100_000, 10)  # bigger than the reference: capped at the paper
    assert (eff["initial_topk"], eff["language_topk"]) == (500, 50)
    eff = effective_topk(MethodConfig(pool_scaling="ratio"), 200, 2)    # u = descriptors per class, capped at u
    assert eff["language_topk"] == 50


def test_pool_scaled_config_runs_the_effective_values_and_hashes_differently():
    cfg = MethodConfig()
    run = pool_scaled(cfg, 75, 12)
    assert (run.initial_topk, run.language_topk, run.topk_per_part, run.pool_scaling) == (9, 6, 1, "none")
    assert pool_scaled(run, 75, 12) == run            # never scaled twice
    assert run.hash() != cfg.hash()
    assert dataclasses.replace(cfg, foreground_method="image_svd").hash() != cfg.hash()


def test_bad_inputs_are_clear_errors():
    with pytest.raises(ValueError, match="unknown pool_scaling 'sometimes'"):
        effective_topk(MethodConfig(pool_scaling="sometimes"), 75, 12)
    with pytest.raises(ValueError, match="must be >= 1"):
        effective_topk(MethodConfig(), 0, 12)
