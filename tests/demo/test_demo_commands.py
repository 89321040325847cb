"""CLI: train-demo writes weights and a card; make-demo-dataset writes a masked dataset; bad input is one line."""
import json
from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli

CONFIG = str(Path(__file__).resolve().parents[2] / "data" / "demo" / "configs" / "demo-vit-s.json")


def test_train_demo_writes_weights_and_card(tmp_path):
    r = CliRunner().invoke(cli, ["train-demo", "--config", CONFIG, "--images", "48", "--steps", "2",
                                 "--batch-size", "16", "--eval-images", "24", "--name", "t", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    card = json.loads((tmp_path / "t.card.json").read_text())
    assert (tmp_path / "t.safetensors").stat().st_size == card["weights_bytes"]
    assert card["training"]["steps"] == 2 and card["heldout"]["n_images"] == 24
    assert "held-out top-1" in r.output and (tmp_path / "t.md").is_file()


def test_make_demo_dataset(tmp_path):
    out = tmp_path / "d"
    r = CliRunner().invoke(cli, ["make-demo-dataset", "--out", str(out), "--per-class", "1"])
    assert r.exit_code == 0, r.output
    assert (out / ".masks" / "parts.json").is_file() and len(list(out.glob("*/*.png"))) == 12
    r = CliRunner().invoke(cli, ["make-demo-dataset", "--out", str(out)])
    assert r.exit_code != 0 and "exists" in str(r.exception)


def test_train_demo_bad_config(tmp_path):
    from generator.errors import UserError

    r = CliRunner().invoke(cli, ["train-demo", "--config", str(tmp_path / "nope.json"), "--out", str(tmp_path)])
    assert isinstance(r.exception, UserError) and "model config not found" in str(r.exception)
