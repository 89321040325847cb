"""The paper's reference numbers (spec §3: model table 3.1, Tables 3, 6 and 7) as data, and their matching to
our runs.

The tables live in ``data/paper/*.json``. A run matches a paper model by ``summary.config.model.paper_key``
or ``["paper_name"]`` when the runner recorded one, else by its open_clip ``(model, pretrained)`` pair; a data
set matches a table by its name, normalised (lower case, letters and digits only), against the table's aliases.
Tables 6 and 7 do not say which part method (PCA or K-means) their MI/AUC come from (``"methods": null``):
their values are set beside ours for every method, with that caveat shown.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from generator.errors import UserError
from generator.registry.paper import PaperModel, load_paper_models, norm_name


def norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


@dataclass
class PaperTable:
    file: str
    table: str
    title: str
    source: str
    dataset_name: str
    aliases: set
    methods: Optional[list]
    notes: list
    rows: list
    columns: list
    fits: dict = field(default_factory=dict)

    def value(self, row: dict, metric: str, method: Optional[str]) -> Optional[float]:
        """The paper's ``metric`` ("top1", "mi", "auc") for ``method`` in ``row`` (None when not reported)."""
        v = row.get(metric)
        if isinstance(v, dict):
            return v.get(method)
        return v

    def row_for(self, paper_key: Optional[str]) -> Optional[dict]:
        if paper_key is None:
            return None
        return next((r for r in self.rows if r["model"] == paper_key), None)


@dataclass
class PaperData:
    models: dict  # key -> PaperModel
    tables: list  # PaperTable

    def model_for(self, model: str, pretrained: str, paper_name: Optional[str] = None,
                  paper_key: Optional[str] = None) -> Optional[PaperModel]:
        """The paper's model by its key, else its paper name, else its open_clip (model, pretrained) pair."""
        if paper_key in self.models:
            return self.models[paper_key]
        if paper_name:
            by_name = {norm_name(m.paper_name): m for m in self.models.values()}
            wanted = norm_name(paper_name)
            if wanted in by_name:
                return by_name[wanted]
        return next((m for m in self.models.values() if m.is_pair(model, pretrained)), None)

    def model_of(self, summary) -> Optional[PaperModel]:
        """The paper's model of a run, from its typed fields: ``config.model.paper_key`` (the registry's resolution),
        ``model_info.paper_name``, else the (model, pretrained) pair."""
        key = summary.config.model.paper_key if summary.config.model else None
        return self.model_for(summary.model, summary.pretrained, summary.model_info.paper_name, key)

    def tables_for(self, dataset: str) -> list:
        n = norm(dataset)
        return [t for t in self.tables if n in t.aliases]


def load_paper_data(folder) -> PaperData:
    """Read ``models.json`` and every ``table*.json`` of ``folder`` (shipped: :func:`generator.resources.paper_dir`)."""
    folder = Path(folder)
    try:
        models = load_paper_models(folder / "models.json")  # the same table as the model registry's
    except UserError as e:
        raise UserError(f"{e}; or pass --paper-data DIR") from None
    try:
        tables = []
        for path in sorted(folder.glob("table*.json")):
            t = json.loads(path.read_text(encoding="utf-8"))
            tables.append(PaperTable(path.name, t["table"], t["title"], t["source"], t["dataset"]["name"],
                                     {norm(a) for a in t["dataset"]["aliases"]} | {norm(t["dataset"]["name"])},
                                     t.get("methods"), t.get("notes", []), t["rows"], t["columns"], t.get("fits", {})))
    except (OSError, KeyError, json.JSONDecodeError) as e:
        raise UserError(f"{folder}: the paper's reference tables are missing or malformed ({e!r}); restore "
                        "mkbench's data/paper (reinstall mkbench) or pass --paper-data DIR") from None
    for t in tables:
        for r in t.rows:
            if r["model"] not in models:
                raise UserError(f"{folder / t.file}: row model {r['model']!r} is not a key of models.json")
    return PaperData(models, tables)
