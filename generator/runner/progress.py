"""Progress, logs and the final report of a suite run.

* :class:`RunProgress` shows rich progress bars (suite, model, dataset, class) with elapsed time and ETA; quiet mode
  (CI) shows none. Either way every event goes to the run's log file.
* :func:`open_run_log` makes ``OUT/.logs/<run id>.log`` (DEBUG level: failures keep their traceback there).
* :class:`Steps` (no-op) / :class:`RichSteps`: bars with ETA for the long steps *inside* a unit (text encoding,
  model loading, per-image feature extraction and prompt encoding, overlays) and the site build; the engine
  (:mod:`generator.runner.work`) reports to whichever it is given, quiet mode gives the no-op one.
* :class:`RunReport`: what ran, what was skipped, what failed, per (model, dataset), with seconds per class and an
  estimate of a full run per model (so a sampled run, ``--max-units``, estimates the cost of the whole suite);
  written next to the log as JSON and printed as a table.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from rich.table import Table

from generator.results.io import write_json
from generator.runner.types import Events, Outcome, PairResult, Status, SuitePlan

log = logging.getLogger("mkbench.run")


# ------------------------------------------------------------------------------------------- steps in a unit


class Step:
    """One long step: ``advance(n)`` as work is done; it finishes by itself when ``total`` is reached."""

    def advance(self, n: int = 1) -> None: ...

    def update(self, total: Optional[int] = None, description: Optional[str] = None) -> None: ...

    def finish(self) -> None: ...


class Steps:
    """Where the engine reports its long steps (this base class shows nothing: quiet mode)."""

    def start(self, label: str, total: Optional[int] = None) -> Step:
        """A new step; ``total=None`` for one whose size is unknown (a spinner with the elapsed time)."""
        return Step()

    def counter(self, label: str) -> Callable[[int], Callable[[int], None]]:
        """``total -> advance(n)``: the callback form that :mod:`generator.runner.textbank` takes."""
        return lambda total: self.start(label, total).advance


class _RichStep(Step):
    def __init__(self, bars: Progress, task, total):
        self.bars, self.task, self.total, self.done, self.closed = bars, task, total, 0, False

    def advance(self, n: int = 1) -> None:
        if self.closed:
            return
        self.done += n
        self.bars.advance(self.task, n)
        if self.total is not None and self.done >= self.total:
            self.finish()

    def update(self, total: Optional[int] = None, description: Optional[str] = None) -> None:
        if not self.closed:
            self.total = total if total is not None else self.total
            self.bars.update(self.task, total=self.total, description=description or self.bars.tasks[self.task].description)

    def finish(self) -> None:
        if not self.closed:
            self.closed = True
            self.bars.remove_task(self.task)


def step_bars(console: Console, quiet: bool = False) -> Progress:
    """The bar layout of every long step: spinner, label, bar, n/total, elapsed, ETA."""
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console,
                    disable=quiet, transient=False)


class RichSteps(Steps):
    """Steps drawn as rich bars (removed when done) in ``bars`` (a started :class:`rich.progress.Progress`)."""

    def __init__(self, bars: Progress, indent: str = ""):
        self.bars, self.indent = bars, indent

    def start(self, label: str, total: Optional[int] = None) -> Step:
        return _RichStep(self.bars, self.bars.add_task(self.indent + label, total=total), total)
LOGS_DIR = ".logs"


def open_run_log(out: Path, suite_name: str) -> tuple[str, Path, logging.Handler]:
    """A new log file for this run: ``OUT/.logs/<UTC time>-<suite>.log``; returns (run id, path, handler)."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S-%f")[:-3]
    run_id = f"{stamp}-{''.join(c if c.isalnum() or c in '-_' else '-' for c in suite_name)}"
    path = Path(out) / LOGS_DIR / f"{run_id}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False  # the console shows bars and messages; the log file gets everything
    return run_id, path, handler


def close_run_log(handler: logging.Handler) -> None:
    log.removeHandler(handler)
    handler.close()


