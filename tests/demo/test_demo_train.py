"""Training: a 20-step smoke run lowers the loss; runs are deterministic for a seed; weights round-trip open_clip."""
from pathlib import Path

import torch

from generator.demo.train import TrainSpec, build_pool, load_model, save_weights, train

CONFIG = str(Path(__file__).resolve().parents[2] / "data" / "demo" / "configs" / "demo-vit-s.json")


def _spec(steps, **kw):
    return TrainSpec(config=CONFIG, n_images=96, steps=steps, batch_size=32, lr=1e-3, eval_images=24, **kw)


def test_smoke_20_steps_lowers_the_loss():
    pool = build_pool(96, 0)
    _, rec = train(_spec(20), pool=pool, log=lambda m: None)
    first, last = sum(rec["losses"][:3]) / 3, sum(rec["losses"][-3:]) / 3
    assert len(rec["losses"]) == 20
    assert last < first - 0.05, rec["losses"]


def test_same_seed_same_weights_other_seed_differs():
    pool = build_pool(96, 0)
    a, _ = train(_spec(3), pool=pool, log=lambda m: None)
    b, _ = train(_spec(3), pool=pool, log=lambda m: None)
    c, _ = train(_spec(3, seed=1), pool=pool, log=lambda m: None)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_fp16_safetensors_load_through_open_clip(tmp_path):
    model, _ = train(_spec(2), pool=build_pool(96, 0), log=lambda m: None)
    path = tmp_path / "m.safetensors"
    save_weights(model, path)
    loaded, tok = load_model(CONFIG, path)
    for k, v in model.state_dict().items():
        assert torch.allclose(loaded.state_dict()[k].float(), v.float().half().float()), k
    assert tok(["a cartoon house."]).shape[1] == 32
