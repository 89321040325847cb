"""Crashes, resources and determinism (issue 10): a run killed by SIGKILL at any moment, or stopped by a full disk,
resumes to results identical to an uninterrupted run; two clean runs give byte-identical result files; results of
another schema version or config are recomputed, never mixed; local workers die with a killed parent."""
from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from generator.errors import StopRun, UserError
from generator.runner.orchestrate import run_suite
from generator.runner.types import RunOptions
from generator.suite import load_suite
from tests.fixtures.suites import make_suite, merged, reference_run

REPO = Path(__file__).resolve().parents[2]


def result_files(out: Path) -> dict:
    """{relative path: bytes} of every merged result file and overlay under ``out`` (not shards, logs or caches);
    summary.json without its creation time, the one thing allowed to differ."""
    files = {}
    for p in sorted(Path(out).rglob("*")):
        rel = p.relative_to(out)
        if not p.is_file() or rel.parts[0].startswith("."):
            continue
        if p.name == "summary.json":
            d = json.loads(p.read_text())
            d["provenance"].pop("created")
            files[str(rel)] = json.dumps(d, sort_keys=True).encode()
        else:
            files[str(rel)] = p.read_bytes()
    return files


# a subprocess that runs the suite and SIGKILLs itself on the n-th call of module.function
KILLER = textwrap.dedent("""
    import importlib, os, signal, sys
    module, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    mod = importlib.import_module(module)
    real, calls = getattr(mod, name), []
    def killer(*a, **k):
        calls.append(1)
        if len(calls) == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*a, **k)
    setattr(mod, name, killer)
    from generator.cli import main
    main(sys.argv[4:])
""")

# moment -> (module, function, n-th call): the model load (nothing written yet), the first overlay of the second
# class (one class finished, the second half-written), the summary of the merge (images.jsonl and classes.json
# written, summary.json and the merge mark not)
MOMENTS = {"early": ("generator.registry.models", "load_model", 1),
           "mid-class": ("generator.runner.work", "write_overlay", 3),
           "merge": ("generator.runner.merge", "write_json", 2)}


def _killed(suite: Path, out: Path, moment: str) -> subprocess.Popen:
    module, fn, n = MOMENTS[moment]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", KILLER, module, fn, str(n), "run", str(suite), "--out", str(out),
                             "--quiet"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigkill_at_three_moments_resumes_to_identical_results(tmp_path):
    suite, clean = reference_run()
    procs = {m: _killed(suite, tmp_path / m, m) for m in MOMENTS}   # the three crashes run side by side
    for m, proc in procs.items():
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == -signal.SIGKILL, f"{m}: {err}"
    shards = {m: len(list((tmp_path / m / ".shards").glob("*/*/*-*.json"))) for m in MOMENTS}
    assert shards == {"early": 0, "mid-class": 1, "merge": 4}
    assert (tmp_path / "merge" / "shapes").is_dir() and not list((tmp_path / "merge").glob("shapes/*/summary.json"))
    expected = result_files(clean)
    for m in MOMENTS:
        report = run_suite(load_suite(suite), RunOptions(out=tmp_path / m), quiet=True)
        assert report.ok and report.totals()["computed"] == 4 - shards[m], m
        assert result_files(tmp_path / m) == expected, m


def test_two_clean_runs_give_byte_identical_result_files(tmp_path):
    suite, clean = reference_run()
    run_suite(load_suite(suite), RunOptions(out=tmp_path / "again", feature_cache=False), quiet=True)
    a, b = result_files(clean), result_files(tmp_path / "again")
    assert a == b and any(k.endswith(".png") for k in a) and any(k.endswith("images.jsonl") for k in a)


def test_a_full_disk_stops_the_run_keeps_finished_classes_and_a_rerun_resumes(tmp_path, monkeypatch):
    """A full disk (a shard write raising ENOSPC) failed every later unit one by one; now it stops the run with one
    clear error, the finished units stay, and a rerun resumes to the same results."""
    import generator.runner.shards as shards_mod

    suite, clean = reference_run()
    real, calls = shards_mod.write_json, []

    def full(path, obj):
        calls.append(path)
        if len(calls) >= 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, obj)

    monkeypatch.setattr(shards_mod, "write_json", full)
    with pytest.raises(StopRun) as e:
        run_suite(load_suite(suite), RunOptions(out=tmp_path / "out"), quiet=True)
    msg = str(e.value)
    assert "disk is full" in msg and "rerun" in msg and "\n" not in msg
    assert len(list((tmp_path / "out" / ".shards").glob("*/*/*-*.json"))) == 1
    monkeypatch.setattr(shards_mod, "write_json", real)
    report = run_suite(load_suite(suite), RunOptions(out=tmp_path / "out"), quiet=True)
    assert report.ok and report.totals()["skipped"] == 1 and report.totals()["computed"] == 3
    assert merged(tmp_path / "out") == merged(clean)


