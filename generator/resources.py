"""Where the files mkbench reads at run time live: the site's templates, the paper's reference tables and the demo
world (models, configs, dataset, descriptor pool, prompt templates).

The repository keeps them at its top level (``templates/``, ``data/paper/``, ``data/demo/``); the build maps them
into the package (``setup.py``: ``generator/templates``, ``generator/data``), so an installed wheel finds them with
:mod:`importlib.resources` inside ``generator``. A checkout (editable install, a worktree on ``PYTHONPATH``) has no
such folders inside the package and falls back to the checkout's top level. This module is the only place that
knows either layout.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Optional

from generator.errors import UserError

# name inside the package (wheel) -> path in the repository (checkout)
SHIPPED = {"templates": "templates", "data": "data"}


def _package_dir() -> Path:
    return Path(str(resources.files("generator")))


def checkout_root() -> Optional[Path]:
    """The repository holding this package when it runs from a checkout (pyproject.toml and templates/ beside
    ``generator/``); None for an installed wheel."""
    root = _package_dir().parent
    return root if (root / "pyproject.toml").is_file() and (root / "templates").is_dir() else None


def shipped(name: str) -> Path:
    """The folder of shipped files ``name`` (``templates`` or ``data``): inside the installed package, else in the
    checkout. UserError naming both places when neither has it (a broken install)."""
    inside = _package_dir() / name
    if inside.is_dir():
        return inside
    root = checkout_root()
    if root is not None and (root / SHIPPED[name]).is_dir():
        return root / SHIPPED[name]
    raise UserError(f"mkbench's shipped folder {name!r} is missing (looked in {inside} and beside the package); "
                    "reinstall mkbench (pip install --force-reinstall mkbench)")


def templates_dir() -> Path:
    """Jinja templates, theme overrides and first-party assets of the site (repository: ``templates/``)."""
    return shipped("templates")


def paper_dir() -> Path:
    """The paper's reference tables (repository: ``data/paper/``)."""
    return shipped("data") / "paper"


def demo_dir() -> Path:
    """The demo world: models, configs, dataset, descriptor pool, templates (repository: ``data/demo/``)."""
    return shipped("data") / "demo"


def data_dir() -> Path:
    """Root of the shipped inputs (repository: ``data/``); the presets' paths are relative to it."""
    return shipped("data")
