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


def test_table_prints_what_the_readme_records():
    """Threads, plain and explain img/s, L, floor, efficiency in wall and CPU time, peak memory, the load at the
    model's start and end, plain img/s by batch before / after the class and the prompt images' img/s."""
    r = {"model": "RN50", "device": "cpu", "threads": 2, "plain_images_per_s": 5.53, "best_batch": 50,
         "explain_images_per_s": 0.108, "L": {"pca": 2.32, "kmeans": 2.48}, "forward_floor": 15.4,
         "efficiency": 0.30, "efficiency_cpu_time": 0.85, "peak_bytes": int(2.36 * 1024 ** 3),
         "loadavg_start": 1.8, "loadavg_end": 5.4, "plain_s_per_image": {"16": 1 / 11.41, "50": 1 / 11.6},
         "plain_s_per_image_before_after": [1 / 11.6, 1 / 3.63], "prompt_images": 720, "prompt_batch": 50,
         "prompt_s_per_image": 1 / 1.63, "stages_s": {"prompts: encode": 441.9, "encode": 4.6}}
    out = _bench()._fmt_table({"RN50": r}, None, {}, [])
    row = next(line for line in out.splitlines() if line.startswith("RN50 "))
    assert row.split() == ["RN50", "cpu", "2", "5.53", "50", "0.108", "2.32", "2.48", "15.4", "0.30", "0.85",
                           "2.36", "1.8-5.4"]
    assert "by batch before the class 16: 11.41, 50: 11.60, at batch 50 after it 3.63" in out
    assert "the 720 prompt images at batch 50: 1.63 img/s" in out and "load average:" in out
