"""Grounding: Sinkhorn, candidate intersection, relevance filter, OT top-k, importance (spec §2.3.2-7)."""
from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn.functional as F

from generator.method.config import MethodConfig
from generator.method import grounding
from generator.method.grounding import candidates, ground, sinkhorn


def _official_sinkhorn(C, epsilon, iters=1000):
    """The official loop, transcribed from spec §2.3.5, in float64."""
    P = torch.exp(C.double() * epsilon)
    for _ in range(iters):
        P /= P.sum(dim=1, keepdim=True)
        P /= P.sum(dim=0, keepdim=True)
    return P


def _cfg(**kw):
    return dataclasses.replace(MethodConfig(), **kw)


def _basis(n):
    """Descriptors as the standard basis, so logits equal the rows of part_embeds exactly."""
    return torch.eye(n)


# --- sinkhorn ---------------------------------------------------------------------------------------

def test_sinkhorn_matches_official_loop():
    g = torch.Generator().manual_seed(1)
    for L, K in [(5, 40), (3, 3)]:
        C = 2.5 * (torch.rand(L, K, generator=g) * 0.4 - 0.1)
        for lam in (1.0, 0.5):
            torch.testing.assert_close(sinkhorn(C.double(), lam=lam, iters=300), _official_sinkhorn(C, 1 / lam, 300))


def test_sinkhorn_marginals_non_square():
    g = torch.Generator().manual_seed(2)
    C = 2.5 * torch.rand(5, 40, generator=g, dtype=torch.float64)
    P = sinkhorn(C)
    assert P.dtype == torch.float64 and (P > 0).all()
    torch.testing.assert_close(P.sum(0), torch.ones(40, dtype=torch.float64))       # final column step
    torch.testing.assert_close(P.sum(1), torch.full((5,), 40 / 5, dtype=torch.float64))  # uniform K/L rows


def test_sinkhorn_square_is_doubly_stochastic():
    g = torch.Generator().manual_seed(3)
    P = sinkhorn(2.5 * torch.rand(6, 6, generator=g, dtype=torch.float64))
    torch.testing.assert_close(P.sum(0), torch.ones(6, dtype=torch.float64))
    torch.testing.assert_close(P.sum(1), torch.ones(6, dtype=torch.float64))


def test_sinkhorn_keeps_dtype_and_is_stable_for_small_lambda():
    C = torch.tensor([[2.5, -2.5, 0.0], [1.0, 2.0, -1.0]])
    P = sinkhorn(C, lam=0.001, iters=50)  # spread 5000 nats: log-domain path
    assert P.dtype == torch.float32 and torch.isfinite(P).all()
    torch.testing.assert_close(P.sum(0), torch.ones(3))


def test_log_domain_path_agrees_with_direct(monkeypatch):
    C = 2.5 * torch.rand(3, 7, dtype=torch.float64)
    direct = sinkhorn(C, iters=200)
    monkeypatch.setattr(grounding, "_LOG_DOMAIN_RANGE", 0.0)
    torch.testing.assert_close(sinkhorn(C, iters=200), direct)


def test_sinkhorn_tol_same_top3_as_1000_iterations():
    g = torch.Generator().manual_seed(4)
    fewer = 0
    for _ in range(15):
        L = int(torch.randint(2, 6, (1,), generator=g))
        K = int(torch.randint(3, 120, (1,), generator=g))
        C = 2.5 * (0.15 + 0.15 * torch.rand(L, K, generator=g))  # CLIP-like cosines
        info = {}
        fast = sinkhorn(C, tol=1e-7, info=info)
        full = sinkhorn(C)
        k = min(3, K)
        assert torch.equal(fast.topk(k, dim=1).indices, full.topk(k, dim=1).indices)
        fewer += info["iters"] < 1000
    assert fewer > 10  # early stopping actually happens


def test_sinkhorn_info_counts_all_iterations_without_tol():
    info = {}
    sinkhorn(torch.rand(2, 3), iters=17, info=info)
    assert info["iters"] == 17


# --- ground -----------------------------------------------------------------------------------------

def test_ot_spreads_parts_that_collapse_onto_one_descriptor():
    logits = torch.tensor([[0.30, 0.29, 0.10, 0.10],
                           [0.31, 0.20, 0.28, 0.10],
                           [0.32, 0.10, 0.10, 0.27]])
    image = F.normalize(torch.ones(4), dim=0)
    args = (logits, [0, 1, 2], image, _basis(4), _basis(4))
    plain = ground(*args, _cfg(use_ot=False, topk_per_part=1))
    assert plain.per_part == {0: [0], 1: [0], 2: [0]}      # all collapse onto descriptor 0
    ot = ground(*args, _cfg(topk_per_part=1, relevance_filter=False))
    assert ot.per_part == {0: [1], 1: [2], 2: [3]}          # OT gives each part its own descriptor
    assert ot.fallback is None and ot.n_candidates == 4


def test_candidates_are_intersection_of_topk():
    logits = torch.tensor([[0.9, 0.8, 0.7, 0.1, 0.0],
                           [0.0, 0.8, 0.9, 0.7, 0.1]])
    cfg = _cfg(initial_topk=3, relevance_filter=False)
    common = candidates(logits, torch.ones(5), _basis(5), cfg)
    assert common.tolist() == [1, 2]
    g = ground(logits, [7, 9], F.normalize(torch.ones(5), dim=0), _basis(5), _basis(5), cfg)
    assert g.n_candidates == 2
    assert all(set(v) <= {1, 2} and len(v) == 2 for v in g.per_part.values())   # fewer than 3 candidates


