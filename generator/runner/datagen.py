"""Generated datasets: a suite dataset with ``generate: {kind: NAME, ...}`` is written to its ``dir`` when that
folder is missing, so ``mkbench build`` on the demo preset needs no separate download or generation step.

Generators are a registry (:data:`GENERATORS`, filled with :func:`generator`): ``fn(folder, **arguments)`` writes an
image folder (one sub-folder per class, optional ``classnames.json``). :func:`ensure_dataset` writes into a temporary
sibling folder and renames it into place, so an interrupted generation never leaves a half dataset that looks done.
"""
from __future__ import annotations

import inspect
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from generator.errors import UserError

GENERATORS: dict[str, Callable[..., None]] = {}


def generator(kind: str):
    """Register ``fn(folder: Path, **arguments)`` as the dataset generator ``kind``."""
    def deco(fn):
        GENERATORS[kind] = fn
        return fn
    return deco


@generator("demo")
def demo_world(folder: Path, per_class: int = 20, seed: int = 0, size: int | None = None,
               world: int | None = None) -> None:
    """The synthetic world of :mod:`generator.demo` with its ground-truth part masks
    (:func:`generator.demo.dataset.write_dataset`): a smaller ``per_class`` gives a subset of a larger one."""
    from generator.demo.dataset import write_dataset
    from generator.demo.render import IMAGE_SIZE

    write_dataset(folder, per_class=int(per_class), seed=int(seed), size=int(size or IMAGE_SIZE),
                  world=None if world is None else int(world))


def ensure_dataset(folder, spec: dict | None, log: Callable[[str], None] = lambda m: None) -> bool:
    """Write the dataset ``spec`` describes into ``folder`` unless the folder exists; True when it was written."""
    folder = Path(folder)
    if spec is None or folder.exists():
        return False
    args = dict(spec)
    kind = args.pop("kind")
    fn = GENERATORS.get(kind)
    if fn is None:
        raise UserError(f"dataset generator {kind!r} unknown; known: {', '.join(sorted(GENERATORS))}")
    try:
        inspect.signature(fn).bind(folder, **args)
    except TypeError as e:
        raise UserError(f"dataset generator {kind!r}: bad arguments {args} ({e})") from None
    log(f"generating dataset {kind} into {folder}")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        fn(tmp, **args)
        os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return True
