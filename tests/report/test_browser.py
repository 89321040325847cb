"""Headless Chromium (Debian's ``chromium`` through Playwright) on the site built from the engine's results:
sorting by clicking a header, charts rendered by the vendored vega-embed (loaded only where there is a chart; the
MI-dynamics area not stacked), no console errors, no request to any other host, the explanation explorer (original,
overlay, mask; hovering a legend entry highlights its part), rank groups against the intervals, the phone layout,
copy buttons, permalinks restoring sort, filter and columns, and the 404 page under a sub-path. One browser for the
module (the 404 test starts its own server and browser). Screenshots go to ``$MKBENCH_SCREENSHOTS`` when set."""
from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser_page(built_site):
    if CHROMIUM is None:
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(_Quiet, directory=str(built_site["site"])))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    events = {"errors": [], "requests": []}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda m: events["errors"].append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: events["errors"].append(str(e)))
        page.on("request", lambda r: events["requests"].append(r.url))
        yield page, base, events
        browser.close()
    server.shutdown()


def _shot(page, name: str, tmp_path: Path) -> None:
    out = Path(os.environ.get("MKBENCH_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / name))


def _column(page, table: str, index: int) -> list[float]:
    return page.eval_on_selector_all(f"#{table} tbody tr",
                                     f"rows => rows.map(r => parseFloat(r.cells[{index}].dataset.sort))")


def test_leaderboard_sorts_by_clicking_a_header(browser_page, tmp_path):
    page, base, events = browser_page
    page.goto(base + "shapes/index.html")
    headers = page.locator("#mk-leaderboard thead th")
    names = headers.all_inner_texts()
    col = next(i for i, h in enumerate(names) if h.strip() == "AUC PCA")
    headers.nth(col).click()
    first = _column(page, "mk-leaderboard", col)
    assert headers.nth(col).get_attribute("aria-sort") in ("ascending", "descending")
    headers.nth(col).click()
    second = _column(page, "mk-leaderboard", col)
    assert first != second and sorted(first) in (first, first[::-1]) and second == first[::-1]
    page.select_option("select[data-filter=family]", "ViT")
    assert page.locator("#mk-leaderboard tbody tr:visible").count() == 1
    page.select_option("select[data-filter=family]", "")
    _shot(page, "leaderboard.png", tmp_path)
    assert events["errors"] == []


def test_charts_render_without_errors(browser_page):
    page, base, events = browser_page
    page.goto(base + "shapes/charts.html")
    page.wait_for_function("document.querySelectorAll('figure.mk-chart.mk-rendered .mk-vega svg').length === 3",
                           timeout=15000)
    assert page.locator("figure.mk-chart.mk-nojs").count() == 0
    assert events["errors"] == []


def test_leaderboard_with_ground_truth_renders_its_chart_and_sorts(browser_page, tmp_path):
    page, base, events = browser_page
    page.goto(base + "demo/index.html")
    page.wait_for_function("document.querySelectorAll('figure.mk-chart.mk-rendered .mk-vega svg').length === 1",
                           timeout=15000)
    headers = page.locator("#mk-ground-truth thead th")
    col = next(i for i, h in enumerate(headers.all_inner_texts()) if h.strip() == "Mean IoU")
    headers.nth(col).click()
    values = _column(page, "mk-ground-truth", col)
    assert len(values) == 9 and values in (sorted(values), sorted(values)[::-1])
    page.locator("#mk-correlations").scroll_into_view_if_needed()
    _shot(page, "leaderboard-ground-truth.png", tmp_path)
    assert events["errors"] == []


def test_explorer_shows_original_overlay_and_mask_and_hover_highlights(browser_page, tmp_path):
    page, base, events = browser_page
    page.goto(base + "demo/classes/bus.html")
    page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
    box = page.locator(".mk-example-model").filter(has=page.locator("figure.mk-mask")).first
    for sel in ("figure.mk-original img", "figure.mk-parts img.mk-base", "figure.mk-mask img"):
        img = box.locator(sel).first
        img.scroll_into_view_if_needed()
        page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=img.element_handle(), timeout=10000)
        assert img.bounding_box()["width"] >= 180          # legible: upscaled, crisp (pixelated)
        assert img.evaluate("i => getComputedStyle(i).imageRendering") == "pixelated"
    assert box.locator("figure.mk-mask ul.mk-legend li").count() >= 1
    parts = box.locator("figure.mk-parts").first
    entry = parts.locator("ul.mk-legend li[data-part]").first
    k = entry.get_attribute("data-part")
    layer = parts.locator(f"img.mk-layer[data-part='{k}']")
    opacity = "e => getComputedStyle(e).opacity"
    assert layer.evaluate(opacity) == "0" and parts.locator("img.mk-base").evaluate(opacity) == "1"
    entry.hover()
    assert layer.evaluate(opacity) == "1" and float(parts.locator("img.mk-base").evaluate(opacity)) < 0.5
    others = parts.locator(f"img.mk-layer:not([data-part='{k}'])")
    assert all(others.nth(i).evaluate(opacity) == "0" for i in range(others.count()))
    # the swatch shows the colour the overlay draws: its border is the part's outline colour
    color = entry.locator(".mk-swatch").evaluate("e => getComputedStyle(e).borderTopColor")
    assert color.startswith("rgb(") and color != "rgb(153, 153, 153)"
    _shot(page, "class-page-hover.png", tmp_path)
    assert events["errors"] == []


def test_rank_groups_follow_the_intervals(browser_page):
    import json
    import urllib.request

    page, base, events = browser_page
    page.goto(base + "demo/index.html")
    ranks = page.eval_on_selector_all("#mk-leaderboard tbody tr", "rows => rows.map(r => [r.dataset.model, "
                                      "parseInt(r.dataset.rank)])")
    doc = json.loads(urllib.request.urlopen(base + "demo/tables/leaderboard.json").read())
    key = next(c["key"] for c in doc["columns"] if c["key"].startswith("auc."))
    ci = {r["model_id"]: (r[f"{key}.lo"], r[f"{key}.hi"]) for r in doc["rows"]}
    assert [r for _, r in ranks] == sorted(r for _, r in ranks) and ranks[0][1] == 1   # default order: by rank
    for a, ra in ranks:
        above = sum(1 for b in ci if ci[b][0] > ci[a][1])
        assert ra == 1 + above
    shared = [r for _, r in ranks if [x for _, x in ranks].count(r) > 1]
    assert shared, "the demo fixture has two models with overlapping intervals"
    assert page.locator("#mk-leaderboard td.mk-rank .mk-tie").count() == len(shared)
    title = page.locator("#mk-leaderboard thead th").nth(2).get_attribute("title")
    assert "higher is better" in title and "MI-dynamics" in title
    assert events["errors"] == []


def test_phone_shows_a_metric_without_sideways_scrolling(browser_page, tmp_path):
    page, base, events = browser_page
    phone = page.context.browser.new_page(viewport={"width": 390, "height": 844})
    phone.goto(base + "demo/index.html")
    cell = phone.locator("#mk-leaderboard tbody tr").first.locator("td").nth(2)
    box = cell.bounding_box()
    assert box["width"] > 0 and box["x"] + box["width"] <= 390, box
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(phone, "leaderboard-phone.png", tmp_path)
    phone.close()


def test_copy_buttons_copy_the_bibtex(browser_page):
    page, base, events = browser_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base.rstrip("/"))
    page.goto(base + "cite.html")
    page.locator("[data-mk-copy=mk-bib-site]").click()
    page.wait_for_function("document.querySelector('[data-mk-copy=mk-bib-site]').textContent === 'Copied'")
    text = page.evaluate("navigator.clipboard.readText()")
    assert text.startswith("@misc{mkbench_") and "author" in text and f"url          = {{{base}}}" in text
    page.locator("[data-mk-copy=mk-bib-paper]").click()
    page.wait_for_function("document.querySelector('[data-mk-copy=mk-bib-paper]').textContent === 'Copied'")
    assert "Sammani, Fawaz and Deligiannis, Nikos" in page.evaluate("navigator.clipboard.readText()")
    assert events["errors"] == []