class RunProgress(Events):
    """Bars for the suite, each model, the current dataset and the current class; messages above them."""

    def __init__(self, sp: SuitePlan, quiet: bool = False, console: Optional[Console] = None):
        self.quiet = quiet
        self.console = console or Console(stderr=True)
        self.bars = step_bars(self.console, quiet)
        self.steps = Steps() if quiet else RichSteps(self.bars, indent="        ")
        done = sum(len(p.done) for p in sp.pairs)
        self.suite = self.bars.add_task(f"suite {sp.suite.name}", total=sp.n_units, completed=done)
        self.models, self.datasets = {}, {}
        for p in sp.pairs:
            if p.model_id not in self.models:
                self.models[p.model_id] = self.bars.add_task(f"  model {p.model_id}", total=0)
            m = self.models[p.model_id]
            self.bars.update(m, total=self.bars.tasks[m].total + len(p.units),
                             completed=self.bars.tasks[m].completed + len(p.done))
            self.datasets[(p.model_id, p.dataset)] = self.bars.add_task(
                f"    dataset {p.dataset} ({p.model_id})", total=len(p.units), completed=len(p.done), visible=False)
        self.klass = self.bars.add_task("      class", total=1, visible=False)

    def __enter__(self):
        self.bars.start()
        return self

    def __exit__(self, *exc):
        self.bars.update(self.klass, visible=False)
        self.bars.stop()

    def message(self, text: str) -> None:
        log.info(text)
        if not self.quiet:
            self.bars.console.print(text, markup=False, highlight=False)

    def _show_dataset(self, model_id: str, dataset: str) -> int:
        task = self.datasets[(model_id, dataset)]
        for other in self.datasets.values():  # one dataset bar at a time
            if other != task:
                self.bars.update(other, visible=False)
        self.bars.update(task, visible=True)
        return task

    def unit_started(self, model_id: str, dataset: str, unit) -> None:
        self._show_dataset(model_id, dataset)
        self.bars.update(self.klass, description=f"      class {unit.folder}", total=len(unit.files), completed=0,
                         visible=True)

    def unit_finished(self, o: Outcome) -> None:
        extra = f": {o.error}" if o.error else ""
        (log.warning if o.status is Status.FAILED else log.info)(
            f"{o.model_id} / {o.dataset} / {o.name}: {o.status} ({o.seconds:.2f}s){extra}")
        if o.status is Status.FAILED and not self.quiet:
            self.bars.console.print(f"[red]failed[/red] {o.model_id} / {o.dataset} / {o.name}{extra}",
                                    highlight=False)
        if o.status is not Status.SKIPPED:  # skipped units were counted as done from the start
            self._advance(o.model_id, o.dataset)

    def unit_done_elsewhere(self, model_id: str, dataset: str, name: str) -> None:
        self._advance(model_id, dataset)

    def _advance(self, model_id: str, dataset: str) -> None:
        task = self._show_dataset(model_id, dataset)
        for t in (self.suite, self.models[model_id], task):
            self.bars.advance(t)
        t = self.bars.tasks[self.klass]
        self.bars.update(self.klass, completed=t.total)


@contextlib.contextmanager
def site_progress(quiet: bool = False, console: Optional[Console] = None):
    """A bar for ``build_site``: yields its ``on_stage`` callback (one step per :data:`SITE_STAGES` entry)."""
    from generator.report.site import SITE_STAGES

    with step_bars(console or Console(stderr=True), quiet) as bars:
        step = (Steps() if quiet else RichSteps(bars)).start("building site", total=len(SITE_STAGES))

        def on_stage(name: str) -> None:
            step.update(description=f"building site ({name} done)")
            step.advance()
        try:
            yield on_stage
        finally:
            step.finish()


# ----------------------------------------------------------------------------------------------------- report


