"""Escaping of untrusted text (class names, descriptors, model names from result files) for every output
format of the site: HTML, Markdown, YAML front matter, JSON inside ``<script>``, LaTeX, and URL slugs.

HTML escaping is Jinja's autoescape (markupsafe); the other functions return :class:`markupsafe.Markup` when
their result is meant to be placed verbatim into a template.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata

from markupsafe import Markup, escape

# Characters Python-Markdown (and its tables extension) treats as syntax and accepts a backslash escape for.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")
_LATEX = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "|": r"\textbar{}", '"': r"\textquotedbl{}",
}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX))


# C0/C1 control characters other than tab, newline and carriage return (NUL, ESC, DEL, ...): never written out
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    """``text`` without control characters (they reach no output: HTML, Markdown, YAML, LaTeX, CSV)."""
    return _CONTROL.sub("", text)


def finalize(value):
    """Jinja ``finalize``: every ``{{ value }}`` of the templates loses its control characters (Markup stays
    Markup: removing them cannot create markup)."""
    if isinstance(value, Markup):
        return Markup(_CONTROL.sub("", str(value))) if _CONTROL.search(value) else value
    if isinstance(value, str) and _CONTROL.search(value):
        return _CONTROL.sub("", value)
    return value


def _one_line(text) -> str:
    """``text`` as one line without control characters: runs of white space (newlines included) become one
    space."""
    return " ".join(strip_controls(str(text)).split())


def md(text) -> Markup:
    """Text safe to put into a Markdown line (heading, list item, table cell): Markdown syntax is
    backslash-escaped, HTML metacharacters become entities, newlines become spaces."""
    s = _MD_SPECIAL.sub(r"\\\1", _one_line(text))
    return Markup(str(escape(s)))


def yaml_str(text) -> Markup:
    """A YAML (JSON) string literal of the HTML-escaped text, for front matter such as ``title:``.

    MkDocs themes insert ``page.meta.title`` into HTML without escaping, so the value itself is escaped."""
    return Markup(json.dumps(str(escape(_one_line(text)))))


def json_script(obj) -> Markup:
    """JSON for a ``<script type="application/json">`` element: ``<``, ``>``, ``&`` and line separators are
    written as \\u escapes so that no value can close the element or open a comment."""
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, rep in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        s = s.replace(ch, rep)
    return Markup(s)


def latex(text) -> str:
    """LaTeX-escaped text (for tables exported as ``.tex``)."""
    return _LATEX_RE.sub(lambda m: _LATEX[m.group(0)], _one_line(text))


def slug(text, max_len: int = 60) -> str:
    """A lower-case ASCII slug (``a-z0-9-``); empty input or input with no ASCII letters/digits gives ``x``."""
    s = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")[:max_len].strip("-")
    return s or "x"


def unique_slugs(names) -> dict[str, str]:
    """Unique slugs for ``names``: the plain slug when no other name shares it, else the slug plus the first
    8 hex digits of the name's sha1 (deterministic for a given set of names)."""
    names = list(dict.fromkeys(names))
    plain = {n: slug(n) for n in names}
    counts: dict[str, int] = {}
    for s in plain.values():
        counts[s] = counts.get(s, 0) + 1
    out = {}
    for n in names:
        s = plain[n]
        if counts[s] > 1 or s == "x":
            s = f"{s}-{hashlib.sha1(n.encode()).hexdigest()[:8]}"
        out[n] = s
    return out
