"""Grounding parts to descriptors -> D_v (spec §2.3.2-7; official ``sinkhorn_knopp``,
``get_corresponding_textual_concepts`` and ``get_relevance_score``).

Per image, with the L parts' prompt embeddings (mean of the 3 prompt embeddings, not renormalised):

1. logits Ĉ = part_embeds @ W_descᵀ (L × N), W_desc = "a photo showing {d}" embeddings.
2. With OT (``cfg.use_ot``): the top-``initial_topk`` descriptors of each part, **intersected** across the
   image's parts; optionally the relevance filter keeps the candidates whose raw-text cosine with the whole
   image exceeds mean − ``mean_offset``; Sinkhorn on ``ot_scale`` · Ĉ[:, candidates]; the top
   ``topk_per_part`` entries of each row of the plan. Without OT: the top ``topk_per_part`` of the raw logits.
3. Importance: flatten the parts' descriptors, de-duplicate (first part wins), score each by
   ``importance_scale`` · cos(image, raw descriptor) (CLIPScore's 2.5), sort descending (stable) -> D_v.

**What the official Sinkhorn computes.** ``P = exp(C·ε)`` with ε = 1/λ, then 1000 times
``P /= P.sum(dim=1, keepdim=True)`` (rows sum to 1) and ``P /= P.sum(dim=0, keepdim=True)`` (columns sum
to 1). ``keepdim=True`` makes both steps proper per-row / per-column scalings even for a non-square
L × K plan. (Written without ``keepdim``, as in the spec's paraphrase ``P /= P.sum(1)``, the (L,) row
sums would broadcast along the last axis: an error when L ≠ K and a silent per-column division by row
sums when L = K. The official code has ``keepdim=True``, so neither happens.) The two marginals (1 per row, 1 per column) have different totals (L vs K)
when L ≠ K, so no plan satisfies both: the iterates converge to the plan with column sums 1 and *uniform*
row sums K/L (the fixed point of the pair of steps), which is what is returned after the final column
step. For a square matrix this is the doubly-stochastic Sinkhorn-Knopp scaling. Row-wise top-k is
invariant to the row scaling, so only the column scaling (each descriptor's mass shared among the
parts) changes the choice: a descriptor that every part likes is split between them, which is how OT
stops parts from collapsing onto one descriptor.

Implementation choices (same result as the official code up to rounding):

* the iterations run on the CPU in float64 (the plan is at most L × initial_topk); on CUDA
  :func:`ground_batch` runs the plans of a whole class batch together on the device (:func:`sinkhorn_batched`,
  zero-padded, float64), which is the same computation per image; each row of exp(C·ε)
  is first divided by its maximum (cancelled exactly by the first row normalisation), and when the
  spread of C·ε exceeds 200 (a tiny λ) they run in the log domain (``logsumexp``), so ``exp`` can neither
  overflow nor underflow a whole column;
* ``tol`` (optional, off by default as in the official code) stops early once no entry of the plan changes
  by more than ``tol`` between two iterations;
* candidates are kept in ascending id order (the official code iterates a Python ``set``) and every top-k
  uses a stable sort, so ties go to the lower descriptor id: results are deterministic.

Edge cases the official code does not handle (it would crash or return arbitrary ties), recorded in
``Grounding.fallback``:

* ``"empty-intersection"``: the parts' top-``initial_topk`` sets share nothing (or the relevance filter
  removed every candidate; impossible with ``mean_offset >= 0``). Grounding falls back to the no-OT rule,
  top-``topk_per_part`` of each part's raw logits over the whole pool.
* ``"single-part"``: with L = 1, column normalisation turns every entry of the plan into 1 (nothing to
  transport against), so the official top-k is an arbitrary tie-break. The single part's candidates are
  ranked by their logits instead (candidate restriction and relevance filter still apply).
* fewer candidates than ``topk_per_part``: each part gets all candidates.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Grounding:
    per_part: dict[int, list[int]]  # part id -> descriptor ids (top-3 of its OT row, de-duplicated)
    ordered: list[int]              # D_v: unique descriptor ids, by importance, descending
    scores: list[float]             # importance of each id in ``ordered``: 2.5 * cos(image, raw descriptor)
    part_of: list[int]              # part id each ordered descriptor came from (first part that chose it)
    fallback: str | None = None     # None, "empty-intersection" or "single-part" (see module doc)
    n_candidates: int | None = None  # descriptors left for OT after intersection and relevance filter


_LOG_DOMAIN_RANGE = 200.0  # above this spread of cost/lam (nats), iterate in the log domain


def sinkhorn(cost: torch.Tensor, lam: float = 1.0, iters: int = 1000, tol: float | None = None,
             info: dict | None = None) -> torch.Tensor:
    """P = exp(cost / lam); alternate row then column normalisation ``iters`` times.

    Returns the plan after the final column step (columns sum to 1; rows converge to K/L each, see the
    module doc) in ``cost``'s dtype and device. With ``tol``, stops once the plan changes by at most
    ``tol`` (max absolute difference); ``info["iters"]`` receives the number of iterations run.
    """
    if cost.ndim != 2:
        raise ValueError(f"sinkhorn: cost must be 2-D, got shape {tuple(cost.shape)}")
    if lam <= 0:
        raise ValueError(f"sinkhorn: lambda must be > 0, got {lam}")
    scaled = cost.detach().to("cpu", torch.float64) / lam   # tiny matrix: CPU float64 beats 1000 GPU launches
    log_domain = scaled.numel() > 0 and float(scaled.max() - scaled.min()) > _LOG_DOMAIN_RANGE
    if log_domain:
        step = _log_step
        state = scaled
    else:
        step = _step
        state = torch.exp(scaled - scaled.max(dim=1, keepdim=True).values)  # the shift cancels in step 1
    done = 0
    prev = None
    for done in range(1, iters + 1):
        state = step(state)
        if tol is not None:
            plan = state.exp() if log_domain else state
            if prev is not None and float((plan - prev).abs().max()) <= tol:
                break
            prev = plan
    if info is not None:
        info["iters"] = done
    plan = state.exp() if log_domain else state
    return plan.to(device=cost.device, dtype=cost.dtype)


def _step(p: torch.Tensor) -> torch.Tensor:
    p = p / p.sum(dim=1, keepdim=True)
    return p / p.sum(dim=0, keepdim=True)


def _log_step(lp: torch.Tensor) -> torch.Tensor:
    lp = lp - torch.logsumexp(lp, dim=1, keepdim=True)
    return lp - torch.logsumexp(lp, dim=0, keepdim=True)


def _top(values: torch.Tensor, k: int) -> torch.Tensor:
    """Indices of the k largest entries of each row, descending, ties to the lower index."""
    return torch.sort(values, dim=-1, descending=True, stable=True).indices[..., :k]


def _dedup(ids) -> list[int]:
    return list(dict.fromkeys(int(i) for i in ids))


def candidates(logits: torch.Tensor, image_embed: torch.Tensor, desc_raw: torch.Tensor, cfg) -> torch.Tensor:
    """Ascending descriptor ids in every part's top-``initial_topk`` that pass the relevance filter."""
    k = min(cfg.initial_topk, logits.shape[1])
    top = _top(logits, k)
    keep = torch.ones(logits.shape[1], dtype=torch.bool, device=logits.device)
    for row in top:
        in_row = torch.zeros_like(keep)
        in_row[row] = True
        keep &= in_row
    common = torch.nonzero(keep).flatten()
    if cfg.relevance_filter and len(common):
        rel = desc_raw[common].float() @ image_embed.float()
        common = common[rel > rel.mean() - cfg.mean_offset]
    return common


