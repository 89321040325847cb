"""Output folders that cannot destroy anything: mkbench deletes only folders it created, marked with
:data:`MARKER`, and refuses output folders that overlap its inputs (a site inside the results, results inside a
dataset, staging = results, ...).

* :func:`check_separate` - outputs vs inputs (the same folder, or one inside the other, after resolving symlinks);
* :func:`check_claimable` - a folder mkbench may fill: absent, empty, or marked as its own (else refused, unless
  ``force``: then it is written into and its other files are kept);
* :func:`claim` / :func:`clear_owned` - mark a folder as mkbench's; empty a folder that carries the mark;
* :func:`publish` - move a finished build (a fresh folder beside the target) into place: an absent, empty or owned
  target is replaced whole (renames; a killed build leaves the old one intact), a foreign one (``force``) gets the
  new files and keeps its own.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Mapping

from generator.errors import UserError

MARKER = ".mkbench-owned"


def _real(p) -> Path:
    return Path(os.path.realpath(os.path.abspath(os.fspath(p))))


def overlap(a, b) -> bool:
    """True when ``a`` and ``b`` are the same folder or one lies inside the other."""
    a, b = _real(a), _real(b)
    return a == b or a in b.parents or b in a.parents


def check_separate(outputs: Mapping[str, object], inputs: Mapping[str, object]) -> None:
    """Refuse any output folder that overlaps an input folder or another output (names are the CLI options)."""
    outs = [(k, v) for k, v in outputs.items() if v is not None]
    ins = [(k, v) for k, v in inputs.items() if v is not None]
    pairs = [(o, i) for o in outs for i in ins] + [(a, b) for n, a in enumerate(outs) for b in outs[n + 1:]]
    for (on, o), (inn, i) in pairs:
        if overlap(o, i):
            a, b = _real(o), _real(i)
            how = "is" if a == b else ("is inside" if b in a.parents else "contains")
            raise UserError(f"{on} {o} {how} {inn} {i}: writing there could overwrite or delete it; "
                            f"choose a separate {on} folder")


def owned(folder) -> bool:
    """Whether mkbench created ``folder`` (it holds the marker file)."""
    return (Path(folder) / MARKER).is_file()


def _empty(folder: Path) -> bool:
    with os.scandir(folder) as it:
        return next(it, None) is None


def check_claimable(folder, option: str, force: bool = False) -> None:
    """Refuse ``folder`` as an output unless it is absent, empty, mkbench's own, or ``force`` is given."""
    folder = Path(folder)
    if not folder.exists() and not folder.is_symlink():
        return
    if not folder.is_dir():
        raise UserError(f"{option} {folder}: exists and is not a folder; choose a folder")
    if owned(folder) or _empty(folder):
        return
    if force:
        return
    old = " (if an mkbench older than the marker built it, delete it yourself)" \
        if (folder / "assets" / "mkbench").is_dir() else ""
    raise UserError(f"{option} {folder}: the folder is not empty and was not created by mkbench (it has no "
                    f"{MARKER}){old}; mkbench never deletes files it did not create: choose a new or empty folder"
                    + (", or pass --force to write into it and keep its other files" if option != "--staging" else ""))


def claim(folder, kind: str) -> Path:
    """Create ``folder`` if needed and mark it as mkbench's (``kind``: what it holds)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text(json.dumps({"created_by": "mkbench", "kind": kind, "pid": os.getpid()}) + "\n",
                                 encoding="utf-8")
    return folder


def clear_owned(folder) -> None:
    """Delete the contents of a folder mkbench owns (refused for any other folder)."""
    folder = Path(folder)
    if not owned(folder):
        raise UserError(f"{folder}: not created by mkbench (no {MARKER}); refusing to empty it")
    for child in folder.iterdir():
        if child.name == MARKER:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def fresh_beside(target, kind: str) -> Path:
    """A new, marked folder next to ``target`` (same file system, so :func:`publish` only renames); folders of
    earlier builds killed before publishing (their process is gone) are removed first."""
    target = _real(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{target.name}.mkbench-"
    for old in target.parent.glob(prefix + "*"):
        if old.is_dir() and owned(old) and not _alive(old):
            shutil.rmtree(old, ignore_errors=True)
    return claim(tempfile.mkdtemp(prefix=prefix, dir=target.parent), kind)


def _alive(folder: Path) -> bool:
    try:
        pid = int(json.loads((folder / MARKER).read_text(encoding="utf-8"))["pid"])
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return True


def publish(built, target, force: bool = False) -> Path:
    """Move the finished folder ``built`` (from :func:`fresh_beside`) to ``target`` (see the module docstring)."""
    built, target = Path(built), _real(target)
    if not target.exists():
        os.rename(built, target)
    elif owned(target) or _empty(target):
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.mkbench-old-", dir=target.parent))
        os.rmdir(old)
        os.rename(target, old)
        os.rename(built, target)
        shutil.rmtree(old, ignore_errors=True)
    elif force:   # the user's folder: add and overwrite our files, keep theirs, leave it unmarked
        for dirpath, _, files in os.walk(built):
            dest = target / Path(dirpath).relative_to(built)
            dest.mkdir(parents=True, exist_ok=True)
            for f in files:
                if f != MARKER or dirpath != str(built):
                    os.replace(os.path.join(dirpath, f), dest / f)
        shutil.rmtree(built, ignore_errors=True)
    else:
        shutil.rmtree(built, ignore_errors=True)
        check_claimable(target, "--out")   # raises: it changed since the build started
    return target
