"""The site's Replication page shows what ``mkbench reproduce-report`` computes (one computation,
:func:`generator.report.reproduction.reproduce_summaries`): rows beside the paper's Tables 1, 2, 3 with differences
and the inside-interval flag, the Altair scatter with y = x, the sanity verdicts and, per table, what is not computed
here and why; escaped. Checked on the staged pages (no MkDocs build) against the stored numbers."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from benchmarks.synthetic_results import write_synthetic_results
from generator.evaluation.quality import QualityProtocol
from generator.report import reproduction as rp
from generator.report.site import SiteBuilder, SiteOptions

PAPER = Path(__file__).resolve().parents[2] / "data" / "paper"
HOSTILE = '<img src=x onerror=alert(1)> & "q"'


def _iv(lo, hi, key="mean"):
    return {"class": {key: (lo + hi) / 2, "lo": lo, "hi": hi, "unit": "class"},
            "image": {key: (lo + hi) / 2, "lo": lo, "hi": hi, "unit": "image"}}


def fake_paper_model(root: Path) -> Path:
    """Synthetic results of the paper's ViT-B/16 on ImageNet, given quality metrics, Table 2 numbers with their
    intervals and a stored sanity verdict (a "paper model" result the demo cannot produce)."""
    write_synthetic_results(root, datasets=("imagenet",), models=2, classes=3, images=4, overlays=0)
    path = root / "imagenet" / "ViT-B-16__openai" / "summary.json"
    s = json.loads(path.read_text())
    m = s["methods"]["pca"]
    m["quality"] = {"deletion": 2.5, "insertion": 3.0, "acc_drop": 1.6, "acc_inc": 1.8, "n_images": 12}
    m["intervals"] = {**(m.get("intervals") or {}), "deletion": _iv(2.40, 2.55), "insertion": _iv(3.05, 3.30)}
    m["sanity"] = {"random_weights": {"passes": True, "metrics": {"deletion": {
        "diff": -0.4, "lo": -0.6, "hi": -0.2, "passes": True}}}}
    s["augmentation"] = {"transductive": True, "base_top1": 66.0, "augmented_top1": 69.0, "delta": 3.0,
                         "intervals": {"base_top1": _iv(60.0, 70.0), "augmented_top1": _iv(64.0, 72.0),
                                       "delta": _iv(1.0, 2.0, key="diff")}}
    s["evaluation"] = {"protocol": QualityProtocol().describe(224, 5), "random_weights": True}
    path.write_text(json.dumps(s))
    return root


def stage(results: Path, tmp: Path) -> tuple[str, dict]:
    b = SiteBuilder(SiteOptions(results=results, out=tmp / "site", staging=tmp / "staging", n_boot=50, jobs=1,
                                static_charts="none", search=False), log=lambda m: None)
    staging, *_ = b.stage()
    page = (staging / "docs" / "replication.md").read_text()
    frags = json.loads((staging / "fragments" / "replication.md.json").read_text())
    return page + "\n".join(frags), json.loads((staging / "docs" / "tables" / "replication.json").read_text())


def rows_of(text: str) -> dict:
    """{(table, model id, metric, method): [cell texts]} of the page's comparison tables."""
    out = {}
    for key, cells in re.findall(r'<tr data-mk-row="([^"]*)">(.*?)</tr>', text, flags=re.S):
        table, model, metric, method = html.unescape(key).split("|")
        out[(table, model, metric, method)] = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                                               for c in re.findall(r"<td[^>]*>(.*?)</td>", cells, flags=re.S)]
    return out


@pytest.fixture(scope="module")
def paper_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rep")
    results = fake_paper_model(tmp / "results")
    return results, *stage(results, tmp)


