"""Executors: the submitit (SLURM) path, run through submitit's debug and local backends, gives the same merged
results as the local executor; a preempted array task is requeued and finishes the remaining units."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path
import pytest

from generator.errors import UserError
from generator.runner.executors import SlurmExecutor, SuiteJob, make_executor
from generator.runner.orchestrate import run_suite
from generator.runner.shards import shard_path
from generator.runner.merge import merge_all
from generator.runner.plan import make_tasks, plan_suite
from generator.runner.resolve import resolve_suite
from generator.runner.types import RunOptions
from generator.runner.work import augment_pairs
from generator.suite import SlurmSpec, load_suite, parse_suite
from tests.fixtures.suites import merged, reference_run


def test_submitit_debug_array_gives_the_same_merged_results_as_local(tmp_path):
    suite_file, clean = reference_run()
    suite = load_suite(suite_file)
    slurm = SlurmSpec(units_per_task=1, timeout_min=5, cpus_per_task=1, mem_gb=1)
    suite = type(suite)(**{**suite.__dict__, "executor": type(suite.executor)(kind="slurm", slurm=slurm)})
    out = tmp_path / "out"
    report = run_suite(suite, RunOptions(out=out, cluster="debug"), quiet=True)
    assert report.ok and report.executor == "slurm"
    assert report.totals()["computed"] == 4
    assert merged(out) == merged(clean)
    assert len(list((out / ".submitit").iterdir())) == 4   # one folder per array task (units_per_task: 1)


def test_slurm_resources_come_from_the_suite(tmp_path, monkeypatch):
    import submitit.slurm.slurm as slurm

    monkeypatch.setattr(slurm.SlurmExecutor, "affinity", staticmethod(lambda: 1))  # pretend srun exists
    spec = SlurmSpec(partition="gpu", gpus_per_node=2, cpus_per_task=6, mem_gb=40, timeout_min=90,
                     max_num_timeout=5, array_parallelism=7, additional=(("account", "lab"),))
    ex = SlurmExecutor(spec, cluster="slurm", name="mkbench-x").executor(tmp_path)
    p = ex._executor.parameters
    assert (p["partition"], p["gpus_per_node"], p["cpus_per_task"], p["mem"], p["time"]) == ("gpu", 2, 6, "40GB", 90)
    assert p["array_parallelism"] == 7 and p["additional_parameters"] == {"account": "lab"}
    assert ex._executor.max_num_timeout == 5


def test_slurm_without_srun_is_a_user_error(tmp_path, monkeypatch):
    import submitit.slurm.slurm as slurm

    monkeypatch.setattr(slurm.SlurmExecutor, "affinity", staticmethod(lambda: -1))
    with pytest.raises(UserError, match="--cluster local"):
        SlurmExecutor(SlurmSpec(), cluster="slurm").executor(tmp_path)


def test_unknown_executor_and_cluster_are_user_errors():
    suite = parse_suite({"models": ["m"], "datasets": [{"name": "d", "dir": "x", "descriptors": "y"}]})
    with pytest.raises(UserError, match="--executor"):
        make_executor(RunOptions(executor="cloud"), suite)
    with pytest.raises(UserError, match="--cluster"):
        SlurmExecutor(SlurmSpec(), cluster="k8s")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds the task process through /proc")
def test_a_preempted_local_submitit_job_is_requeued_and_finishes(tmp_path):
    """submitit's local backend runs the task in a subprocess; a preemption signal makes it checkpoint (requeue)
    and the requeued task skips the units already written."""
    suite_file, clean = reference_run()
    out = tmp_path / "out"
    sp = plan_suite(resolve_suite(load_suite(suite_file), RunOptions(out=out)))
    [task] = make_tasks(sp)
    ex = SlurmExecutor(SlurmSpec(timeout_min=10, max_num_timeout=2), cluster="local").executor(tmp_path / "jobs")
    job = ex.submit(SuiteJob(), task)
    shards = [shard_path(out, u) for u in sp.pairs[0].units]
    deadline = time.time() + 120
    while not any(p.is_file() for p in shards) and time.time() < deadline and not job.done():
        time.sleep(0.05)
    assert not job.done(), "the job finished before it could be preempted"
    # what SLURM sends a task it is about to preempt: USR2, to the task (submitit's local controller's child)
    children = Path(f"/proc/{job._process.pid}/task/{job._process.pid}/children").read_text().split()
    assert len(children) == 1
    os.kill(int(children[0]), signal.SIGUSR2)
    outcomes = job.result()
    assert all(p.is_file() for p in shards)
    # the requeued task started over and skipped the classes written before the preemption
    assert {o.status for o in outcomes} == {"skipped", "computed"}
    augment_pairs(sp, outcomes)   # as orchestrate.run_suite does: the worker side computes, then the merge
    results = merge_all(sp, outcomes)
    assert results[0].merged == "written"
    assert merged(out) == merged(clean)


def test_the_merger_does_not_compute_it_says_when_the_augmentation_is_missing(tmp_path):
    """The merger loads no model: a pair merged before the worker computed its descriptor augmentation is an error,
    not a silent model load in the merging process."""
    from generator.runner.merge import MissingAugmentation

    suite_file, _ = reference_run()
    out = tmp_path / "out"
    sp = plan_suite(resolve_suite(load_suite(suite_file), RunOptions(out=out)))
    [task] = make_tasks(sp)
    from generator.runner.work import execute

    outcomes = execute(task)
    with pytest.raises(MissingAugmentation, match="augmentation was not computed"):
        merge_all(sp, outcomes)
    augment_pairs(sp, outcomes)
    assert merge_all(sp, outcomes)[0].merged == "written"
