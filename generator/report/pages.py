"""Rendering: Jinja templates (autoescaped) -> Markdown pages and files in the staging ``docs`` folder.

:class:`Writer` knows the page being written, so templates call ``url("imagenet/classes/x.md")`` to get a
link relative to the current page (``.md`` -> ``.html``: the site is built with ``use_directory_urls: false``
so it also works from ``file://``). Templates emit HTML blocks for anything data-driven, which Markdown passes
through verbatim; untrusted text reaches Markdown lines only through the ``md`` filter.
"""
from __future__ import annotations

import json
import math
import posixpath
import re
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from . import charts
from .escape import finalize, json_script, md, yaml_str
from .mkdocs_hooks import fragments_file
from .tables import WRITERS, Table, fmt, fmt_metric, signed
from .datatables import metric_label
from .views import method_label, metric_help


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not (isinstance(x, float) and math.isnan(x))


_HEX = re.compile(r"#[0-9a-fA-F]{3,8}")


def css_color(value) -> str:
    """A hex colour from a result file, or grey when it is anything else (never raw text into CSS)."""
    return value if isinstance(value, str) and _HEX.fullmatch(value) else "#999999"


def make_env(templates: Path) -> jinja2.Environment:
    loader = jinja2.FileSystemLoader([str(templates), str(templates / "pages")])
    env = jinja2.Environment(loader=loader, autoescape=True, finalize=finalize,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters.update(md=md, css_color=css_color, yaml_str=yaml_str, json_script=json_script, signed=signed,
                       num=lambda v, d=2: fmt(v, "num", d), int=lambda v: fmt(v, "int"))
    env.tests["finite"] = _finite
    env.globals.update(ml=method_label, metric_label=metric_label, metric_help=metric_help, fmt_metric=fmt_metric)
    return env


def page_url(from_page: str, target: str) -> str:
    """Link from docs page ``from_page`` to docs path ``target`` (pages given as ``*.md``)."""
    return _relative(posixpath.dirname(from_page) or ".", target)


@lru_cache(maxsize=200_000)
def _relative(start: str, target: str) -> str:
    if target.endswith(".md"):
        target = target[:-3] + ".html"
    return posixpath.relpath(target, start)


def concepts_html(items, total=None, limit: int = 8) -> Markup:
    """``<ul>`` of ConceptCounts with their share of ``total`` images (or raw counts); escaped here."""
    if not items:
        return Markup('<span class="mk-none">none</span>')
    li = []
    for c in items[:limit]:
        n = f"{100.0 * c.count / total:.0f}%" if total else f"×{c.count}"
        li.append(f'<li>{escape(c.descriptor)}<span class="mk-count">{n}</span></li>')
    return Markup('<ul class="mk-concepts">' + "".join(li) + "</ul>")


class Writer:
    """Writes pages and files under ``docs``; counts what it wrote."""

    def __init__(self, docs: Path, env: jinja2.Environment, common: dict, static_formats=("svg", "png")):
        self.docs, self.env, self.common = docs, env, common
        self.static_formats = static_formats
        self.n_pages = 0
        self.n_files = 0
        self.links: list[tuple[str, Path]] = []   # (site path, source file) copied after the MkDocs build
        self._templates: dict[str, jinja2.Template] = {}
        self._frags: list[str] = []
        self._page = "index.md"
        env.filters["fragment"] = self._fragment
        env.globals.update(url=self.url, class_a=self.class_a, model_a=self.model_a, concepts=concepts_html)

    # -- helpers for templates (plain Python: much faster than Jinja macros in 1,000-row loops) --------
    def url(self, target: str) -> str:
        """Link from the page being rendered to docs path ``target``."""
        return page_url(self._page, target)

    def class_a(self, ds, name: str) -> Markup:
        href = self.url(f"{ds.slug}/classes/{ds.class_slugs[name]}.md")
        return Markup(f'<a href="{escape(href)}">{escape(name)}</a>')

    def model_a(self, ds, mv) -> Markup:
        href = self.url(f"{ds.slug}/models/{mv.slug}.md")
        return Markup(f'<a href="{escape(href)}">{escape(mv.label)}</a>')

    def _fragment(self, html) -> Markup:
        """Jinja filter: keep ``html`` out of Markdown (see :mod:`generator.report.mkdocs_hooks`)."""
        self._frags.append(str(html))
        return Markup(f'\n\n<div data-mk-fragment="{len(self._frags) - 1}"></div>\n\n')

    def _path(self, rel: str) -> Path:
        p = self.docs / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def page(self, rel: str, template: str, **ctx) -> None:
        t = self._templates.get(template) or self._templates.setdefault(template, self.env.get_template(template))
        self._frags = []
        self._page = rel
        text = t.render(**self.common, **ctx, page_path=rel)
        self._path(rel).write_text(text, encoding="utf-8")
        if self._frags:
            frag_file = fragments_file(self.docs, rel)
            frag_file.parent.mkdir(parents=True, exist_ok=True)
            frag_file.write_text(json.dumps(self._frags, ensure_ascii=False), encoding="utf-8")
        self.n_pages += 1

    def text(self, rel: str, text: str) -> str:
        self._path(rel).write_text(text, encoding="utf-8")
        self.n_files += 1
        return rel

    def copy(self, rel: str, src: Path) -> str:
        """Register ``src`` to be copied to site path ``rel`` after the MkDocs build (tens of thousands of
        overlay PNGs would otherwise be listed, checked and copied by MkDocs one by one)."""
        self.links.append((rel, src))
        self.n_files += 1
        return rel

    def table(self, stem: str, table: Table, meta=None) -> str:
        """Write ``stem.csv``, ``stem.json`` and ``stem.tex``; returns ``stem``."""
        for ext, writer in WRITERS.items():
            self.text(f"{stem}.{ext}", writer(table, meta) if ext == "json" else writer(table))
        return stem

    def chart(self, stem: str, kind: str, rows: list[dict], caption: str, static: bool, **size) -> dict:
        """A chart for the ``chart`` macro; with ``static``, also ``stem.svg``/``.png`` and the spec as JSON."""
        spec = charts.spec(kind, rows, **size)
        out = {"spec": spec, "caption": caption, "svg": None, "png": None, "json": None}
        if static:
            written = charts.write_static(spec, self.docs / stem, self.static_formats)
            for f in written:
                out[f] = f"{stem}.{f}"
            out["json"] = self.text(f"{stem}.vl.json", json.dumps(spec, ensure_ascii=False))
        return out
