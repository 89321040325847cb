"""``mkbench site`` / ``mkbench serve`` on the command line."""
from __future__ import annotations

import json
from importlib.metadata import version

from click.testing import CliRunner

from generator.cli import cli, main


def test_commands_are_registered():
    out = CliRunner().invoke(cli, ["--help"]).output
    assert "site" in out and "serve" in out
    help_text = CliRunner().invoke(cli, ["site", "--help"]).output
    assert "--results" in help_text and "--versioned" in help_text


def test_missing_results_is_a_clear_error(tmp_path, capsys):
    try:
        main(["site", "--results", str(tmp_path / "none"), "--out", str(tmp_path / "site")])
    except SystemExit as e:
        assert e.code == 2
    err = capsys.readouterr().err
    assert "results folder not found" in err and "--results" in err and "Traceback" not in err


def test_versioned_build_keeps_a_stable_path(engine_results, tmp_path):
    out = tmp_path / "site"
    res = CliRunner().invoke(cli, ["site", "--results", str(engine_results), "--out", str(out), "--versioned",
                                   "--bootstrap", "0", "--static-charts", "none", "--no-search", "--examples", "0"])
    assert res.exit_code == 0, res.output
    v = version("mkbench")
    assert (out / f"v{v}" / "shapes" / "index.html").is_file()
    assert f'url=v{v}/index.html' in (out / "index.html").read_text()
    assert json.loads((out / "versions.json").read_text())["latest"] == f"v{v}"
    assert not (out / f"v{v}" / "search").exists()
