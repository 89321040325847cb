"""Mutual information between vision and language concepts and MI dynamics (spec §2.5-2.6;
paper §3.2-3.3, Eq. 1 and App. B Eq. 9; official ``get_intersection`` / ``get_deletion_score`` /
``get_mean_scores`` / ``get_statistics``).

The implemented score follows the official code and App. B: ``MI = log Lv + log LT + H(X, Y)`` where
the joint distribution is the normalised contingency table of exact descriptor-id matches, and MI = 0
when nothing matches. Since both sets hold unique ids this equals ``log(Lv * LT * m)`` for m >= 1
matches. (Eq. 1 of the main text writes ``-H(X,Y)``; the paper's numbers need ``+``.)

The aggregation of the image curves into class and data-set numbers (zero-padded mean curves, MI = point 0, AUC =
mean of the curve) is a formula of the stored results: :mod:`generator.results.metrics`.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

_EPS = 1e-9
DUMMY = -1  # an id that matches nothing: ids are >= 0


def mutual_information(x: Sequence[int], y: Sequence[int]) -> float:
    """The paper's discrete MI between concept-id lists ``x`` (vision) and ``y`` (language)."""
    if len(x) == 0 or len(y) == 0:
        return 0.0
    xa = np.asarray(x)
    ya = np.asarray(y)
    table = (xa[:, None] == ya[None, :]) & (xa[:, None] != DUMMY)
    total = table.sum()
    if total == 0:
        return 0.0
    p = table[table].astype(np.float64) / total  # only non-zero cells contribute
    joint_entropy = float(-(p * np.log(p + _EPS)).sum())
    return float(np.log(len(xa)) + np.log(len(ya)) + joint_entropy)


def mi_curve(x_ordered: Sequence[int], y: Sequence[int]) -> list[float]:
    """MI dynamics: replace the most important remaining concept with a dummy, one at a time.

    ``x_ordered`` is D_v in descending importance. The curve has ``len(x) + 1`` points; |X| stays
    ``len(x)`` throughout (dummy replacement, not deletion) and the last point is 0.
    """
    x = list(x_ordered)
    curve = [mutual_information(x, y)]
    for i in range(len(x)):
        x[i] = DUMMY
        curve.append(mutual_information(x, y))
    return curve
