"""The leaderboard shows the paper's quality metrics with the declared protocol and, per model and part method,
whether the method beats each sanity baseline — the stored numbers, not re-derived ones (issue 9 items 1-2)."""
from __future__ import annotations

import json
import re

from generator.report.quality import QUALITY_METRICS, SANITY_CHECKS


def _rows(html: str) -> list[list[str]]:
    table = html[html.index('id="mk-quality"'):]
    table = table[:table.index("</table>")]
    return [[" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S) if "<td" in tr]


def test_quality_table_matches_the_stored_metrics_and_verdicts(built_site):
    html = (built_site["site"] / "demo" / "index.html").read_text()
    assert "Protocol: region =" in html and "AUC rule = trapezoid-unit-step" in html
    rows = _rows(html)
    expected = []
    for path in sorted((built_site["results"] / "demo").glob("*/summary.json")):
        s = json.loads(path.read_text())
        for method in ("pca", "kmeans"):
            m = s["methods"].get(method) or {}
            if not m.get("quality"):
                continue
            values = [f"{m['quality'][k]:.2f}" for k, _, _ in QUALITY_METRICS]
            verdicts = ["–" if b not in (m.get("sanity") or {}) else ("yes" if m["sanity"][b]["passes"] else "no")
                        for b, _ in SANITY_CHECKS]
            expected.append((values, verdicts))
    assert expected, "the demo results of the site fixture carry quality metrics"
    got = [([c.split(" [")[0] for c in r[2:6]], r[6:6 + len(SANITY_CHECKS)]) for r in rows]
    assert sorted(got) == sorted(expected)


def test_the_trained_demo_model_has_a_random_weights_verdict(built_site):
    """The shipped demo model (trained) gets the paired random-weights check; the tiny random-weights models do not."""
    verdicts = {}
    for path in sorted((built_site["results"] / "demo").glob("*/summary.json")):
        s = json.loads(path.read_text())
        verdicts[s["model_id"], s["untrained"]] = "random_weights" in (s["methods"]["pca"].get("sanity") or {})
    assert any(v for (_, untrained), v in verdicts.items() if not untrained)
    assert not any(v for (_, untrained), v in verdicts.items() if untrained)