def test_permalink_restores_sort_filter_and_columns(browser_page):
    page, base, events = browser_page
    page.goto(base + "shapes/index.html")
    headers = page.locator("#mk-leaderboard thead th")
    col = next(i for i, h in enumerate(headers.all_inner_texts()) if h.strip() == "Top-1 (%)")
    headers.nth(col).click()
    headers.nth(col).click()
    want = headers.nth(col).get_attribute("aria-sort")
    page.select_option("select[data-filter=family]", "ViT")
    page.locator("[data-mk-toggle-columns]").click()
    assert page.locator("#mk-leaderboard thead th.mk-extra").first.is_visible()
    link = page.evaluate("location.href")
    assert "#v=" in link and "sort.mk-leaderboard" in link
    other = page.context.browser.new_page()
    other.goto(link)
    h = other.locator("#mk-leaderboard thead th")
    assert h.nth(col).get_attribute("aria-sort") == want
    assert other.locator("select[data-filter=family]").input_value() == "ViT"
    assert other.locator("#mk-leaderboard tbody tr:visible").count() == 1
    assert other.locator("#mk-leaderboard").get_attribute("data-cols") == "all"
    other.close()
    assert events["errors"] == []


def test_vega_loads_only_where_there_are_charts(browser_page):
    page, base, events = browser_page
    start = len(events["requests"])
    page.goto(base + "cite.html")
    page.goto(base + "paper.html")
    assert not [u for u in events["requests"][start:] if "vega" in u]
    page.goto(base + "demo/models/demo-vit-s-demo-s-240.html")
    page.wait_for_function("document.querySelector('figure.mk-chart.mk-rendered svg') !== null", timeout=15000)
    assert [u for u in events["requests"][start:] if u.endswith("vega-bundle.js")]
    # the MI-dynamics areas are not stacked: the y axis ends near the largest MI, not at the sum of the curves
    label = page.locator("figure.mk-chart svg [aria-label^='Y-axis']").first.get_attribute("aria-label")
    top = float(label.rsplit(" to ", 1)[1].strip(". "))
    spec = page.evaluate("JSON.parse(document.querySelector('figure.mk-chart script.mk-spec').textContent)")
    highest = max(r["mi"] for r in spec["datasets"]["rows"])
    assert highest <= top < highest + 1.0, (label, highest)
    assert events["errors"] == []


