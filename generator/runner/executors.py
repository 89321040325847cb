"""Executors: where the tasks of a suite run. A registry (:data:`EXECUTORS`) of ``kind -> factory(options, suite)``.

* ``local`` (default): in this process, or one worker process per visible GPU (``--workers N`` to choose); each
  worker loads a model once and runs all of that model's units.
* ``slurm``: a submitit job array, one array task per ``units_per_task`` pending units of a model; GPUs, CPUs,
  memory, time, partition and requeues come from the suite's ``executor.slurm``. A task is
  :class:`submitit.helpers.Checkpointable`: on preemption or timeout submitit requeues it (up to
  ``max_num_timeout`` times) and the rerun skips the units whose shards were written. ``cluster="local"`` or
  ``"debug"`` run the same path through submitit's local / in-process executors (tests, a workstation).

Either way the main process only watches shard files for progress and merges at the end
(:func:`generator.runner.merge.merge_all`), so the merged files do not depend on the executor.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

try:
    from submitit.helpers import Checkpointable
except ImportError:  # the `slurm` extra is not installed: local runs need no submitit (SlurmExecutor says so)
    Checkpointable = object

from generator.errors import UserError
from generator.runner.shards import shard_path
from generator.runner.plan import make_tasks
from generator.runner.types import Events, Outcome, Status, SuitePlan, Task
from generator.runner.work import LogEvents, PrintEvents, execute, log


class ShardWatcher:
    """Reports the pending units whose shard file appeared since the last look (progress for workers elsewhere)."""

    def __init__(self, sp: SuitePlan, events: Events):
        self.events = events
        self.waiting = {(p.model_id, p.dataset, u.key): (shard_path(p.request.out, u), u.folder)
                        for p in sp.pairs for u in p.pending}

    def poll(self) -> None:
        for (model_id, dataset, key), (path, name) in list(self.waiting.items()):
            if path.is_file():
                del self.waiting[(model_id, dataset, key)]
                self.events.unit_done_elsewhere(model_id, dataset, name)


def _wait(done: Callable[[], bool], watcher: ShardWatcher, every: float = 1.0) -> None:
    while not done():
        watcher.poll()
        time.sleep(every)
    watcher.poll()


# ------------------------------------------------------------------------------------------------------ local


def _run_tasks(tasks: list[Task], device: str | None, log_file: str | None) -> list[Outcome]:
    """Body of a local worker process: its tasks, on its device, logging into the run's log file."""
    import logging
    import os

    if log_file:
        handler = logging.FileHandler(log_file, encoding="utf-8")
        label = f"worker {os.getpid()}" + (f" {device}" if device else "")
        handler.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)s [{label}] %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.DEBUG)
        log.propagate = False
    out = []
    for task in tasks:
        task.device = device
        out += execute(task, LogEvents())
    return out


def die_with_parent(parent_pid: int) -> None:
    """Initializer of a local worker process: it dies when the process that started it does (a killed ``mkbench
    run`` must not leave workers computing). Linux: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``; elsewhere, and as a
    fallback, a thread that exits the process once its parent has changed."""
    import os
    import signal
    import threading

    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:   # the parent died before the line above
        os._exit(1)

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="mkbench-parent-watch", daemon=True).start()


