"""Headless Chromium (Debian's ``chromium`` through Playwright) on the site built from the engine's results:
sorting by clicking a header, charts rendered by the vendored vega-embed, no console errors, no request to any
other host, overlay images loaded on a class page. Screenshots go to ``$MKBENCH_SCREENSHOTS`` when set."""
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


def test_class_page_shows_overlays_and_legends(browser_page, tmp_path):
    page, base, events = browser_page
    page.goto(base + "shapes/classes/50-of-5-1-x-y-z-triangle.html")
    overlays = page.locator("figure.mk-overlay img")
    assert overlays.count() == 8
    for i in range(overlays.count()):
        overlays.nth(i).scroll_into_view_if_needed()
    page.wait_for_function("[...document.querySelectorAll('figure.mk-overlay img')]"
                           ".every(i => i.complete && i.naturalWidth > 0)", timeout=10000)
    assert page.locator("ul.mk-legend li").count() >= 8
    page.wait_for_function("document.querySelector('figure.mk-chart.mk-rendered svg') !== null", timeout=15000)
    page.locator("h1").scroll_into_view_if_needed()
    _shot(page, "class-page.png", tmp_path)
    assert events["errors"] == []


def test_no_request_leaves_the_site(browser_page):
    page, base, events = browser_page
    assert events["requests"], "the other tests should have loaded pages"
    assert [u for u in events["requests"] if not u.startswith(base)] == []


def test_works_from_the_file_system(browser_page, built_site):
    page, base, events = browser_page
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((built_site["site"] / "shapes" / "index.html").as_uri())
    page.locator("#mk-leaderboard thead th").nth(6).click()
    assert page.locator("#mk-leaderboard thead th").nth(6).get_attribute("aria-sort") in ("ascending", "descending")
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
    page.goto((built_site["site"] / "index.html").as_uri())
    assert page.evaluate("window.Worker.name") == "FrameWorker"
    hits = _search(page, "citation")
    assert any("cite" in h.lower() for h in hits), hits
    assert errors == []
