"""The built site (from results the engine wrote): pages, tables, downloads, links, offline-ness, escaping,
version stamps, and that the build imported no model code."""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from tests.report.engine_results import HOSTILE_CLASSES, HOSTILE_DESCRIPTORS
from tests.report.htmlscan import pages, scan

MODELS = ("tiny-rn-untrained", "tiny-vit-untrained")


def test_build_imports_no_model_code(built_site):
    assert built_site["heavy"] == []


def test_expected_pages_exist(built_site):
    site = built_site["site"]
    for rel in ["index.html", "paper.html", "cite.html", "shapes/index.html", "shapes/charts.html",
                "shapes/classes/index.html", "shapes/compare/index.html",
                f"shapes/compare/{MODELS[0]}--{MODELS[1]}.html"] + [f"shapes/models/{m}.html" for m in MODELS]:
        assert (site / rel).is_file(), rel
    class_pages = [p for p in (site / "shapes" / "classes").glob("*.html") if p.name != "index.html"]
    assert len(class_pages) == len(HOSTILE_CLASSES)


def test_leaderboard_rows_intervals_and_downloads(built_site):
    site = built_site["site"]
    html = (site / "shapes" / "index.html").read_text()
    body = html.split('id="mk-leaderboard"')[1].split("</table>")[0]
    assert body.count("<tr data-family=") == 2
    assert len(re.findall(r'class="mk-ci"', body)) == 2 * 5  # top-1, MI and AUC for PCA and K-means
    summary = json.loads((built_site["results"] / "shapes" / "tiny-vit__untrained" / "summary.json").read_text())
    rows = list(csv.DictReader(io.StringIO((site / "shapes" / "tables" / "leaderboard.csv").read_text())))
    row = next(r for r in rows if r["model_id"] == "tiny-vit__untrained")
    assert float(row["auc.pca"]) == summary["methods"]["pca"]["auc"]
    auc, tol = float(row["auc.pca"]), 1e-12 * abs(float(row["auc.pca"]))   # the interval's resampled means are
    assert float(row["auc.pca.lo"]) - tol <= auc <= float(row["auc.pca.hi"]) + tol  # summed in another order
    assert row["family"] == "ViT" and row["params_m"]
    doc = json.loads((site / "shapes" / "tables" / "leaderboard.json").read_text())
    assert len(doc["rows"]) == 2 and doc["meta"]["dataset"] == "shapes"
    tex = (site / "shapes" / "tables" / "leaderboard.tex").read_text()
    assert "\\begin{tabular}" in tex and tex.count("\\\\") >= 3


def test_class_table_latex_is_escaped(built_site):
    tex = (built_site["site"] / "shapes" / "tables" / "classes-tiny-vit-untrained.tex").read_text()
    assert r"50\% of \$5 \#1 \{x\} \textasciitilde{}y \textasciicircum{}z \textbackslash{}triangle" in tex
    assert r"\textless{}img src=x onerror=alert(\textquotedbl{}cls\textquotedbl{})\textgreater{}" in tex


def test_no_external_urls_in_scripts_styles_images(built_site):
    bad = []
    for page in pages(built_site["site"]):
        for tag, attrs in scan(page).tags:
            url = attrs.get("src") if tag in ("script", "img", "source", "iframe") else \
                attrs.get("href") if tag == "link" else None
            if url and (urlparse(url).scheme in ("http", "https") or url.startswith("//")):
                bad.append((page.name, tag, url))
    assert bad == []


def test_local_links_resolve(built_site):
    site = built_site["site"]
    missing = []
    for page in pages(site):
        if page.name == "404.html":  # MkDocs writes it with root-absolute links on purpose
            continue
        for tag, attrs in scan(page).tags:
            url = attrs.get("href") if tag in ("a", "link") else attrs.get("src") if tag in ("img", "script") else None
            if not url or urlparse(url).scheme or url.startswith(("#", "//", "mailto:")):
                continue
            target = (page.parent / unquote(url.split("#")[0])).resolve()
            if url.split("#")[0] and not target.exists():
                missing.append((str(page.relative_to(site)), url))
    assert missing == []


