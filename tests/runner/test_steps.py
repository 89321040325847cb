"""Long steps are shown (bars with ETA) and quiet mode shows nothing (issue 11)."""
from __future__ import annotations

import io

from rich.console import Console

from generator.method.config import MethodConfig
from generator.runner.compute import ComputeRequest, compute
from generator.runner.progress import RichSteps, Steps, step_bars
from tests.fixtures.images import make_descriptor_pool, make_image_folder
from tests.fixtures.tiny import tiny_config_path


class Recorder(Steps):
    def __init__(self):
        self.log = []    # [label, total, advanced, finished]

    def start(self, label, total=None):
        rec = [label, total, 0, False]
        self.log.append(rec)

        class _S:
            def advance(self, n=1):
                rec[2] += n

            def update(self, total=None, description=None):
                pass

            def finish(self):
                rec[3] = True
        return _S()


def test_engine_reports_model_text_forwards_and_overlays(tmp_path, monkeypatch):
    monkeypatch.setattr("generator.runner.loader._LOADED", {})   # an earlier test may hold this model: load it here
    root = make_image_folder(tmp_path / "shapes", classes=(("circle", "red"),), per_class=3)
    pool = make_descriptor_pool(tmp_path / "pool.json", n_classes=2, per_class=5)
    rec = Recorder()
    req = ComputeRequest(dataset_dir=root, descriptors=pool, out=tmp_path / "out",
                         model_config=str(tiny_config_path("vit")), pretrained="none", device="cpu",
                         method=MethodConfig(methods=("pca",), n_parts=2), overlays_per_class=2)
    compute(req, steps=rec)
    by = {r[0].split(":")[-1].strip().split(" (")[0]: r for r in rec.log}
    assert by["loading model tiny-vit__untrained"][3]
    text = by["encoding texts"]
    assert text[1] == text[2] > 10                       # every text counted (class templates + 2 x descriptors)
    fwd = by["image forward passes"]
    assert fwd[1] == 3 * (1 + 3 * 2) and 3 + 3 <= fwd[2] <= fwd[1] and fwd[3]   # per image, bounded by 1 + 3L
    assert by["overlays"][1:] == [2, 2, False]           # finished by reaching its total
    assert len(rec.log) == 4


def test_rich_steps_draw_and_quiet_draws_nothing():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    with step_bars(console) as bars:
        step = RichSteps(bars).start("encoding texts", total=4)
        step.advance(2)
        assert bars.tasks[0].completed == 2 and bars.tasks[0].total == 4
        step.advance(2)
        assert not bars.tasks                            # done steps are removed
    assert "encoding texts" in out.getvalue()
    quiet = io.StringIO()
    with step_bars(Console(file=quiet, force_terminal=True), quiet=True) as bars:
        Steps().start("encoding texts", total=4).advance(4)
    assert quiet.getvalue() == ""


def test_cli_quiet_is_quiet(tmp_path):
    from click.testing import CliRunner

    from generator.cli import cli

    root = make_image_folder(tmp_path / "shapes", classes=(("circle", "red"),), per_class=2)
    pool = make_descriptor_pool(tmp_path / "pool.json", n_classes=2, per_class=5)
    res = CliRunner().invoke(cli, ["compute", "--model-config", str(tiny_config_path("vit")), "--pretrained", "none",
                                   "--dataset-dir", str(root), "--descriptors", str(pool), "--out",
                                   str(tmp_path / "out"), "--methods", "pca", "--device", "cpu", "--quiet"])
    assert res.exit_code == 0, res.output
    assert res.stderr == "" and len(res.stdout.strip().splitlines()) == 1


def test_site_build_reports_each_stage():
    import time

    from generator.report.site import SITE_STAGES, SiteBuilder
    from generator.runner.progress import site_progress

    seen = []
    b = SiteBuilder(opts=None, log=lambda m: None, on_stage=seen.append)
    for name in SITE_STAGES:
        b._tick(name, time.perf_counter())
    assert seen == list(SITE_STAGES) and set(b.timings) == set(SITE_STAGES)
    out = io.StringIO()
    with site_progress(console=Console(file=out, force_terminal=True, width=100)) as on_stage:
        for name in SITE_STAGES:
            on_stage(name)
    assert "building site" in out.getvalue()
    quiet = io.StringIO()
    with site_progress(quiet=True, console=Console(file=quiet, force_terminal=True)) as on_stage:
        on_stage("load")
    assert quiet.getvalue() == ""
