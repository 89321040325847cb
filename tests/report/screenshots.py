"""Screenshots of a built site for the README: the leaderboard and a class page's example images.

    .venv/bin/python -m tests.report.screenshots SITE_DIR OUT_DIR [--dataset NAME] [--class-page FILE]

Uses Debian's chromium through Playwright, like the browser tests; serves the site on 127.0.0.1.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import threading
from pathlib import Path

from tests.report.test_browser import ARGS, CHROMIUM, _Quiet


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("site", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--dataset", default=None, help="data set folder (default: the first)")
    ap.add_argument("--class-page", default=None, help="class page file name (default: the first)")
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    ds = a.dataset or sorted(p.parent.name for p in a.site.glob("*/charts.html"))[0]
    cls = a.class_page or sorted(p.name for p in (a.site / ds / "classes").glob("*.html") if p.name != "index.html")[0]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(a.site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    a.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 860})
        page.goto(base + f"{ds}/index.html")
        page.screenshot(path=str(a.out / "leaderboard.png"))
        page.goto(base + f"{ds}/classes/{cls}")
        page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
        page.wait_for_function("[...document.querySelectorAll('figure.mk-overlay img')]"
                               ".every(i => i.complete && i.naturalWidth > 0)", timeout=10000)
        page.evaluate("document.querySelector('#example-images').scrollIntoView()")
        page.wait_for_timeout(300)
        page.screenshot(path=str(a.out / "class-page.png"))
        browser.close()
    server.shutdown()
    print(a.out / "leaderboard.png", a.out / "class-page.png")


if __name__ == "__main__":
    main()
