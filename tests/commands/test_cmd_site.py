"""``mkbench site`` / ``build`` never delete or overwrite what they did not create: --staging and --out must be new,
empty or mkbench's own (marked), may not overlap the results or each other, and an interrupted build leaves the
previous site and no process behind."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.errors import UserError
from generator.outputs import MARKER, claim
from tests.fixtures.suites import make_suite, reference_run

REPO = Path(__file__).resolve().parents[2]
FAST = ["--bootstrap", "0", "--static-charts", "none", "--no-search", "--examples", "1", "--jobs", "1"]


def _results(tmp_path) -> Path:
    _, clean = reference_run()
    out = tmp_path / "results"
    shutil.copytree(clean, out, ignore=shutil.ignore_patterns(".*"))
    return out


def _tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _refused(args, *expect):
    res = CliRunner().invoke(cli, [str(a) for a in args])
    assert isinstance(res.exception, UserError), (res.output, res.exception)
    for text in expect:
        assert text in str(res.exception), str(res.exception)
    return str(res.exception)


def test_staging_and_out_never_destroy_user_folders(tmp_path):
    results = _results(tmp_path)
    before = _tree(results)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "precious.txt").write_text("keep me")
    # --staging DIR was rmtree'd: a folder of the user's files, or the results folder itself
    _refused(["site", "--results", results, "--staging", mine, "--out", tmp_path / "s1", *FAST],
             "--staging", "not created by mkbench")
    _refused(["site", "--results", results, "--staging", results, "--out", tmp_path / "s1", *FAST],
             "--staging", "is --results")
    _refused(["site", "--results", results, "--staging", results / "shapes", "--out", tmp_path / "s1", *FAST],
             "is inside --results")
    # --out was emptied by mkdocs' clean step: a user's folder, the results folder, a folder holding the results
    _refused(["site", "--results", results, "--out", mine, *FAST], "--out", "--force")
    _refused(["site", "--results", results, "--out", results, *FAST], "--out", "is --results")
    _refused(["site", "--results", results, "--out", tmp_path, *FAST], "contains --results")
    _refused(["site", "--results", results, "--out", tmp_path / "s1", "--staging", tmp_path / "s1" / "st", *FAST],
             "--staging")
    versioned = tmp_path / "pub"
    versioned.mkdir()
    (versioned / "index.html").write_text("<h1>my home page</h1>")
    _refused(["site", "--results", results, "--out", versioned, "--versioned", *FAST], "index.html")
    assert _tree(results) == before
    assert (mine / "precious.txt").read_text() == "keep me" and len(list(mine.iterdir())) == 1
    assert (versioned / "index.html").read_text() == "<h1>my home page</h1>"
    assert not (tmp_path / "s1").exists()


def test_force_keeps_the_users_files_and_an_own_staging_folder_is_reused(tmp_path):
    results = _results(tmp_path)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "precious.txt").write_text("keep me")
    staging = claim(tmp_path / "staging", "staging")
    (staging / "stale.md").write_text("from an earlier build")
    res = CliRunner().invoke(cli, ["site", "--results", results, "--out", mine, "--staging", staging, "--force",
                                   *FAST])
    assert res.exit_code == 0, (res.output, res.exception)
    assert (mine / "precious.txt").read_text() == "keep me"
    assert (mine / "index.html").is_file() and (mine / "shapes" / "index.html").is_file()
    assert not (mine / MARKER).exists()   # still the user's folder
    assert (staging / "mkdocs.yml").is_file() and not (staging / "stale.md").exists()


def test_build_refuses_a_foreign_site_folder_before_computing(tmp_path):
    suite = make_suite(tmp_path, n_classes=1, per_class=1)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("x")
    _refused(["build", suite, "--out", tmp_path / "results", "--site", mine, "--quiet"], "--out", "--force")
    assert not (tmp_path / "results").exists()
    _refused(["build", suite, "--out", tmp_path / "results", "--site", tmp_path / "results" / "site", "--quiet"],
             "inside --results")
    # results vs a dataset folder
    _refused(["run", suite, "--out", tmp_path / "data" / "shapes" / "results", "--quiet"], "dataset")


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")
def test_a_killed_build_leaves_the_old_site_and_no_process(tmp_path):
    """SIGKILL during the MkDocs step: nothing of the build's process group survives (MkDocs was a child that went
    on to finish a site with 0 overlays), the previous site is untouched, and the next build replaces it."""
    results = _results(tmp_path)
    out = claim(tmp_path / "site", "site")
    (out / "old.html").write_text("previous build")
    before = _tree(out)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    mkbench = Path(sys.executable).parent / "mkbench"
    cmd = [str(mkbench)] if mkbench.is_file() else [sys.executable, "-c", "from generator.cli import main; main()"]
    proc = subprocess.Popen([*cmd, "site", "--results", str(results), "--out", str(out), *FAST], env=env,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        for line in proc.stderr:
            if "running: mkdocs build" in line:
                break
        else:
            pytest.fail(f"the build ended before its MkDocs step (status {proc.wait()})")
        time.sleep(0.3)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.time() + 5
    while time.time() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("a process of the killed build was still running")
    assert _tree(out) == before
    res = CliRunner().invoke(cli, ["site", "--results", results, "--out", out, *FAST])
    assert res.exit_code == 0, (res.output, res.exception)
    assert (out / "index.html").is_file() and not (out / "old.html").exists() and (out / MARKER).is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.mkbench-")]


NAV = "zz <img src=x onerror=alert('nav')>"


def test_hostile_names_are_inert_in_navigation_titles_files_and_downloads(tmp_path):
    """A dataset named like NAV went into mkdocs.yml raw and ran in the navigation of every page; a descriptor with
    a NUL byte reached 30 pages as a raw NUL; site paths were the user's folder names."""
    import json

    from tests.report.htmlscan import pages, scan

    results = _results(tmp_path)
    run = results / NAV / "tiny-vit__untrained"
    shutil.copytree(results / "shapes", results / "aa")   # two data sets: the navigation lists both titles
    (results / "aa" / "tiny-vit__untrained" / "summary.json").write_text(
        (results / "shapes" / "tiny-vit__untrained" / "summary.json").read_text().replace('"shapes"', '"aa"'))
    (results / "shapes").rename(results / NAV)
    s = json.loads((run / "summary.json").read_text())
    s["dataset"] = NAV
    s["model_info"]["family"] = "=HYPERLINK(\"http://evil.example\") <script>alert('family')</script>"
    (run / "summary.json").write_text(json.dumps(s))
    recs = [json.loads(line) for line in (run / "images.jsonl").read_text().splitlines()]
    for r in recs:
        for m in r["methods"].values():
            m["mutual"] = [d + "\x00\x1b[31m" for d in m["mutual"]]
    (run / "images.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    site = tmp_path / "site"
    res = CliRunner().invoke(cli, ["site", "--results", str(results), "--out", str(site), *FAST])
    assert res.exit_code == 0, (res.output, res.exception)
    hits = []
    for page in pages(site):
        t = scan(page)
        hits += [(page.name, tag) for tag, attrs in t.tags if "onerror" in attrs]
        hits += [(page.name, "script") for s in t.scripts if "<img" in s or "<script" in s]   # data stays data
    assert hits == []
    nav = scan(site / "index.html")
    assert NAV in " ".join(nav.text)                      # shown as text, in the navigation too
    files = [p for p in site.rglob("*") if p.is_file()]
    assert all("<" not in str(p.relative_to(site)) and " " not in str(p.relative_to(site)) for p in files)
    assert (site / "zz-img-src-x-onerror-alert-nav" / "index.html").is_file()
    text_files = [p for p in files if p.suffix in (".html", ".csv", ".json", ".tex", ".js")]
    assert [p.name for p in text_files if b"\x00" in p.read_bytes() or b"\x1b" in p.read_bytes()] == []
