"""Paper-ready exports and public-page hygiene on the site built from the engine's results: the compact LaTeX table
compiles in a minimal article with only booktabs and fits the text width; the BibTeX entries pass ``bibtex``
without warnings; JSON downloads carry provenance and units; one rounding everywhere; no internal references and
no local paths on public files; the reproducibility card and the raw results with their checksums."""
from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import subprocess

import pytest

from tests.report.htmlscan import scan

ARTICLE = r"""\documentclass{article}
\usepackage{booktabs}
\begin{document}
\input{table.tex}
\end{document}
"""


def test_paper_latex_table_compiles_with_booktabs_and_fits(built_site, tmp_path):
    tex = (built_site["site"] / "demo" / "tables" / "leaderboard-paper.tex").read_text()
    assert "Needs only \\usepackage{booktabs}" in tex and "\\toprule" in tex
    assert re.search(r"\d+\.\d\d \[\d+\.\d\d, \d+\.\d\d\]", tex)          # "value [lo, hi]", 2 decimals
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed (apt-get install texlive-latex-base texlive-latex-recommended)")
    (tmp_path / "table.tex").write_text(tex)
    (tmp_path / "main.tex").write_text(ARTICLE)
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "main.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    log = (tmp_path / "main.log").read_text(errors="replace")
    assert proc.returncode == 0, log[-2000:]
    assert "Overfull \\hbox" not in log and "Undefined control sequence" not in log


def _bibtex(page) -> dict[str, str]:
    text = page.read_text()
    out = {}
    for key in ("mk-bib-paper", "mk-bib-site"):
        block = text.split(f'id="{key}">')[1].split("</code>")[0]
        out[key] = html.unescape(re.sub(r"<[^>]+>", "", block))
    return out