def test_results_text_is_escaped_everywhere(built_site):
    site = built_site["site"]
    hits = []
    for page in pages(site):
        t = scan(page)
        for tag, attrs in t.tags:
            if "onerror" in attrs or (tag == "a" and "evil.example" in attrs.get("href", "")):
                hits.append((page.name, tag, attrs))
        hits += [(page.name, "script", s[:60]) for s in t.scripts if 'alert("' in s]
    assert hits == []
    # the names and descriptors are shown as text, unchanged
    text = " ".join(scan(site / "shapes" / "classes" / "index.html").text)
    for name in HOSTILE_CLASSES.values():
        assert name in text
    class_page = site / "shapes" / "classes" / "img-src-x-onerror-alert-cls.html"
    t = scan(class_page)
    h1 = class_page.read_text().split("<h1")[1].split("</h1>")[0]
    assert "&lt;img src=x onerror=alert(" in h1
    assert any(d in " ".join(t.text) for d in HOSTILE_DESCRIPTORS)
    title = class_page.read_text().split("<title>")[1].split("</title>")[0]
    assert "<img" not in title


def test_markdown_syntax_in_names_stays_literal(built_site):
    page = built_site["site"] / "shapes" / "classes" / "a-bold-square-link-http-evil-example-co.html"
    h1 = page.read_text().split("<h1")[1].split("</h1>")[0]
    assert "<em>" not in h1 and "<strong>" not in h1 and "*bold*" in h1 and "[link]" in h1


def test_class_page_has_overlays_legends_and_curve(built_site):
    site = built_site["site"]
    page = site / "shapes" / "classes" / "50-of-5-1-x-y-z-triangle.html"
    t = scan(page)
    imgs = [a for tag, a in t.tags if tag == "img" and "/overlays/" in a.get("src", "")]
    bases = [a["src"] for a in imgs if "mk-base" in a.get("class", "")]
    assert len(bases) == 2 * 2 * 2  # 2 models x 2 example images x 2 methods
    originals = [a["src"] for a in imgs if "mk-px" == a.get("class", "")]
    assert len(originals) == 2 * 2 and not any("mk-mask" in a.get("class", "") for a in imgs)  # no masks here
    for a in imgs:
        data = (page.parent / a["src"]).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    html = page.read_text()
    assert html.count('class="mk-swatch"') >= len(bases)
    assert html.count('class="mk-px mk-layer"') == html.count("<li data-part=")   # one hover layer per legend entry
    spec = json.loads(next(s for s in t.scripts if '"datasets"' in s))
    models = {r["model"] for r in spec["datasets"]["rows"]}
    assert models == {"tiny-rn (untrained)", "tiny-vit (untrained)"}


def test_model_page_and_comparison(built_site):
    site = built_site["site"]
    model = (site / "shapes" / "models" / "tiny-vit-untrained.html").read_text()
    assert "Strongest" in model and "Weakest" in model and "Most shared concepts overall" in model
    assert model.count("<tr><td><a href=\"../classes/") == 3  # per-class table
    comp = (site / "shapes" / "compare" / f"{MODELS[0]}--{MODELS[1]}.html").read_text()
    assert comp.split('id="mk-compare"')[1].count("<tr><td>") == 3


def test_every_page_is_stamped_with_the_version(built_site):
    from importlib.metadata import version

    v = version("mkbench")
    for page in pages(built_site["site"]):
        html = page.read_text()
        if "md-footer" not in html:  # e.g. the versioned-site redirect
            continue
        assert f'<meta name="mkbench-version" content="{v}">' in html, page
        assert f"Built by mkbench {v}" in html, page


def test_vendored_assets_come_from_packages_not_the_repo(built_site):
    import shutil

    site = built_site["site"]
    assert shutil.which("npm", path=built_site["path"]) is None and shutil.which("node", path=built_site["path"]) is None
    assert shutil.which("git", path=built_site["path"]) is not None  # the rest of PATH is kept
    bundle = (site / "assets" / "vendor" / "vega" / "vega-bundle.js").read_text()
    assert bundle.startswith("(function(){") and "vegaEmbed" in bundle
    assert sorted(p.name for p in (site / "assets" / "vendor").iterdir()) == ["vega"]  # nothing else vendored
    assert (site / "search" / "search_index.js").read_text().startswith("var __index = {")
    for page in pages(site):
        html = page.read_text()
        assert "unpkg.com" not in html and "iframe-worker" not in html and "tablesort" not in html, page
    repo = Path(__file__).resolve().parents[2]
    assert not (repo / "templates" / "vendor").exists()
    assert not list((repo / "templates").rglob("*.min.js")) and not list((repo / "templates").rglob("vega*.js"))


def test_paper_page_lists_the_three_tables(built_site):
    html = (built_site["site"] / "paper.html").read_text()
    for t in ("Table 3", "Table 6", "Table 7"):
        assert t in html
    assert "3.62" in html and "CNeXt-B2" in html
    assert (built_site["site"] / "paper" / "table3_imagenet.csv").read_text().count("\n") == 14
