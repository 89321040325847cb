"""Mixed precision is applied only on CUDA with ``precision: amp``, once, and leaves CPU models untouched."""
from __future__ import annotations

from types import SimpleNamespace

import torch

from generator.runner import device


class _Model(torch.nn.Module):
    def encode_image(self, x):
        return x * 2


def test_cpu_and_fp32_leave_the_model_alone():
    loaded = SimpleNamespace(model=_Model())
    original = loaded.model.encode_image
    assert not device.apply_precision(loaded, "cpu", "amp")
    assert not device.apply_precision(loaded, "cuda", "fp32")
    assert loaded.model.encode_image == original


def test_cuda_amp_wraps_encode_image_once(monkeypatch):
    monkeypatch.setattr(device, "amp_dtype", lambda: torch.bfloat16)
    loaded = SimpleNamespace(model=_Model())
    assert device.apply_precision(loaded, "cuda:0", "amp")
    wrapped = loaded.model.encode_image
    assert device.apply_precision(loaded, "cuda", "amp") and loaded.model.encode_image is wrapped  # idempotent
    assert wrapped.__wrapped__.__func__ is _Model.encode_image


def test_resolve_device_auto_and_unusable_devices(monkeypatch):
    import pytest

    from generator.errors import UserError

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert device.resolve_device("auto") == device.resolve_device(None) == "cpu"
    assert device.resolve_device(" CPU ") == "cpu"
    with pytest.raises(UserError, match="no CUDA device.*--device cpu"):
        device.resolve_device("cuda:1")
    with pytest.raises(UserError, match="use cpu, cuda"):
        device.resolve_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device.resolve_device("auto") == "cuda" and device.resolve_device("cuda:1") == "cuda:1"