def test_404_page_works_under_a_sub_path(browser_page, built_site, tmp_path):
    root = tmp_path / "pages"
    root.mkdir()
    (root / "project").symlink_to(built_site["site"], target_is_directory=True)
    not_found = (built_site["site"] / "404.html").read_bytes()

    class Pages(_Quiet):     # like GitHub Pages: a missing file gets the project's 404.html with status 404
        def send_head(self):
            if not os.path.exists(self.translate_path(self.path)):
                self.send_response(404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(not_found)))
                self.end_headers()
                import io
                return io.BytesIO(not_found)
            return super().send_head()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Pages, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/project/"
    page = browser_page[0].context.browser.new_page()
    try:
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "demo/models/no-such-model.html")
        assert "page not found" in page.locator("h1").inner_text().lower()
        page.wait_for_function("document.getElementById('mk-home').getAttribute('href') !== '/'", timeout=5000)
        page.locator("#mk-home").click()
        page.wait_for_load_state()
        assert page.url == base + "index.html" and page.locator("article h1").count() == 1
        assert errors == []
    finally:
        page.close()
        server.shutdown()


def test_no_request_leaves_the_site(browser_page):
    page, base, events = browser_page
    assert events["requests"], "the other tests should have loaded pages"
    assert [u for u in events["requests"] if not u.startswith(base)] == []


def test_works_from_the_file_system(browser_page, built_site):
    page, base, events = browser_page
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((built_site["site"] / "shapes" / "index.html").as_uri())
    page.locator("#mk-leaderboard thead th").nth(2).click()
    assert page.locator("#mk-leaderboard thead th").nth(2).get_attribute("aria-sort") in ("ascending", "descending")
    assert errors == []


def _search(page, query: str, timeout_s: float = 15.0) -> list[str]:
    """Type ``query`` into Material's search box until results show (a query typed before the search worker has
    read the index is dropped, so retype every 0.5 s); returns the result items' texts."""
    items = page.locator(".md-search-result__item")
    for _ in range(int(timeout_s / 0.5)):
        page.fill("input.md-search__input", "")
        page.locator("input.md-search__input").press_sequentially(query)  # Material reads the box on keyup
        page.wait_for_timeout(500)
        if items.count():
            return items.all_inner_texts()
    raise AssertionError(f"no search results for {query!r} within {timeout_s} s")


def test_search_finds_pages_over_http(browser_page):
    page, base, events = browser_page
    page.goto(base + "index.html")
    hits = _search(page, "citation")
    assert any("Cite" in h or "cite" in h.lower() for h in hits), hits
    assert events["errors"] == []


def test_search_works_from_the_file_system(browser_page, built_site):
    """No server: Material's worker runs through the first-party file-worker.js and reads search_index.js."""
    page, base, events = browser_page
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    for rel in ("index.html", "shapes/index.html"):  # the worker's URL is relative to each page
        page.goto((built_site["site"] / rel).as_uri())
        assert page.evaluate("window.Worker.name") == "FrameWorker"
        hits = _search(page, "citation")
        assert any("cite" in h.lower() for h in hits), (rel, hits)
    assert errors == []