def sinkhorn_batched(costs: list[torch.Tensor], lam: float = 1.0, iters: int = 1000) -> list[torch.Tensor]:
    """:func:`sinkhorn` of several cost matrices at once on their device (CUDA: 4 kernels per iteration for the
    whole class batch instead of per image), float64. The (L_i, K_i) matrices are zero-padded to (max L, max K);
    padded entries stay 0 and add nothing to any row or column sum, so every real entry follows exactly the
    iterations of its own matrix (up to float64 rounding). Not for the log domain or ``tol`` (use :func:`sinkhorn`)."""
    if not costs:
        return []
    device = costs[0].device
    L, K = max(c.shape[0] for c in costs), max(c.shape[1] for c in costs)
    p = torch.zeros((len(costs), L, K), dtype=torch.float64, device=device)
    for i, c in enumerate(costs):
        scaled = c.detach().to(device, torch.float64) / lam
        p[i, :c.shape[0], :c.shape[1]] = torch.exp(scaled - scaled.max(dim=1, keepdim=True).values)
    tiny = torch.finfo(torch.float64).tiny
    for _ in range(iters):
        p = p / p.sum(dim=2, keepdim=True).clamp_min(tiny)
        p = p / p.sum(dim=1, keepdim=True).clamp_min(tiny)
    return [p[i, :c.shape[0], :c.shape[1]].to(c.dtype) for i, c in enumerate(costs)]


def _ot_cost(part_embeds, image_embed, desc_prompted, desc_raw, cfg) -> torch.Tensor | None:
    """The Sinkhorn input :func:`ground` would build for this image, or None when it runs no Sinkhorn."""
    if not cfg.use_ot or part_embeds.shape[0] < 2:
        return None
    device = part_embeds.device
    logits = part_embeds.float() @ desc_prompted.to(device).float().T
    common = candidates(logits, image_embed.to(device).float().flatten(), desc_raw.to(device).float(), cfg)
    return cfg.ot_scale * logits[:, common] if len(common) else None


