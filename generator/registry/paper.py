"""The paper's 13 CLIP models (spec §3.1) in one table, ``data/paper/models.json``: it feeds the model registry
(:data:`generator.registry.models.PAPER_MODELS`: names, weights, what ``mkbench models`` lists), the report's
matching of runs to the paper's tables (:mod:`generator.report.paper`) and the ``paper13`` preset
(``models: paper``). Plain data, no torch.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from generator.errors import UserError


@dataclass(frozen=True)
class PaperModel:
    """A row of the paper's model table; ``open_clip`` lists the (architecture, pretrained tag) pairs that are this
    model, the first being the one mkbench loads (the spec's inferred mapping)."""

    key: str
    paper_name: str
    family: str
    architecture: str
    resolution: Optional[int]
    pretraining_data: str
    open_clip: tuple
    patches: Optional[str] = None
    open_clip_image_size: Optional[int] = None   # when open_clip's config differs from the paper's resolution
    open_clip_imagenet_top1: Optional[float] = None
    note: Optional[str] = None

    @property
    def model(self) -> str:
        return self.open_clip[0][0]

    @property
    def pretrained(self) -> str:
        return self.open_clip[0][1]

    @property
    def data(self) -> str:
        return self.pretraining_data

    @property
    def image_size(self) -> Optional[int]:
        """Input size of the open_clip model that is loaded."""
        return self.open_clip_image_size or self.resolution

    def is_pair(self, model: str, pretrained: str) -> bool:
        return (model, pretrained) in self.open_clip or (model, "") in self.open_clip


def norm_name(name: str) -> str:
    """Paper names compared loosely: case, punctuation and ``×``/``x`` ignored (``RN-50×4`` == ``rn50x4``)."""
    return re.sub(r"[^a-z0-9@]", "", str(name).lower().replace("×", "x"))


FIELDS = ("key", "paper_name", "family", "architecture", "resolution", "pretraining_data", "open_clip", "patches",
          "open_clip_image_size", "open_clip_imagenet_top1", "note")


def load_paper_models(path) -> dict[str, PaperModel]:
    """``{key: PaperModel}`` in the table's order from a ``models.json``; UserError naming the file when it is
    missing or malformed."""
    path = Path(path)
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["models"]
        out = {}
        for r in rows:
            unknown = set(r) - set(FIELDS)
            if unknown:
                raise KeyError(f"unknown field(s) {sorted(unknown)} of {r.get('key')!r}")
            pairs = tuple(tuple(p) for p in r["open_clip"])
            if not pairs or any(len(p) != 2 for p in pairs):
                raise ValueError(f"{r['key']}: open_clip must list [architecture, pretrained] pairs")
            out[r["key"]] = PaperModel(**{**r, "open_clip": pairs})
    except (OSError, KeyError, TypeError, ValueError) as e:  # JSONDecodeError is a ValueError
        raise UserError(f"{path}: the paper's model table is missing or malformed ({e}); restore it from mkbench's "
                        "data/paper/models.json (reinstall mkbench) or fix the file") from None
    return out


@functools.lru_cache(maxsize=None)
def paper_models() -> dict[str, PaperModel]:
    """The shipped table (:func:`generator.resources.paper_dir`), read once."""
    from generator.resources import paper_dir

    return load_paper_models(paper_dir() / "models.json")


__all__ = ["PaperModel", "load_paper_models", "paper_models", "norm_name"]