class LocalExecutor:
    def __init__(self, workers: int | None = None, device: str = "auto"):
        self.workers, self.device = workers, device

    def _devices(self) -> list[str | None]:
        from generator.runner.device import visible_gpus

        gpus = visible_gpus() if self.device in ("auto", "cuda") else 0
        n = self.workers or max(gpus, 1)
        return [f"cuda:{i % gpus}" if gpus else None for i in range(n)]

    def run(self, sp: SuitePlan, events: Events) -> list[Outcome]:
        tasks = make_tasks(sp)
        devices = self._devices()
        if len(devices) <= 1 or len(tasks) <= 1:
            plans = {(p.model_id, p.dataset): p.plan for p in sp.pairs}
            out = []
            for task in tasks:
                out += execute(task, events, plans=plans)
            return out
        return self._in_processes(sp, tasks, devices, events)

    def _in_processes(self, sp, tasks, devices, events) -> list[Outcome]:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        shares: list[list[Task]] = [[] for _ in devices]
        for task in sorted(tasks, key=lambda t: -t.n_units):  # biggest first, to the least loaded worker
            min(shares, key=lambda s: sum(t.n_units for t in s)).append(task)
        events.message(f"{len(devices)} local workers on {', '.join(d or 'cpu' for d in devices)}")
        watcher = ShardWatcher(sp, events)
        import os

        with ProcessPoolExecutor(len(devices), mp_context=mp.get_context("spawn"), initializer=die_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            log_file = next((h.baseFilename for h in log.handlers if hasattr(h, "baseFilename")), None)
            futures = [pool.submit(_run_tasks, share, d, log_file) for share, d in zip(shares, devices) if share]
            _wait(lambda: all(f.done() for f in futures), watcher)
            out = []
            for f in futures:
                out += f.result()
        return out


# ------------------------------------------------------------------------------------------------------ slurm


class SuiteJob(Checkpointable):
    """A submitit array task; ``checkpoint`` (requeue on preemption/timeout) resubmits it unchanged, and the
    rerun skips the units already written."""

    def __call__(self, task: Task) -> list[Outcome]:
        import os

        import torch

        cpus = os.environ.get("SLURM_CPUS_PER_TASK")
        if cpus:
            torch.set_num_threads(int(cpus))
        return execute(task, PrintEvents())


class SlurmExecutor:
    CLUSTERS = ("slurm", "local", "debug")

    def __init__(self, spec, cluster: str = "slurm", folder: Path | None = None, name: str = "mkbench"):
        if cluster not in self.CLUSTERS:
            raise UserError(f"--cluster {cluster!r}: use one of {', '.join(self.CLUSTERS)}")
        self.spec, self.cluster, self.folder, self.name = spec, cluster, folder, name

    def executor(self, folder: Path):
        import submitit

        s = self.spec
        try:
            ex = submitit.AutoExecutor(folder=str(folder / "%j"), cluster=self.cluster,
                                       slurm_max_num_timeout=s.max_num_timeout)
        except RuntimeError as e:  # no srun/sbatch here
            raise UserError(f"--executor slurm: {e} Run mkbench on the cluster's login node, or try the same path "
                            "here with --cluster local") from None
        params = dict(name=self.name, timeout_min=s.timeout_min, cpus_per_task=s.cpus_per_task, mem_gb=s.mem_gb,
                      slurm_array_parallelism=s.array_parallelism)
        if self.cluster == "slurm":  # the local/debug backends run on this machine: no GPU request
            params["gpus_per_node"] = s.gpus_per_node
        if s.partition:
            params["slurm_partition"] = s.partition
        if s.additional:
            params["slurm_additional_parameters"] = {k: v for k, v in s.additional}
        ex.update_parameters(**params)
        return ex

    def run(self, sp: SuitePlan, events: Events) -> list[Outcome]:
        tasks = make_tasks(sp, units_per_task=self.spec.units_per_task)
        if not tasks:
            return []
        folder = Path(self.folder or Path(sp.options.out) / ".submitit")
        ex = self.executor(folder)
        jobs = ex.map_array(SuiteJob(), tasks)
        ids = sorted({str(j.job_id).split("_")[0] for j in jobs})
        events.message(f"submitted {len(jobs)} array task(s) ({self.cluster}: job {', '.join(ids)}); "
                       f"logs in {folder}")
        watcher = ShardWatcher(sp, events)
        try:
            _wait(lambda: all(j.done() for j in jobs), watcher, every=1.0 if self.cluster != "slurm" else 15.0)
        except KeyboardInterrupt:
            events.message(f"stopped waiting; the array keeps running (job {', '.join(ids)}): run the same command "
                           "again once it has finished to merge, or cancel it (scancel)")
            raise
        out: list[Outcome] = []
        for job, task in zip(jobs, tasks):
            try:
                out += job.result()
            except Exception as e:  # noqa: BLE001 - the job died (OOM, node failure, time limit after requeues)
                err = f"job {job.job_id} failed: {str(e).strip().splitlines()[-1] if str(e).strip() else e!r} " \
                      f"(log: {job.paths.stderr})"
                out += [Outcome(task.model_id, i.request.dataset_name, k, "?", Status.FAILED, error=err)
                        for i in task.items for k in i.keys]
        return out


EXECUTORS: dict[str, Callable] = {
    "local": lambda opts, suite: LocalExecutor(opts.workers, opts.device or suite.device),
    "slurm": lambda opts, suite: SlurmExecutor(suite.executor.slurm, cluster=opts.cluster,
                                               name=f"mkbench-{suite.name}"),
}


def make_executor(opts, suite):
    kind = opts.executor or suite.executor.kind
    if kind not in EXECUTORS:
        raise UserError(f"--executor {kind!r}: use one of {', '.join(EXECUTORS)}")
    return EXECUTORS[kind](opts, suite)