def ground_batch(items: list, desc_prompted: torch.Tensor, desc_raw: torch.Tensor, cfg) -> list:
    """:func:`ground` for every ``(part_embeds, part_ids, image_embed)`` of a class batch (None where an image has no
    part). On CUDA the Sinkhorn plans of the batch are computed together (:func:`sinkhorn_batched`); on the CPU, or
    with the log domain or ``sinkhorn_tol`` in play, each image runs :func:`sinkhorn` as before."""
    out = [None] * len(items)
    plans: dict[int, torch.Tensor] = {}
    live = [i for i, it in enumerate(items) if it is not None and len(it[1])]
    if live and items[live[0]][0].is_cuda and cfg.sinkhorn_tol is None:
        costs = {i: _ot_cost(items[i][0], items[i][2], desc_prompted, desc_raw, cfg) for i in live}
        costs = {i: c for i, c in costs.items() if c is not None and c.numel()
                 and float(c.max() - c.min()) / cfg.sinkhorn_lambda <= _LOG_DOMAIN_RANGE}
        keys = list(costs)
        plans = dict(zip(keys, sinkhorn_batched([costs[i] for i in keys], cfg.sinkhorn_lambda, cfg.sinkhorn_iters)))
    for i in live:
        part_embeds, part_ids, image_embed = items[i]
        ot = (lambda sub, plan=plans[i]: plan) if i in plans else None
        out[i] = ground(part_embeds, part_ids, image_embed, desc_prompted, desc_raw, cfg, ot=ot)
    return out


def ground(part_embeds: torch.Tensor, part_ids: list[int], image_embed: torch.Tensor,
           desc_prompted: torch.Tensor, desc_raw: torch.Tensor, cfg, ot=None) -> Grounding:
    """part_embeds (L,D) mean of the prompt embeddings (not renormalised); image_embed (D,) normalised;
    desc_prompted/desc_raw (N,D) normalised; cfg a MethodConfig. ``ot(cost) -> plan`` replaces :func:`sinkhorn`
    (:func:`ground_batch` passes the plan it computed for the batch)."""
    part_ids = [int(p) for p in part_ids]
    if part_embeds.ndim != 2 or part_embeds.shape[0] != len(part_ids):
        raise ValueError(f"ground: part_embeds {tuple(part_embeds.shape)} does not match {len(part_ids)} part ids")
    if desc_prompted.shape != desc_raw.shape or desc_prompted.shape[1] != part_embeds.shape[1]:
        raise ValueError(f"ground: descriptor embeddings {tuple(desc_prompted.shape)} / {tuple(desc_raw.shape)} "
                         f"do not match the part embeddings' dimension {part_embeds.shape[1]}")
    if not part_ids:
        return Grounding({}, [], [], [])
    device = part_embeds.device
    desc_prompted, desc_raw = desc_prompted.to(device).float(), desc_raw.to(device).float()
    image_embed = image_embed.to(device).float().flatten()
    logits = part_embeds.float() @ desc_prompted.T                       # (L, N) cosine-scaled logits
    k = cfg.topk_per_part
    fallback, n_cand = None, None
    if cfg.use_ot:
        common = candidates(logits, image_embed, desc_raw, cfg)
        n_cand = len(common)
        if n_cand == 0:
            fallback = "empty-intersection"
            rows = _top(logits, k)
        else:
            sub = cfg.ot_scale * logits[:, common]
            if len(part_ids) == 1:
                fallback = "single-part"
                plan = sub
            else:
                plan = (ot(sub) if ot is not None
                        else sinkhorn(sub, cfg.sinkhorn_lambda, cfg.sinkhorn_iters, cfg.sinkhorn_tol))
            rows = common[_top(plan, min(k, n_cand))]
    else:
        rows = _top(logits, k)
    per_part = {pid: _dedup(row.tolist()) for pid, row in zip(part_ids, rows)}
    first_part: dict[int, int] = {}
    for pid in part_ids:
        for d in per_part[pid]:
            first_part.setdefault(d, pid)
    ids = list(first_part)
    raw_scores = (cfg.importance_scale * (desc_raw[ids] @ image_embed)).tolist()
    order = sorted(range(len(ids)), key=lambda i: raw_scores[i], reverse=True)   # stable
    ordered = [ids[i] for i in order]
    return Grounding(per_part=per_part, ordered=ordered, scores=[float(raw_scores[i]) for i in order],
                     part_of=[first_part[d] for d in ordered], fallback=fallback, n_candidates=n_cand)
