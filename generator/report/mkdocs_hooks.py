"""MkDocs hooks of the generated site (named in the rendered ``mkdocs.yml``; no import of the package needed).

Large data-driven HTML (tables with 1,000 rows, chart specs, example grids) does not go through Markdown: the
page's Markdown holds a placeholder ``<div data-mk-fragment="N"></div>`` and the HTML waits in
``<staging>/fragments/<page>.json``; :func:`on_post_page` puts it in place after the page is rendered. Markdown's
HTML parser and the search indexer then see only headings and prose, which keeps a 13-model x 1,000-class site
buildable in minutes. (Search therefore indexes titles, headings and prose, not table cells.)

Search from ``file://``: Material's front end then reads ``search/search_index.js`` (a script setting
``__index``), which :func:`on_post_build` writes from the JSON index (what Material's ``offline`` plugin does; that
plugin is not used because it adds a script from unpkg.com), and runs its search worker through the first-party
``assets/mkbench/file-worker.js`` (browsers refuse Web Workers on ``file://``).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

PLACEHOLDER = re.compile(r'<div data-mk-fragment="(\d+)"></div>')


def fragments_file(docs_dir, src_uri: str) -> Path:
    return Path(docs_dir).parent / "fragments" / (src_uri + ".json")


def on_post_page(output, page, config, **kwargs):
    path = fragments_file(config["docs_dir"], page.file.src_uri)
    if not path.is_file():
        return output
    frags = json.loads(path.read_text(encoding="utf-8"))
    return PLACEHOLDER.sub(lambda m: frags[int(m.group(1))], output)


def on_post_build(config, **kwargs):
    index = Path(config["site_dir"]) / "search" / "search_index.json"
    if index.is_file():
        data = index.read_text(encoding="utf-8")
        (index.parent / "search_index.js").write_text(f"var __index = {data}", encoding="utf-8")
