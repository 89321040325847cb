"""``mkbench compute`` through click's CliRunner and as a real subprocess; errors are one line, no traceback."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli
from generator.results.io import read_images, read_summary
from tests.fixtures.images import make_descriptor_pool, make_image_folder
from tests.fixtures.tiny import tiny_config_path

REPO = Path(__file__).resolve().parents[1]


def _inputs(tmp_path):
    root = make_image_folder(tmp_path / "shapes", classes=(("circle", "red"), ("square", "green")), per_class=2)
    pool = make_descriptor_pool(tmp_path / "pool.json")
    return root, pool


def _args(root, pool, out, *extra):
    return ["compute", "--model-config", str(tiny_config_path("vit")), "--pretrained", "none", "--dataset-dir",
            str(root), "--descriptors", str(pool), "--out", str(out), "--methods", "pca", "--device", "cpu", *extra]


def test_help_lists_options_and_examples():
    res = CliRunner().invoke(cli, ["compute", "--help"])
    assert res.exit_code == 0
    for text in ("--model-config", "--pretrained", "--dataset-dir", "--descriptors", "--templates", "--batch-size",
                 "--seed", "--device", "--methods", "--dataset-name", "Examples:"):
        assert text in res.output


def test_cli_runner_computes_and_reruns(tmp_path):
    root, pool = _inputs(tmp_path)
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, _args(root, pool, out, "--dataset-name", "toy", "--templates", "imagenet",
                                        "--seed", "3", "--batch-size", "5"))
    assert res.exit_code == 0, res.output
    results = out / "toy" / "tiny-vit__untrained"
    assert res.stdout.strip().splitlines()[-1] == str(results)
    summary = read_summary(results / "summary.json")
    assert summary.dataset == "toy" and summary.provenance.seed == 3 and list(summary.methods) == ["pca"]
    assert summary.config.templates.name == "imagenet" and len(summary.config.templates.templates) == 8
    assert len(read_images(results / "images.jsonl")) == 4
    again = CliRunner().invoke(cli, _args(root, pool, out, "--dataset-name", "toy", "--templates", "imagenet",
                                          "--seed", "3", "--batch-size", "5"))
    assert again.exit_code == 0 and "0 classes computed, 2 reused" in again.output


def _run(*args):
    return subprocess.run([sys.executable, "-c", "from generator.cli import main; main()", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def test_subprocess_run_and_one_line_errors(tmp_path):
    root, pool = _inputs(tmp_path)
    out = tmp_path / "out"
    ok = _run(*_args(root, pool, out, "--quiet"))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == str(out / "shapes" / "tiny-vit__untrained") and ok.stderr == ""
    assert read_summary(out / "shapes" / "tiny-vit__untrained" / "summary.json").untrained
    bad = _run("compute", "--model", "ViT-B-32", "--pretrained", "openai", "--dataset-dir", str(root),
               "--descriptors", str(pool), "--out", str(out))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: weights of model vit-b-32")
    (root / "red_circle" / "broken.png").write_bytes(b"not a png")
    corrupt = _run(*_args(root, pool, tmp_path / "out2", "--quiet", "--fail-fast"))
    assert corrupt.returncode == 2 and "Traceback" not in corrupt.stderr
    assert "broken.png: cannot read this image" in corrupt.stderr
    skipped = _run(*_args(root, pool, tmp_path / "out3", "--quiet"))    # default: skipped, recorded, exit 0
    assert skipped.returncode == 0 and "skipped 1 unreadable image(s)" in skipped.stderr, skipped.stderr
