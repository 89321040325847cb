"""``mkbench run`` / ``build`` driven as a user would: CliRunner in-process and real subprocesses (kill, resume)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import COMMANDS, cli, main
from tests.fixtures.suites import FAST_METHOD, demo_suite, make_suite, merged, reference_run
from tests.fixtures.tiny import tiny_config_path

REPO = Path(__file__).resolve().parents[1]
MINE = ("run", "build", "models", "datasets", "descriptors", "validate")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    if command in MINE:
        assert "Examples:" in result.output


@pytest.mark.parametrize("sub", ["list", "fetch"])
def test_descriptor_subcommands_have_help_with_examples(sub):
    result = CliRunner().invoke(cli, ["descriptors", sub, "--help"])
    assert result.exit_code == 0 and "Examples:" in result.output


def test_build_generates_the_demo_dataset_computes_and_builds_the_site(tmp_path):
    """The demo preset's path (generated dataset, shipped templates and pool) with a tiny random model."""
    tiny = [{"name": "tiny-vit", "model_config": str(tiny_config_path("vit")), "pretrained": "none"}]
    suite = demo_suite(tmp_path, per_class=1, models=tiny, methods=["pca"], method=dict(FAST_METHOD))
    out, site = tmp_path / "results", tmp_path / "site"
    result = CliRunner().invoke(cli, ["build", str(suite), "--out", str(out), "--site", str(site), "--quiet"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert len([p for p in (tmp_path / "demo-dataset").iterdir() if p.is_dir() and p.name[0] != "."]) == 12
    assert (site / "index.html").is_file()
    assert Path(result.output.strip().splitlines()[-1]) == site
    assert (out / "demo" / "tiny-vit__untrained" / "summary.json").is_file()
    logs = list((out / ".logs").glob("*.log"))
    report = json.loads(logs[0].with_suffix(".json").read_text())
    assert report["totals"] == {"total": 12, "computed": 12, "skipped": 0, "failed": 0, "bad_images": 0}
    valid = CliRunner().invoke(cli, ["validate", str(out)])
    assert valid.exit_code == 0 and "1 of 1 runs valid" in valid.output


SHIPPED = sorted(Path(REPO / "data" / "demo" / "models").glob("*.safetensors"), key=lambda p: p.stat().st_size)


@pytest.mark.skipif(not SHIPPED, reason="the demo models are not shipped yet (data/demo/models/*.safetensors)")
def test_the_demo_preset_runs_with_a_shipped_model(tmp_path):
    result = CliRunner().invoke(cli, ["run", str(demo_suite(tmp_path)), "--out", str(tmp_path / "out"), "--quiet",
                                      "--model", SHIPPED[0].stem])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert list((tmp_path / "out" / "demo").glob("*/summary.json"))


def test_run_reports_a_missing_suite_in_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["run", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "out")])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "nope.yaml" in err and "Traceback" not in err


def test_dry_run_lists_the_work_and_computes_nothing(tmp_path):
    suite = make_suite(tmp_path, n_classes=2, per_class=1)
    result = CliRunner().invoke(cli, ["run", str(suite), "--out", str(tmp_path / "out"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "2 to compute" in result.output
    report = json.loads(next((tmp_path / "out" / ".logs").glob("*.json")).read_text())
    assert [p["merged"] for p in report["pairs"]] == ["dry run: 2 to compute"]
    assert not (tmp_path / "out" / ".shards").exists()


def _mkbench(*args, **kw):
    env = {**os.environ, "OMP_NUM_THREADS": "2", "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", "from generator.cli import main; main()", *args], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_a_killed_run_resumes_and_matches_a_clean_run(tmp_path):
    suite, clean = reference_run()
    out = tmp_path / "out"
    shards = out / ".shards"
    proc = _mkbench("run", str(suite), "--out", str(out), "--quiet")
    deadline = time.time() + 180
    while time.time() < deadline and proc.poll() is None and not list(shards.glob("*/*/*-*.json")):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    written = list(shards.glob("*/*/*-*.json"))
    assert 1 <= len(written) < 4, "the run should be killed part-way"
    assert not list(out.glob("shapes/*/summary.json"))   # nothing merged yet

    rerun = _mkbench("run", str(suite), "--out", str(out), "--quiet")
    stdout, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr
    reports = sorted((out / ".logs").glob("*.json"))
    totals = json.loads(reports[-1].read_text())["totals"]
    assert totals["skipped"] == len(written) and totals["computed"] == 4 - len(written)
    assert merged(out) == merged(clean)


def test_the_demo_presets_generator_reproduces_the_shipped_dataset(tmp_path):
    """`generate:` in the demo preset must give the shipped images, so a deleted dataset comes back identical."""
    import numpy as np
    from PIL import Image

    from generator.runner.datagen import ensure_dataset
    from generator.suite import load_suite

    ds = load_suite("demo").datasets[0]
    shipped = Path(ds.dir)
    assert (shipped / "classnames.json").is_file()
    ensure_dataset(tmp_path / "again", {**ds.generate, "per_class": 1})
    firsts = sorted((tmp_path / "again").glob("*/0000.png"))
    assert len(firsts) == 12
    for png in firsts:
        a = np.asarray(Image.open(png))
        b = np.asarray(Image.open(shipped / png.parent.name / png.name))
        assert np.array_equal(a, b), png.parent.name
