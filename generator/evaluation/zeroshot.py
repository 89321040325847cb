"""Zero-shot classification accuracy (spec §2.0; paper Table 3 "Top-1": the template-ensemble classifier with
the Resize-only transform). Predictions come from :func:`generator.method.explain.zero_shot`."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from generator.results.metrics import top1 as top1_of


def top1(predictions: Sequence[int], labels: Sequence[int]) -> float:
    """Top-1 accuracy in % (0.0 for no images)."""
    p, y = np.asarray(predictions), np.asarray(labels)
    if p.shape != y.shape:
        raise ValueError(f"top1: {p.shape[0] if p.ndim else 0} predictions for {y.shape[0] if y.ndim else 0} labels")
    return top1_of((p == y).tolist())


def topk(logits: np.ndarray, labels: Sequence[int], k: int = 5) -> float:
    """Top-k accuracy in % from (n, n_classes) scores."""
    logits, y = np.asarray(logits), np.asarray(labels)
    if len(y) == 0:
        return 0.0
    k = min(k, logits.shape[1])
    best = np.argsort(-logits, axis=1, kind="stable")[:, :k]
    return float(100.0 * (best == y[:, None]).any(axis=1).mean())
