"""Citation metadata and the Pages workflow agree with the package."""
from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def test_citation_cff_names_this_version_and_the_paper():
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and str(cff["version"]) == version("mkbench")
    paper = cff["preferred-citation"]
    assert paper["year"] == 2024 and [a["family-names"] for a in paper["authors"]] == ["Sammani", "Deligiannis"]


def test_pages_workflow_builds_a_versioned_site_on_release_tags():
    wf = yaml.safe_load((REPO / ".github" / "workflows" / "pages.yml").read_text())
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads the key `on` as True
    assert on["push"]["tags"] == ["v*"]
    steps = wf["jobs"]["site"]["steps"]
    run = "\n".join(s.get("run", "") for s in steps)
    assert "mkbench build" in run and "--versioned" in run and "--site-url" in run
    assert any(s.get("uses", "").startswith("peaceiris/actions-gh-pages") and s["with"]["keep_files"] for s in steps)