def test_an_unwritable_output_folder_is_one_line_before_any_work(tmp_path):
    suite = make_suite(tmp_path, n_classes=1, per_class=1)
    for out in ("/proc/mkbench-out", str(tmp_path / "file")):
        (tmp_path / "file").write_text("x")
        with pytest.raises(UserError, match="cannot write to the output folder"):
            run_suite(load_suite(suite), RunOptions(out=Path(out)), quiet=True)


def test_a_result_folder_deleted_during_the_run_is_a_failure_not_a_silent_success(tmp_path, monkeypatch):
    import shutil

    import generator.runner.merge as sr

    suite = make_suite(tmp_path, n_classes=2, per_class=1)
    out = tmp_path / "out"
    assert run_suite(load_suite(suite), RunOptions(out=out), quiet=True).ok
    shutil.rmtree(out / "shapes")                       # merged results gone: the rerun re-merges them
    real = sr.merge_all

    def vanish(sp, outcomes):
        shutil.rmtree(out / ".shards")                   # the shards vanish between the plan and the merge
        return real(sp, outcomes)

    monkeypatch.setattr("generator.runner.orchestrate.merge_all", vanish)
    report = run_suite(load_suite(suite), RunOptions(out=out), quiet=True)
    assert not report.ok and "vanished" in report.failures[0]["error"]


def test_results_of_another_schema_major_or_config_are_recomputed_not_mixed(tmp_path):
    suite = make_suite(tmp_path, n_classes=2, per_class=1)
    out = tmp_path / "out"
    run_suite(load_suite(suite), RunOptions(out=out), quiet=True)
    shard = sorted((out / ".shards").glob("*/*/*-*.json"))[0]
    data = json.loads(shard.read_text())
    data["schema_version"] = "0.9.0"                    # written by another major version
    shard.write_text(json.dumps(data))
    report = run_suite(load_suite(suite), RunOptions(out=out), quiet=True)
    assert report.totals()["computed"] == 1 and report.totals()["skipped"] == 1
    import yaml

    changed = tmp_path / "seed1.yaml"                   # another config: new keys, every unit recomputed
    changed.write_text(yaml.safe_dump({**yaml.safe_load(suite.read_text()), "seed": 1}))
    report = run_suite(load_suite(changed), RunOptions(out=out), quiet=True)
    assert report.totals()["computed"] == 2 and report.totals()["skipped"] == 0
    summary = json.loads(next(out.glob("shapes/*/summary.json")).read_text())
    assert summary["provenance"]["seed"] == 1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (dead, not yet reaped) counts as dead
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_local_workers_die_with_a_killed_parent(tmp_path):
    """With --workers 2, workers outlived a killed parent and kept computing."""
    suite = make_suite(tmp_path, kinds=("vit", "modified_resnet"), n_classes=3, per_class=2)   # seconds of work each
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", "from generator.cli import main; main()", "run", str(suite),
                             "--out", str(tmp_path / "out"), "--workers", "2", "--quiet"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: set[int] = set()
    deadline = time.time() + 240
    while time.time() < deadline and len(children) < 2 and proc.poll() is None:
        children = {int(c) for c in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()}
        workers = [c for c in children if "spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes().decode(errors="replace")]
        children = set(workers)
        time.sleep(0.2)
    assert len(children) >= 2, "the workers did not start"
    while time.time() < deadline and not list((tmp_path / "out" / ".shards").glob("*/*/*-*.json")):
        time.sleep(0.1)                                  # the workers are computing (past their start-up)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.time() + 3                           # at once, not when their work is done
    while time.time() < deadline and any(_alive(c) for c in children):
        time.sleep(0.2)
    survivors = [c for c in children if _alive(c)]
    for c in survivors:                                  # never leave them behind, even when the test fails
        os.kill(c, signal.SIGKILL)
    assert not survivors, "a worker outlived its killed parent"
