"""The shipped family of demo models: three sizes on the full pool and two on a small pool, so that models differ in
size and in amount of training data (issue: embedded default, point 4). ``benchmarks/train_family.py`` trains it.

Budget on this machine (2 CPU cores shared with other jobs, one training thread, fixed step counts so runs are
reproducible): the largest model gets the most steps (at most 15 minutes wall time), the small-data variants fewer.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .train import TrainSpec

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "demo"
CONFIG_DIR = DATA_DIR / "configs"
MODEL_DIR = DATA_DIR / "models"
DEFAULT_MODEL = "demo-l-20k"
FULL_POOL = 20_000
SMALL_POOL = 2_000


@dataclass(frozen=True)
class Member:
    name: str
    architecture: str       # data/demo/configs/<architecture>.json
    n_images: int
    steps: int
    description: str

    def spec(self, config_dir: Path = CONFIG_DIR) -> TrainSpec:
        return TrainSpec(config=str(config_dir / f"{self.architecture}.json"), n_images=self.n_images,
                         steps=self.steps, monitor_every=200)


FAMILY: tuple[Member, ...] = (
    Member(DEFAULT_MODEL, "demo-vit-l", FULL_POOL, 800, "Largest model, full pool: the shipped default."),
    Member("demo-m-20k", "demo-vit-m", FULL_POOL, 600, "Medium model, full pool."),
    Member("demo-s-20k", "demo-vit-s", FULL_POOL, 500, "Small model, full pool."),
    Member("demo-l-2k", "demo-vit-l", SMALL_POOL, 400, "Largest architecture on a 2k-image pool."),
    Member("demo-s-2k", "demo-vit-s", SMALL_POOL, 250, "Small architecture on a 2k-image pool."),
)
MEMBERS: dict[str, Member] = {m.name: m for m in FAMILY}


def shipped_models(model_dir: Path = MODEL_DIR) -> list[dict]:
    """Cards of the models present in ``model_dir`` (family order), each with absolute ``config_path`` and
    ``weights_path`` added, ready for ``open_clip.add_model_config`` / ``create_model(pretrained=...)``."""
    out = []
    for m in FAMILY:
        card_path = model_dir / f"{m.name}.card.json"
        if not card_path.is_file():
            continue
        card = json.loads(card_path.read_text())
        card["config_path"] = str(CONFIG_DIR / f"{card['architecture']}.json")
        card["weights_path"] = str(model_dir / card["weights"])
        out.append(card)
    return out
