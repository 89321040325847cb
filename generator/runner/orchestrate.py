"""One call that runs a suite, each step in its own module, in the order the data flows: resolve the suite into
frozen pair specs (:mod:`~generator.runner.resolve`), plan them (:mod:`~generator.runner.plan`), execute the
pending units (:mod:`~generator.runner.executors` running :mod:`~generator.runner.work`, local or SLURM), compute the
merged pairs' augmentation (:func:`generator.runner.work.augment_pairs`), merge (:mod:`~generator.runner.merge`),
report (:mod:`~generator.runner.progress`). The CLI's ``run`` and ``build`` are thin wrappers around
:func:`run_suite`."""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Optional

from rich.console import Console

from generator.runner.executors import make_executor
from generator.runner.resources import check_output_folder
from generator.runner.progress import (RunProgress, close_run_log, make_report, open_run_log, render_report,
                                       write_report)
from generator.runner.merge import merge_all
from generator.runner.plan import plan_suite, require_plan
from generator.runner.resolve import resolve_suite
from generator.runner.types import PairResult, RunOptions
from generator.runner.work import augment_pairs, save_hashes


def run_suite(suite, opts: RunOptions, quiet: bool = False, console: Optional[Console] = None,
              dry_run: bool = False):
    """Run ``suite`` into ``opts.out``; returns the :class:`~generator.runner.progress.RunReport` (``ok`` is
    False when some unit failed or some pair could not run). Raises UserError when nothing can run."""
    console = console or Console(stderr=True)
    t0 = time.perf_counter()
    opts = replace(opts, out=Path(opts.out).resolve())  # workers elsewhere (SLURM) may start in another folder
    check_output_folder(opts.out)
    run_id, log_file, handler = open_run_log(opts.out, suite.name)
    kind = opts.executor or suite.executor.kind
    try:
        say = _say(console, quiet)
        say(f"planning suite {suite.name} ({len(suite.models)} models x {len(suite.datasets)} datasets)")
        sp = plan_suite(resolve_suite(suite, opts, say=say))
        save_hashes(p.plan for p in sp.pairs)
        require_plan(sp)
        for note in sp.notes:
            say(f"note: {note}")
        say(f"{sp.n_units} classes: {sp.n_units - sp.n_pending} done before, {sp.n_pending} to compute "
            f"({kind} executor); log {log_file}")
        outcomes = []
        if not dry_run and sp.n_pending:
            executor = make_executor(opts, suite)
            with RunProgress(sp, quiet=quiet, console=console) as progress:
                outcomes = executor.run(sp, progress)
        if not dry_run:
            augment_pairs(sp, outcomes)
        results = merge_all(sp, outcomes) if not dry_run else [
            PairResult(p.model_id, p.dataset, total=len(p.units), skipped=len(p.done),
                       merged=f"dry run: {len(p.pending)} to compute") for p in sp.pairs]
        report = make_report(sp, results, outcomes, run_id=run_id, executor=kind, out=str(opts.out),
                             log_file=str(log_file), seconds=time.perf_counter() - t0)
        write_report(report)
        render_report(report, console, quiet=quiet)
        return report
    finally:
        close_run_log(handler)


def _say(console: Console, quiet: bool):
    from generator.runner.progress import log

    def say(msg: str) -> None:
        log.info(msg)
        if not quiet:
            console.print(msg, markup=False, highlight=False)
    return say
