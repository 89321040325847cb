"""Devices for the suite runner: CUDA when present (one local worker per visible GPU), CPU otherwise, and mixed
precision of the image tower on CUDA.

Mixed precision wraps only ``model.encode_image`` in ``torch.autocast`` (bf16 where the GPU supports it, else fp16):
that is where nearly all the compute is (1 + 3L forward passes per image and part method, spec §2.3.1), and every
caller of it in :mod:`generator.method.features` casts the outputs back to float32, so the method's own arithmetic
(SVD, k-means, Sinkhorn, MI) stays in float32 as on the CPU. Text embeddings are computed once per model and cached,
so they stay in float32. The official code runs CLIP in fp16 on CUDA (``clip.load``); autocast is the closer-to-fp32
choice. Results on CUDA therefore differ from CPU results in the last digits, as any CPU/GPU pair does; the unit keys
do not include the device, but they include the effective precision (:func:`effective_precision`), so an fp32 result
is never reused by an amp run (see :mod:`generator.runner.units`).
"""
from __future__ import annotations

import functools

from generator.errors import UserError


def resolve_device(device: str) -> str:
    """``auto`` -> cuda when available else cpu; UserError for an unusable device."""
    import torch

    device = (device or "auto").strip().lower()
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not (device == "cpu" or device == "cuda" or device.startswith("cuda:")):
        raise UserError(f"--device {device!r}: use cpu, cuda (cuda:N) or auto")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"--device {device}: no CUDA device is available here; use --device cpu")
    return device


def visible_gpus() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def amp_dtype():
    import torch

    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def effective_precision(device: str, precision: str) -> str:
    """``amp`` only for ``precision == "amp"`` on a CUDA device; ``fp32`` otherwise (CPU is always fp32)."""
    return "amp" if precision == "amp" and str(device).startswith("cuda") else "fp32"


def apply_precision(loaded, device: str, precision: str) -> bool:
    """Wrap ``loaded.model.encode_image`` in autocast when ``device`` is CUDA and ``precision`` is ``amp``.
    Idempotent; returns whether mixed precision is on."""
    import torch

    model = loaded.model
    if effective_precision(device, precision) != "amp":
        return False
    if getattr(model, "_mkbench_amp", False):
        return True
    encode, dtype = model.encode_image, amp_dtype()

    @functools.wraps(encode)
    def encode_image(*args, **kwargs):
        with torch.autocast("cuda", dtype=dtype):
            return encode(*args, **kwargs)

    model.encode_image = encode_image
    model._mkbench_amp = True
    return True
