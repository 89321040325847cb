"""Image loading for the runner: decode and resize the next classes while the current one is explained (issue 11).

A class batch is explained jointly (spec §2.2: one encode pass over its B images), so the overlap that pays is
*across* classes: :class:`ClassLoader` runs a ``torch.utils.data.DataLoader`` over the pending class units whose
worker processes decode and resize (``Preprocess.load``, PIL bicubic, no crop) whole classes ahead of the compute
loop (``prefetch_factor`` classes per worker). On CUDA the uint8 batches come back in pinned memory and are copied
with ``non_blocking=True``; normalisation then runs on the device. Decoding is deterministic, so the images, and
therefore the results, are the same with or without workers (tested).

Unreadable images (issue 10) travel back as values, the same :class:`~generator.registry.datasets.BadImage` list the
synchronous path gives (:func:`load_readable`); other worker errors are raised in the main process as one-line
:class:`~generator.errors.UserError`. Units skipped between two requests are dropped; a unit asked
for out of order is decoded synchronously.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from generator.errors import UserError


def default_workers(device: str) -> int:
    """Loader worker processes: none on CPU (compute dominates and there are few cores), else up to 8."""
    if not str(device).startswith("cuda"):
        return 0
    return max(1, min(8, (os.cpu_count() or 2) // 2))


class _Classes:
    """Map-style dataset: item i = the uint8 (B, S, S, 3) images of class unit i (or the error it raised)."""

    def __init__(self, pre, batches: Sequence[Sequence[Path]]):
        self.pre, self.batches = pre, [list(b) for b in batches]

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, i):
        import torch

        try:
            raw, kept, bad, notes = load_readable(self.pre, self.batches[i])
            return i, (torch.from_numpy(raw), kept, bad, notes), None
        except UserError as e:
            return i, None, str(e)


def _collate(items):
    return items[0]


def load_raw(pre, paths: Sequence[Path]) -> np.ndarray:
    """uint8 (B, S, S, 3): every image decoded and resized (``pre.load``)."""
    return (np.stack([pre.load(p) for p in paths]) if len(paths)
            else np.zeros((0, pre.size, pre.size, 3), np.uint8))


def load_readable(pre, paths: Sequence[Path]):
    """(uint8 (B', S, S, 3) of the readable images, their indices in ``paths``, [BadImage] of the unreadable ones,
    [(path, note)] of images scaled to 8 bits): :func:`generator.registry.datasets.read_rgb` on each file."""
    from generator.registry.datasets import BadImage, read_rgb

    arrays, kept, bad, notes = [], [], [], []
    for i, p in enumerate(paths):
        try:
            a, note = read_rgb(p, pre.size)
        except BadImage as e:
            bad.append(e)
            continue
        arrays.append(a)
        kept.append(i)
        if note:
            notes.append((p, note))
    raw = np.stack(arrays) if arrays else np.zeros((0, pre.size, pre.size, 3), np.uint8)
    return raw, kept, bad, notes


def to_device(pre, raw, device: str):
    """(normalised float32 (B, 3, S, S) on ``device``, uint8 numpy (B, S, S, 3)) from a uint8 array or tensor
    (pinned tensors are copied asynchronously)."""
    import torch

    t = raw if isinstance(raw, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(raw))
    on = t.to(device, non_blocking=t.is_pinned())
    return _normalize(pre, on), t.numpy()


def normalize(pre, raw, device: str):
    """uint8 (B, S, S, 3) numpy array (``pre.normalize``, as before) or tensor (any device: normalised where it
    is, e.g. prompt images drawn on the GPU) -> normalised float32 (B, 3, S, S) on ``device``."""
    import torch

    if isinstance(raw, torch.Tensor):
        return _normalize(pre, raw.to(device))
    return pre.normalize(raw, device)


def _normalize(pre, x):
    """``Preprocess.normalize`` on a uint8 (B, S, S, 3) tensor already on its device (same ops, same order)."""
    import torch

    x = x.permute(0, 3, 1, 2).float().div_(255.0)
    mean = torch.tensor(pre.mean, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(pre.std, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


class ClassLoader:
    """Prefetches the images of ``batches`` (one list of paths per class unit, in the order they will be asked for)
    with ``workers`` DataLoader processes; ``get(i, paths)`` returns (normalised tensor, uint8 array, indices of the
    readable files, [BadImage] of the others, [(path, note)] of scaled images): :func:`load_readable`."""

    def __init__(self, pre, batches: Sequence[Sequence[Path]], device: str = "cpu", workers: Optional[int] = None,
                 prefetch_factor: int = 2):
        self.pre, self.device = pre, device
        self.workers = default_workers(device) if workers is None else max(0, int(workers))
        self.batches = [list(b) for b in batches]
        self._it, self._next = None, 0
        if self.workers > 0 and self.batches:
            from torch.utils.data import DataLoader

            loader = DataLoader(_Classes(pre, self.batches), batch_size=1, shuffle=False, num_workers=self.workers,
                                collate_fn=_collate, pin_memory=str(device).startswith("cuda"),
                                prefetch_factor=prefetch_factor, persistent_workers=False)
            self._it = iter(loader)

    def get(self, i: int, paths: Sequence[Path]):
        """The images of unit ``i`` (``paths`` must be ``batches[i]``; otherwise they are decoded here)."""
        paths = list(paths)
        if self._it is not None and self._next <= i < len(self.batches) and paths == self.batches[i]:
            while self._next <= i:              # units skipped since (done elsewhere) are dropped
                j, got, error = next(self._it)
                self._next += 1
            if error:
                raise UserError(error)
            raw, kept, bad, notes = got
        else:
            raw, kept, bad, notes = load_readable(self.pre, paths)
        return (*to_device(self.pre, raw, self.device), kept, bad, notes)

    def close(self) -> None:
        self._it = None   # the DataLoader iterator shuts its workers down when collected

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
