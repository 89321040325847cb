"""Charts of the site as Vega-Lite specs built with Altair, and their static SVG/PNG copies (vl-convert).

Each chart kind is built once with Altair against a *named* data source; a page's chart is that template plus
its rows under ``datasets`` (so 1,000 class pages cost one Altair build, not 1,000). Pages embed the spec as JSON
and the site's script renders it with vega-embed; :func:`write_static` writes the SVG and PNG shown when
JavaScript does not run (``<noscript>``) and offered as downloads.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import altair as alt

DATA = "rows"
FAMILY_SCALE = alt.Scale(scheme="tableau10")
# facets in the order of the rows' "order" field (PCA before K-means, as in the paper)
METHOD_SORT = alt.EncodingSortField("order", op="min")


def _named() -> alt.NamedData:
    return alt.Data(name=DATA)


@lru_cache(maxsize=None)
def _template(kind: str, width: int, height: int) -> dict:
    return BUILDERS[kind](width, height).to_dict()


def spec(kind: str, rows: list[dict], width: int = 260, height: int = 200) -> dict:
    """The Vega-Lite spec of chart ``kind`` over ``rows``."""
    out = dict(_template(kind, width, height))
    out["datasets"] = {DATA: rows}
    return out


def _auc_vs_top1(width, height):
    base = alt.Chart().encode(
        x=alt.X("auc:Q", title="AUC of the mean MI-dynamics curve", scale=alt.Scale(zero=False)),
        y=alt.Y("top1:Q", title="zero-shot top-1 (%)", scale=alt.Scale(zero=False)),
        color=alt.Color("family:N", title="family", scale=FAMILY_SCALE))
    points = base.mark_circle(size=70, opacity=0.9).encode(
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("family:N"), alt.Tooltip("auc:Q", format=".3f"),
                 alt.Tooltip("top1:Q", format=".2f")])
    lines = base.transform_regression("auc", "top1", groupby=["family", "method"]).mark_line(strokeDash=[4, 2])
    return alt.layer(points, lines, data=_named()).properties(width=width, height=height).facet(
        column=alt.Column("method:N", title=None, sort=METHOD_SORT))


def _curves(width, height):
    """One row per (model, method) with the curve as arrays ``step``/``mi`` (flattened here: 16x less JSON)."""
    sel = alt.selection_point(fields=["model"], bind="legend")
    return alt.Chart(_named()).transform_flatten(["step", "mi"]).mark_line(point=True).encode(
        x=alt.X("step:Q", title="concepts removed"),
        y=alt.Y("mi:Q", title="MI"),
        color=alt.Color("model:N", title="model"),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.12)),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("step:Q"), alt.Tooltip("mi:Q", format=".3f")],
    ).add_params(sel).properties(width=width, height=height).facet(
        column=alt.Column("method:N", title=None, sort=METHOD_SORT))


def _distributions(width, height):
    y = alt.Y("model:N", title=None, sort=alt.EncodingSortField("median", order="descending"))
    color = alt.Color("family:N", title="family", scale=FAMILY_SCALE)
    tip = [alt.Tooltip(f + ":Q", format=".3f") for f in ("min", "q1", "median", "q3", "max")]
    rule = alt.Chart().mark_rule().encode(x=alt.X("min:Q", title="per-class value", scale=alt.Scale(zero=False)),
                                          x2="max:Q", y=y, color=color)
    box = alt.Chart().mark_bar(size=10).encode(x="q1:Q", x2="q3:Q", y=y, color=color,
                                               tooltip=[alt.Tooltip("model:N")] + tip)
    tick = alt.Chart().mark_tick(color="black", thickness=2, size=12).encode(x="median:Q", y=y)
    return alt.layer(rule, box, tick, data=_named()).properties(width=width, height=height).facet(
        column=alt.Column("panel:N", title=None, sort=METHOD_SORT)).resolve_scale(x="independent")


def _model_curve(width, height):
    # stack=None: one area per method from zero (Vega-Lite stacks areas by default, which doubled the y range)
    base = alt.Chart(_named()).encode(x=alt.X("step:Q", title="concepts removed"),
                                      y=alt.Y("mi:Q", title="MI", stack=None), color=alt.Color("method:N", title="parts"))
    return alt.layer(base.mark_area(opacity=0.15), base.mark_line(point=True).encode(
        tooltip=[alt.Tooltip("method:N"), alt.Tooltip("step:Q"), alt.Tooltip("mi:Q", format=".3f")]),
    ).properties(width=width, height=height)


def _replication(width, height):
    """Ours against the paper's value, one panel per metric, with the line y = x (rows of ``kind`` "diag") and
    our 95% interval as a vertical rule; points where the paper's value lies outside our interval are marked."""
    pts = alt.datum.kind == "point"
    x = alt.X("paper:Q", title="paper", scale=alt.Scale(zero=False))
    y = alt.Y("ours:Q", title="ours", scale=alt.Scale(zero=False))
    color = alt.Color("agreement:N", title=None, scale=alt.Scale(domain=["paper inside our interval",
                                                                       "paper outside our interval", "no interval"],
                                                               range=["#0072B2", "#D55E00", "#999999"]))
    diag = alt.Chart().transform_filter(alt.datum.kind == "diag").mark_line(color="#888", strokeDash=[4, 3]).encode(
        x=x, y=y)
    rule = alt.Chart().transform_filter(pts).mark_rule(opacity=0.6).encode(x=x, y="lo:Q", y2="hi:Q", color=color)
    dots = alt.Chart().transform_filter(pts).mark_point(filled=True, size=60).encode(
        x=x, y=y, color=color, shape=alt.Shape("agreement:N", legend=None),
        tooltip=[alt.Tooltip("table:N"), alt.Tooltip("model:N"), alt.Tooltip("dataset:N"), alt.Tooltip("method:N"),
                 alt.Tooltip("paper:Q", format=".3f"), alt.Tooltip("ours:Q", format=".3f"),
                 alt.Tooltip("lo:Q", format=".3f"), alt.Tooltip("hi:Q", format=".3f")])
    return alt.layer(diag, rule, dots, data=_named()).properties(width=width, height=height).facet(
        facet=alt.Facet("metric:N", title=None, sort=METHOD_SORT), columns=3).resolve_scale(
        x="independent", y="independent")


BUILDERS = {"auc_vs_top1": _auc_vs_top1, "curves": _curves, "distributions": _distributions,
            "model_curve": _model_curve, "replication": _replication}


def write_static(chart_spec: dict, stem: Path, formats=("svg", "png")) -> list[str]:
    """Write ``stem.svg`` / ``stem.png`` with vl-convert (no browser, no network); returns the suffixes written."""
    import vl_convert as vlc

    writers = {"svg": lambda s: vlc.vegalite_to_svg(s).encode("utf-8"),
               "png": lambda s: vlc.vegalite_to_png(s, scale=2)}
    stem.parent.mkdir(parents=True, exist_ok=True)
    for f in formats:
        stem.with_suffix("." + f).write_bytes(writers[f](chart_spec))
    return list(formats)