def test_rows_match_the_reproduce_report_and_the_stored_numbers(paper_site):
    results, text, download = paper_site
    rows = rows_of(text)
    rep = rp.reproduce(results, PAPER)                      # what `mkbench reproduce-report` computes
    assert len(rows) == len(rep.rows) == len(download["rows"]) and rep.rows
    for r in rep.rows:
        cells = rows[(r.table, r.model_id, r.metric, r.method or "")]
        assert cells[4] == f"{r.ours:.3f}" and cells[6] == f"{r.paper:.3f}" and cells[7] == f"{r.diff:+.3f}"
        assert cells[8] == {None: "–", True: "yes", False: "no"}[r.inside]
    # Table 1, the fake paper model: [2.40, 2.55] holds the paper's deletion 2.460, [3.05, 3.30] its insertion
    # 3.168; AccDrop has no stored interval
    d = rows[("Table 1", "ViT-B-16__openai", "deletion", "pca")]
    assert d[4:] == ["2.500", "[2.400, 2.550]", "2.460", "+0.040", "yes"]
    assert rows[("Table 1", "ViT-B-16__openai", "insertion", "pca")][8] == "yes"
    assert rows[("Table 1", "ViT-B-16__openai", "acc_drop", "pca")][5:] == ["not stored", "1.582", "+0.018", "–"]
    # Table 2 with its stored intervals: base 66 [60, 70] holds 67.93; delta 3.0 [1, 2] does not hold 2.35
    assert rows[("Table 2", "ViT-B-16__openai", "base", "")][4:] == ["66.000", "[60.000, 70.000]", "67.930",
                                                                      "-1.930", "yes"]
    delta = rows[("Table 2", "ViT-B-16__openai", "delta", "")]
    assert delta[4:] == ["3.000", "[1.000, 2.000]", "2.350", "+0.650", "no"]
    assert re.search(r'class="mk-outside"[^>]*>\+0\.650<', text)
    assert ("Table 3", "ViT-B-16__openai", "top1", "") in rows and ("Table 3", "ViT-B-32__openai", "auc", "kmeans") in rows
    assert "data-mk-row=\"Table 6" not in text                               # no Places365 run


def test_page_lists_what_is_not_computed_per_table_and_the_sanity_checks(paper_site):
    results, text, download = paper_site
    rep = rp.reproduce(results, PAPER)
    for t in ("Table 1", "Table 2", "Table 3", "Table 6", "Table 7"):
        block = re.search(rf'data-mk-missing="{t}">(.*?)</ul>', text, flags=re.S)
        assert block, t
        items = re.findall(r"<li>(.*?)</li>", block.group(1), flags=re.S)
        assert len(items) == len(rep.missing_of(t)) > 0
    assert "MM-CBM</strong>: a trained baseline" in text and "CuPL baseline</strong>: not implemented" in text
    assert "neither the data set nor the model's pretrained weights (ViT-L-14/openai)" in html.unescape(text)  # Places365
    assert download["meta"]["not_computed"] == [{"table": m.table, "item": m.item, "reason": m.reason}
                                                for m in rep.missing] and download["meta"]["interval_unit"] == "class"
    assert 'id="mk-replication-sanity"' in text and "random_weights" in text
    assert "## Ours against the paper's" in text and 'class="mk-spec"' in text      # the Altair scatter


def test_scatter_has_the_identity_line_per_panel(paper_site):
    results, *_ = paper_site
    pts = rp.chart_rows(rp.reproduce(results, PAPER))
    diag = [p for p in pts if p["kind"] == "diag"]
    panels = {p["metric"] for p in pts if p["kind"] == "point"}
    assert panels >= {"deletion", "base top-1 (%)", "augmented - base (points)", "MI"}
    assert len(diag) == 2 * len(panels) and all(p["paper"] == p["ours"] for p in diag)
    outside = [p for p in pts if p["kind"] == "point" and p["agreement"] == "paper outside our interval"]
    assert any(p["metric"] == "augmented - base (points)" for p in outside)


def test_no_paper_model_says_which_rows_are_not_computed_and_escapes(tmp_path):
    from tests.fixtures.suites import reference_run
    import shutil

    _, clean = reference_run()                       # tiny random-weights ViT on a "shapes" data set
    results = tmp_path / "results"
    shutil.copytree(clean, results, ignore=shutil.ignore_patterns(".*"))
    summary = next(results.glob("*/*/summary.json"))
    s = json.loads(summary.read_text())
    s["dataset"] = HOSTILE                            # a user string from a results file
    summary.write_text(json.dumps(s))
    text, _ = stage(results, tmp_path)
    assert "data-mk-row" not in text and "No number on this site can be set beside the paper" in text
    for t in ("Table 1", "Table 2", "Table 3", "Table 6", "Table 7"):
        assert f'data-mk-missing="{t}"' in text
    assert "no results on ImageNet val here" in text and "Not computed here" in text
    assert "<img src=x" not in text and "spec §" not in text
