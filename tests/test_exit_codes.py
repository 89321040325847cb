"""Exit statuses of the INSTALLED ``mkbench`` entry point (``.venv/bin/mkbench`` in a subprocess, as CI and cluster
scripts run it; CliRunner hides what ``cli.main`` does with the codes): 0 ok, 1 something failed, 2 bad input, 70 a
bug (one line asking to report it, no traceback)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.suites import make_suite, reference_run

REPO = Path(__file__).resolve().parents[1]
RUN = "shapes/tiny-vit__untrained"


def entry_point() -> Path:
    """The console script pip installed next to the interpreter running the tests."""
    for p in (Path(sys.executable).parent / "mkbench", REPO / ".venv" / "bin" / "mkbench"):
        if p.is_file():
            return p
    pytest.skip("the mkbench console script is not installed")


def mkbench(*args, extra_path=(), timeout=300, **env):
    path = os.pathsep.join([*map(str, extra_path), str(REPO), os.environ.get("PYTHONPATH", "")])
    return subprocess.run([str(entry_point()), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": path, **env}, cwd=REPO)


def _results(tmp_path) -> Path:
    _, clean = reference_run()
    out = tmp_path / "results"
    shutil.copytree(clean, out, ignore=shutil.ignore_patterns(".*"))
    return out


def test_validate_exits_0_when_valid_and_1_when_a_run_is_invalid(tmp_path):
    out = _results(tmp_path)
    ok = mkbench("validate", out)
    assert ok.returncode == 0, ok.stderr
    summary = json.loads((out / RUN / "summary.json").read_text())
    summary["n_images"] += 1
    (out / RUN / "summary.json").write_text(json.dumps(summary))
    bad = mkbench("validate", out)
    assert "0 of 1 runs valid" in bad.stderr
    assert bad.returncode == 1, bad.stderr
    assert "Traceback" not in bad.stderr


# makes one class fail inside the real runner (fault injection from outside the package)
FAIL_ONE_CLASS = """
import os
from generator.runner import work as _c
_run_unit = _c.run_unit
def run_unit(p, unit, eng):
    if unit.folder == os.environ["MKBENCH_TEST_FAIL"]:
        raise RuntimeError("injected failure")
    return _run_unit(p, unit, eng)
_c.run_unit = run_unit
"""


def test_run_and_build_exit_1_when_a_class_fails(tmp_path):
    suite = make_suite(tmp_path, n_classes=2, per_class=1)
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(FAIL_ONE_CLASS)
    folder = sorted(p.name for p in (tmp_path / "data" / "shapes").iterdir() if p.is_dir())[0]
    run = mkbench("run", suite, "--out", tmp_path / "out", "--quiet", extra_path=[inject], MKBENCH_TEST_FAIL=folder)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "injected failure" in " ".join(run.stderr.split()) and "Traceback" not in run.stderr
    build = mkbench("build", suite, "--out", tmp_path / "out", "--site", tmp_path / "site", "--quiet",
                    extra_path=[inject], MKBENCH_TEST_FAIL=folder)
    assert build.returncode == 1, build.stdout + build.stderr
    assert "site not built" in build.stderr and not (tmp_path / "site").exists()


def test_invalid_method_settings_exit_non_zero(tmp_path):
    suite = make_suite(tmp_path, n_classes=1, per_class=1, method={"n_parts": 0})
    res = mkbench("run", suite, "--out", tmp_path / "out", "--quiet")
    assert res.returncode != 0, res.stdout + res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("args", [["run", "--overlays", "-1"], ["compute", "--overlays", "-1"],
                                  ["compute", "--seed", str(2 ** 64)], ["compute", "--batch-size", "0"],
                                  ["run", "--workers", "0"], ["site", "--examples", "-1"]])
def test_cli_numbers_are_range_checked(args):
    res = mkbench(*args)
    assert res.returncode == 2 and "Invalid value" in res.stderr and "Traceback" not in res.stderr, res.stderr


def test_input_errors_are_one_line_and_exit_2(tmp_path):
    res = mkbench("validate", tmp_path / "nowhere")
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and res.stderr.startswith("error: ")


# a bug (not an input error) inside a command: one line naming the exception and asking to report it
BUG = """
from generator.commands import validate as _v
def check_run(folder, root=None):
    raise ZeroDivisionError("division by zero in a check")
_v.check_run = check_run
"""


def test_a_bug_prints_one_line_asking_to_report_it(tmp_path):
    out = _results(tmp_path)
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(BUG)
    res = mkbench("validate", out, extra_path=[inject])
    assert res.returncode == 70, res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert "ZeroDivisionError: division by zero in a check" in res.stderr and "report" in res.stderr
    debug = mkbench("validate", out, extra_path=[inject], MKBENCH_DEBUG="1")
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_unwritable_outputs_and_overlapping_folders_are_one_line_errors(tmp_path):
    suite = make_suite(tmp_path, n_classes=1, per_class=1)
    res = mkbench("run", suite, "--out", "/proc/mkbench-results", "--quiet")
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert res.stderr.startswith("error: ") and "Traceback" not in res.stderr
    data = tmp_path / "data" / "shapes"
    res = mkbench("compute", "--dataset-dir", data, "--descriptors", tmp_path / "pool.json", "--out", data / "out",
                  "--model", "x")
    assert res.returncode == 2 and "--out" in res.stderr and "--dataset-dir" in res.stderr, res.stderr