def test_bibtex_entries_pass_bibtex_without_warnings(built_site, tmp_path):
    bib = _bibtex(built_site["site"] / "cite.html")
    for entry in bib.values():
        for field in ("author", "title", "year", "url"):
            assert re.search(rf"^\s*{field}\s*=", entry, re.M), (field, entry)
    assert "version      = {" in bib["mk-bib-site"] and "{{The mkbench contributors}}" in bib["mk-bib-site"]
    # the page's script fills the site's URL when the build has no --site-url; do the same here
    site_entry = bib["mk-bib-site"].replace("url          = {}", "url          = {https://example.org/mkbench/}")
    (tmp_path / "refs.bib").write_text(bib["mk-bib-paper"] + "\n\n" + site_entry + "\n")
    keys = [re.match(r"@\w+\{([^,]+),", e).group(1) for e in (bib["mk-bib-paper"], site_entry)]
    (tmp_path / "main.aux").write_text("".join(f"\\citation{{{k}}}\n" for k in keys) +
                                       "\\bibstyle{plain}\n\\bibdata{refs}\n")
    if shutil.which("bibtex") is None:
        pytest.skip("bibtex not installed")
    proc = subprocess.run(["bibtex", "main"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "Warning" not in proc.stdout and "error" not in proc.stdout.lower(), proc.stdout
    bbl = (tmp_path / "main.bbl").read_text()
    assert "Sammani" in bbl and "mkbench contributors" in bbl


def test_json_downloads_carry_provenance_and_units(built_site):
    doc = json.loads((built_site["site"] / "demo" / "tables" / "leaderboard.json").read_text())
    meta = doc["meta"]
    assert meta["site"]["version"] and meta["site"]["config_hash"] and meta["units"]["top1"] == "%"
    assert {r["model_id"] for r in meta["runs"]} == {r["model_id"] for r in doc["rows"]}
    assert all(len(r["descriptor_sha256"]) == 64 and "/" not in r["descriptor_source"] for r in meta["runs"])
    units = {c["key"]: c.get("unit") for c in doc["columns"]}
    assert units["top1"] == "%" and units["auc.pca"] == "nats" and units["top1.lo"] == "%"
    assert [r["rank"] for r in doc["rows"]] == sorted(r["rank"] for r in doc["rows"])


def test_one_rounding_for_pages_latex_and_findings(built_site):
    site = built_site["site"]
    doc = json.loads((site / "demo" / "tables" / "leaderboard.json").read_text())
    row = doc["rows"][0]
    value = f"{row['auc.pca']:.2f} [{row['auc.pca.lo']:.2f}, {row['auc.pca.hi']:.2f}]"
    assert value in (site / "demo" / "tables" / "leaderboard-paper.tex").read_text()
    page = (site / "demo" / "index.html").read_text()
    assert f'<span class="mk-val">{row["auc.pca"]:.2f}</span>' in page
    assert f'[{row["auc.pca.lo"]:.2f}, {row["auc.pca.hi"]:.2f}]' in page


def test_public_files_name_no_internal_document_and_no_local_path(built_site):
    site, results = built_site["site"], str(built_site["results"])
    local = re.compile(r"/(?:work|home|tmp|root|Users)/[^\s\"'<]*")
    for f in site.rglob("*"):
        if f.suffix not in (".html", ".json", ".csv", ".tex") or "search" in f.parts:
            continue
        text = f.read_text(errors="replace")
        assert "spec §" not in text and "[spec" not in text, f
        if f.name != "images.jsonl":
            assert results not in text and not local.search(text), (f, local.search(text))


def test_vega_is_not_on_pages_without_charts(built_site):
    site = built_site["site"]
    for page in ("index.html", "cite.html", "404.html", "paper.html"):
        assert "vega-bundle" not in (site / page).read_text(), page
    assert (site / "assets" / "vendor" / "vega" / "vega-bundle.js").is_file()


def test_reproducibility_card_and_raw_results(built_site):
    site = built_site["site"]
    page = site / "demo" / "models" / "demo-vit-s-demo-s-240.html"
    text = page.read_text()
    card = text.split('data-mk="run-card"')[1]
    command = html.unescape(card.split('id="mk-command">')[1].split("</code>")[0])
    assert command.startswith("mkbench compute --model-config demo-vit-s.json --pretrained demo-s-240.safetensors")
    assert "--descriptors descriptors_demo.json" in command and "--seed 0" in command
    config = json.loads(html.unescape(card.split('id="mk-config">')[1].split("</code>")[0]))
    assert config["method"]["n_parts"] == 5 and config["templates"]["templates"]
    links = [a["href"] for tag, a in scan(page).tags if tag == "a" and "/results/" in a.get("href", "")]
    assert {link.rsplit("/", 1)[1] for link in links} == {"summary.json", "classes.json", "images.jsonl"}
    for link in links:
        data = (page.parent / link).read_bytes()
        assert hashlib.sha256(data).hexdigest() in card, link
    src = built_site["results"] / "demo" / "demo-vit-s__demo-s-240" / "images.jsonl"
    assert (page.parent / next(x for x in links if x.endswith("images.jsonl"))).read_bytes() == src.read_bytes()


def test_large_raw_files_are_listed_with_checksum_but_not_copied(built_site, monkeypatch):
    from types import SimpleNamespace

    from generator.report import site as site_mod

    folder = built_site["results"] / "demo" / "demo-vit-s__demo-s-240"
    copied, written = [], []
    w = SimpleNamespace(text=lambda rel, text: written.append(rel) or rel,
                        copy=lambda rel, src: copied.append(rel) or rel)
    mv = SimpleNamespace(run=SimpleNamespace(folder=folder), slug="m")
    monkeypatch.setattr(site_mod, "RAW_MAX_BYTES", 30_000)
    raw = {f["name"]: f for f in site_mod.SiteBuilder._raw_files(None, w, SimpleNamespace(name="demo", slug="demo"), mv)}
    big = [n for n in ("classes.json", "images.jsonl") if (folder / n).stat().st_size > 30_000]
    assert big, "the fixture has a raw file over the test threshold"
    for n in big:
        assert raw[n]["path"] is None and raw[n]["sha256"] == hashlib.sha256((folder / n).read_bytes()).hexdigest()
    assert all(raw[n]["path"] for n in raw if n not in big) and written == ["demo/results/m/summary.json"]
