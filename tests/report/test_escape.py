"""Escaping of result text for HTML, Markdown, YAML front matter, JSON in <script>, LaTeX; slugs."""
from __future__ import annotations

import json

import markdown

from generator.report.escape import json_script, latex, md, slug, unique_slugs, yaml_str


def _render(text: str) -> str:
    return markdown.markdown(text, extensions=["tables", "attr_list"])


def test_md_keeps_markdown_and_html_literal():
    for raw in ["*bold* _it_", "[link](http://x.example)", "`code`", "<b>tag</b> & co", "a | b", "# not heading",
                "1. not a list", "\\back\\slash"]:
        out = _render("## " + md(raw))
        assert "<em>" not in out and "<a " not in out and "<code>" not in out and "<b>" not in out
        text = out.split(">", 1)[1].rsplit("</h2>", 1)[0]
        import html
        assert html.unescape(text) == raw, (raw, out)


def test_yaml_str_is_a_json_string_of_escaped_html():
    assert json.loads(yaml_str('<script>"x"</script>')) == "&lt;script&gt;&#34;x&#34;&lt;/script&gt;"


def test_json_script_cannot_close_the_script_element():
    s = json_script({"name": "</script><script>alert(1)</script>", "amp": "a & b"})
    assert "</" not in s and "<" not in s and "&" not in s
    assert json.loads(s) == {"name": "</script><script>alert(1)</script>", "amp": "a & b"}


def test_latex_escapes_every_special_character():
    assert latex("50% & $5 #1 {x} ~y ^z \\w _u") == \
        r"50\% \& \$5 \#1 \{x\} \textasciitilde{}y \textasciicircum{}z \textbackslash{}w \_u"


def test_slugs_are_ascii_and_unique():
    assert slug("Café au lait!") == "cafe-au-lait"
    assert slug("<>") == "x"
    s = unique_slugs(["a b", "a-b", "c"])
    assert s["c"] == "c" and s["a b"] != s["a-b"] and s["a b"].startswith("a-b-")


def test_control_characters_reach_no_output():
    import jinja2

    from generator.report.escape import finalize, strip_controls

    raw = "a\x00b\x1b[31mc\x7fd\x9fe\tf"
    assert strip_controls(raw) == "ab[31mcde\tf"
    for out in (md(raw), yaml_str(raw), latex(raw)):
        assert not any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in str(out)), out
    env = jinja2.Environment(autoescape=True, finalize=finalize)
    assert env.from_string("{{ x }}|{{ y }}").render(x=raw, y=md(raw)) == "ab[31mcde\tf|" + str(md(raw))
