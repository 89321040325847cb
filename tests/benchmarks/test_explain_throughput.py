"""The throughput benchmark's own pieces (the full run is too slow for the suite): the test class, the stage timers,
the computed GPU memory."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
from PIL import Image

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "explain_throughput.py"


def _bench():
    spec = importlib.util.spec_from_file_location("explain_throughput", PATH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("explain_throughput", mod)
    spec.loader.exec_module(mod)
    return mod


def test_class_of_distinct_photos(tmp_path):
    folder = _bench().make_class(tmp_path, 12)
    files = sorted((folder / "photos").iterdir())
    assert len(files) == 12
    arrays = [np.asarray(Image.open(f).convert("RGB").resize((32, 32))) for f in files]
    assert len({a.tobytes() for a in arrays}) == 12


def test_stage_timers_wrap_and_restore():
    from generator.method import prompts
    from generator.runner import work as compute

    bt = _bench()
    orig = (prompts.part_prompts, compute.encode_class, compute.Engine.load_images)
    st = bt.Stages().install()
    assert prompts.part_prompts is not orig[0]
    img = np.zeros((16, 16, 3), np.uint8)
    pm = np.full((16, 16), -1)
    pm[4:10, 4:10] = 0
    prompts.part_prompts(img, pm)
    st.remove()
    assert (prompts.part_prompts, compute.encode_class, compute.Engine.load_images) == orig
    assert st.t["prompts: draw"] > 0


def test_vit_l_336_memory_estimate_fits_24_gb():
    est = _bench().estimate_vit_gpu_memory("ViT-L-14-336", images=50, batch=50)
    assert 400 < est["params_M"] < 460                  # ViT-L/14@336 CLIP has ~428 M parameters
    assert est["total_GB"] < 24 and est["weights_GB"] > 1.5
    small = _bench().estimate_vit_gpu_memory("ViT-L-14-336", images=50, batch=8, attention_matrix=False)
    assert small["total_GB"] < est["total_GB"]
