"""Helpers of the site tests: list the tags of built pages."""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path


class Tags(HTMLParser):
    """Every start tag as (tag, attrs dict), and the text of <script> elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)


def scan(path: Path) -> Tags:
    t = Tags()
    t.feed(path.read_text(encoding="utf-8"))
    return t


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))