def test_relevance_filter_drops_descriptors_unrelated_to_the_image():
    logits = torch.tensor([[0.30, 0.20, 0.25, 0.22],
                           [0.31, 0.21, 0.24, 0.23]])
    # raw-descriptor relevance to the image: descriptor 0 is far below the mean
    image = F.normalize(torch.tensor([0.05, 0.5, 0.5, 0.5]), dim=0)
    base = dict(initial_topk=4, topk_per_part=1)
    on = ground(logits, [0, 1], image, _basis(4), _basis(4), _cfg(**base))
    off = ground(logits, [0, 1], image, _basis(4), _basis(4), _cfg(relevance_filter=False, **base))
    assert on.n_candidates == 3 and 0 not in on.ordered
    assert off.n_candidates == 4 and 0 in off.ordered
    rel = image  # relevance = image components with basis descriptors
    thr = rel.mean() - 0.02
    assert candidates(logits, image, _basis(4), _cfg(**base)).tolist() == torch.nonzero(rel > thr).flatten().tolist()


def test_importance_ordering_and_part_of():
    torch.manual_seed(0)
    N, D = 30, 16
    desc_p = F.normalize(torch.randn(N, D), dim=1)
    desc_r = F.normalize(desc_p + 0.3 * torch.randn(N, D), dim=1)
    image = F.normalize(torch.randn(D), dim=0)
    parts = F.normalize(torch.randn(4, D), dim=1)
    g = ground(parts, [3, 0, 4, 1], image, desc_p, desc_r, _cfg(initial_topk=N, use_ot=False))
    assert len(g.ordered) == len(set(g.ordered)) <= 12
    assert g.scores == sorted(g.scores, reverse=True)
    torch.testing.assert_close(torch.tensor(g.scores), 2.5 * (desc_r[g.ordered] @ image))
    assert set(g.ordered) == {d for v in g.per_part.values() for d in v}
    for d, p in zip(g.ordered, g.part_of):
        firsts = [q for q in [3, 0, 4, 1] if d in g.per_part[q]]
        assert p == firsts[0]
    # without OT: top-3 of the raw logits per part
    logits = parts @ desc_p.T
    for row, pid in enumerate([3, 0, 4, 1]):
        assert g.per_part[pid] == logits[row].topk(3).indices.tolist()


def test_empty_intersection_falls_back_to_raw_topk():
    logits = torch.tensor([[0.9, 0.8, 0.0, 0.0, 0.1],
                           [0.0, 0.0, 0.9, 0.8, 0.1]])
    g = ground(logits, [0, 1], F.normalize(torch.ones(5), dim=0), _basis(5), _basis(5),
               _cfg(initial_topk=2, topk_per_part=2))
    assert g.fallback == "empty-intersection" and g.n_candidates == 0
    assert g.per_part == {0: [0, 1], 1: [2, 3]}


def test_single_part_ranks_candidates_by_logits():
    logits = torch.tensor([[0.1, 0.5, 0.3, 0.4, 0.2]])
    g = ground(logits, [2], F.normalize(torch.ones(5), dim=0), _basis(5), _basis(5), _cfg(relevance_filter=False))
    assert g.fallback == "single-part" and g.per_part == {2: [1, 3, 2]}


def test_no_parts():
    g = ground(torch.zeros(0, 4), [], torch.ones(4), _basis(4), _basis(4), MethodConfig())
    assert (g.per_part, g.ordered, g.scores, g.part_of) == ({}, [], [], [])


def test_deterministic_with_ties():
    logits = torch.full((3, 8), 0.25)  # all tied
    image = F.normalize(torch.ones(8), dim=0)
    runs = [ground(logits, [0, 1, 2], image, _basis(8), _basis(8), MethodConfig()) for _ in range(2)]
    assert runs[0] == runs[1]
    assert runs[0].per_part[0] == [0, 1, 2]  # ties go to the lower id


def test_realistic_sizes_and_cfg_values_are_used():
    torch.manual_seed(1)
    N, D = 400, 32
    desc_p = F.normalize(torch.randn(N, D), dim=1)
    desc_r = F.normalize(desc_p + 0.5 * torch.randn(N, D), dim=1)
    core = torch.randn(D)
    parts = torch.stack([F.normalize(core + 0.7 * torch.randn(D), dim=0) for _ in range(5)])
    image = F.normalize(core, dim=0)
    g = ground(parts, list(range(5)), image, desc_p, desc_r, _cfg(initial_topk=200))
    assert g.fallback is None and 0 < g.n_candidates < 200
    assert all(len(v) == 3 for v in g.per_part.values()) and len(g.ordered) <= 15
    g2 = ground(parts, list(range(5)), image, desc_p, desc_r, _cfg(initial_topk=200, topk_per_part=2))
    assert all(len(v) == 2 for v in g2.per_part.values())
    plain = ground(parts, list(range(5)), image, desc_p, desc_r, _cfg(initial_topk=200, use_ot=False))
    assert len(set(g.ordered)) >= len(set(plain.ordered))  # OT does not reduce diversity here


def test_shape_errors():
    with pytest.raises(ValueError, match="part ids"):
        ground(torch.zeros(2, 4), [0], torch.ones(4), _basis(4), _basis(4), MethodConfig())
    with pytest.raises(ValueError, match="dimension"):
        ground(torch.zeros(1, 3), [0], torch.ones(4), _basis(4), _basis(4), MethodConfig())