@dataclass
class RunReport:
    run_id: str
    suite: str
    executor: str
    out: str
    log_file: str
    seconds: float
    pairs: list[PairResult] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)     # failed units: model, dataset, class, error
    problems: list[str] = field(default_factory=list)      # pairs that could not be planned
    estimates: dict = field(default_factory=dict)          # model id -> {s_per_class, classes, hours}
    sample: bool = False                                   # only some classes ran (--max-units)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.problems

    def totals(self) -> dict:
        t = {k: sum(getattr(p, k) for p in self.pairs) for k in ("total", "computed", "skipped", "failed")}
        return {**t, "bad_images": sum(len(p.bad_images) for p in self.pairs)}

    def to_dict(self) -> dict:
        return {**asdict(self), "totals": self.totals(), "ok": self.ok}


def make_report(sp: SuitePlan, results: list[PairResult], outcomes: list[Outcome], **info) -> RunReport:
    failures = [{"model": o.model_id, "dataset": o.dataset, "class": o.name, "error": o.error}
                for o in outcomes if o.status is Status.FAILED]
    estimates = {}
    for model_id in dict.fromkeys(p.model_id for p in sp.pairs):
        timed = [o.seconds for o in outcomes if o.model_id == model_id and o.status is Status.COMPUTED and o.seconds]
        classes = sum(len(p.plan.units) for p in sp.pairs if p.model_id == model_id)
        if timed:
            per = sum(timed) / len(timed)
            estimates[model_id] = {"s_per_class": round(per, 3), "classes": classes,
                                   "hours_full_run": round(per * classes / 3600, 6)}
    return RunReport(suite=sp.suite.name, pairs=results, failures=failures, problems=list(sp.problems),
                     estimates=estimates, sample=bool(sp.options.max_units), **info)


def write_report(report: RunReport) -> Path:
    path = Path(report.log_file).with_suffix(".json")
    write_json(path, report.to_dict())
    return path


def render_report(report: RunReport, console: Console, quiet: bool = False) -> None:
    t = report.totals()
    head = (f"suite {report.suite}: {t['computed']} classes computed, {t['skipped']} skipped (done before), "
            f"{t['failed']} failed in {report.seconds:.1f}s; results in {report.out}; log {report.log_file}")
    if not quiet:
        table = Table(title=f"run {report.run_id} ({report.executor})")
        for col in ("model", "dataset", "classes", "new", "done", "failed", "s/class", "merged"):
            table.add_column(col, justify="left" if col in ("model", "dataset", "merged") else "right",
                             overflow="fold")
        for p in report.pairs:
            per = f"{p.seconds / p.computed:.2f}" if p.computed else "-"
            table.add_row(p.model_id, p.dataset, str(p.total), str(p.computed), str(p.skipped),
                          f"[red]{p.failed}[/red]" if p.failed else "0", per, p.merged)
        console.print(table)
        if report.sample:
            for model_id, est in report.estimates.items():
                console.print(f"estimate for a full run of {model_id}: {est['hours_full_run']:.2f} h on this "
                              f"machine ({est['classes']} classes at {est['s_per_class']:.2f} s/class)",
                              highlight=False)
    console.print(head, markup=False, highlight=False)
    bad = [(p, b) for p in report.pairs for b in p.bad_images]
    if bad:
        console.print(f"[yellow]skipped {len(bad)} unreadable image(s)[/yellow] (listed per class in classes.json "
                      "and in summary.json; --fail-fast stops at the first instead):", highlight=False)
        for p, b in bad[:5]:
            console.print(f"  {p.dataset}/{b['image']}: {b['reason']}", markup=False, highlight=False)
        if len(bad) > 5:
            console.print(f"  ... and {len(bad) - 5} more (see the run report {Path(report.log_file).with_suffix('.json')})",
                          markup=False, highlight=False)
    for msg in report.problems:
        console.print(f"[yellow]not run:[/yellow] {msg}", highlight=False)
    for f in report.failures[:20]:
        console.print(f"[red]failed:[/red] {f['model']} / {f['dataset']} / {f['class']}: {f['error']}", highlight=False)
    if len(report.failures) > 20:
        console.print(f"... and {len(report.failures) - 20} more failures (see {report.log_file})")
