"""The paper's explanation-quality metrics (§4, Table 1: deletion, insertion, AccDrop, AccInc) and the sanity checks
(random parts, random descriptors, a shuffled class's descriptors, the same model with random weights) as stored by the engine
(``generator.evaluation.quality`` / ``baselines``), turned into rows for the leaderboard page, with the declared
protocol printed beside them. Reads stored numbers only (nothing is re-derived)."""
from __future__ import annotations

QUALITY_METRICS = (("deletion", "Deletion", "lower is better"), ("insertion", "Insertion", "higher is better"),
                   ("acc_drop", "AccDrop", "lower is better"), ("acc_inc", "AccInc", "higher is better"))
SANITY_CHECKS = (("random_parts", "random parts of the same sizes"),
                 ("random_descriptors", "random pool descriptors"),
                 ("shuffled_class", "another class's descriptors"),
                 ("random_weights", "the same model with random weights"))


def _interval(intervals: dict | None, metric: str) -> tuple[float, float] | None:
    iv = ((intervals or {}).get(metric) or {}).get("class") or ((intervals or {}).get(metric) or {}).get("image")
    return (iv["lo"], iv["hi"]) if iv and iv.get("lo") is not None and iv.get("hi") is not None else None


def quality_rows(ds) -> list[dict]:
    """One row per model and part method that has quality metrics: values with their by-class intervals, and per
    sanity check whether the method beats it (None when the check was not computed)."""
    rows = []
    for mv in ds.models:
        for method in ds.methods:
            m = mv.run.summary.methods.get(method)
            if m is None or not m.quality:
                continue
            values = {k: (m.quality.get(k), _interval(m.intervals, k)) for k, _, _ in QUALITY_METRICS}
            sanity = {b: (bool(v.get("passes")) if isinstance(v, dict) and "passes" in v else None)
                      for b, v in ((b, (m.sanity or {}).get(b)) for b, _ in SANITY_CHECKS)}
            rows.append({"mv": mv, "method": method, "values": values, "sanity": sanity,
                         "n_images": m.quality.get("n_images")})
    return rows


def quality_protocol(ds) -> dict | None:
    """The declared protocol of the first run that stores one (every run of a build uses the engine's)."""
    for mv in ds.models:
        ev = mv.run.summary.evaluation or {}
        if ev.get("protocol"):
            return ev["protocol"]
    return None
