"""Results -> website: pages (Jinja), charts (Altair/vl-convert), tables (CSV/JSON/LaTeX), ``mkdocs build``.

Reads result files only through :mod:`generator.results.io` and never imports torch, :mod:`generator.method`
or :mod:`generator.runner`, so a site rebuilds from existing results with no model and no GPU.
Entry points: :func:`generator.report.site.build_site` and :func:`generator.report.site.serve_site`.
"""
