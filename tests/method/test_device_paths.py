"""The torch (CUDA) versions of prompt drawing and part clustering, run here on the CPU against the OpenCV / sklearn
versions the CPU uses (issue 11.3); the CPU dispatch is unchanged."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from generator.method import explain, parts, prompts


def _image(seed=0, size=64):
    rng = np.random.default_rng(seed)
    img = rng.random((size, size, 3)) * 255 + np.linspace(0, 80, size)[None, :, None]
    return np.clip(img, 0, 255).astype(np.uint8)


def _part_map(size=64):
    pm = np.full((size, size), -1)
    pm[10:30, 5:40] = 0
    pm[35:60, 20:50] = 2
    pm[3, 60] = 1          # a one-pixel part (padded ellipse fit)
    return pm


def test_torch_prompts_match_opencv():
    img, pm = _image(), _part_map()
    ids, want = prompts.part_prompts(img, pm)
    ids_t, got = prompts.part_prompts_torch(torch.from_numpy(img), pm)
    assert ids == ids_t == [0, 1, 2] and got.dtype == torch.uint8 and tuple(got.shape) == want.shape
    d = np.abs(want.astype(int) - got.numpy().astype(int))
    assert d[:, 0].max() == 0                          # red outline: identical
    assert d[:, 1].max() <= 1 and (d[:, 1] > 0).mean() < 0.01   # grayscale: OpenCV's weights
    assert d[:, 2].max() <= 1                          # blur: within one level of cv2.GaussianBlur
    outside = ~prompts.ellipse_fill(pm.shape, prompts.fit_part_ellipse(pm == 0))
    assert (got.numpy()[0, 2][outside] != img[outside]).any()   # the blur really blurs


def test_torch_prompts_validate_like_the_cpu_path():
    with pytest.raises(ValueError, match="unknown prompt kind"):
        prompts.part_prompts_torch(torch.from_numpy(_image()), _part_map(), kinds=("red", "sepia"))
    with pytest.raises(ValueError, match="odd"):
        prompts.part_prompts_torch(torch.from_numpy(_image()), _part_map(), blur_kernel=4)
    ids, out = prompts.part_prompts_torch(torch.from_numpy(_image()), np.full((64, 64), -1))
    assert ids == [] and out.shape[0] == 0


def _clustered(seed, dim=64):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(5, dim)) * 3
    return np.concatenate([c + rng.normal(size=(int(rng.integers(20, 120)), dim)) for c in centres])


@pytest.mark.parametrize("seed", [1, 2])
def test_torch_pca_and_kmeans_match_sklearn(seed):
    x = _clustered(seed)
    for method in ("pca", "kmeans"):
        want = parts.PART_METHODS[method](x, 5, 3)
        got = parts.TORCH_PART_METHODS[method](torch.from_numpy(x), 5, 3)
        assert got.dtype == torch.int64 and np.array_equal(got.numpy(), want), method


def test_torch_kmeans_draws_sklearns_initial_centres():
    from sklearn.cluster import KMeans

    x = _clustered(0)
    km = KMeans(n_clusters=5, init="random", n_init=1, max_iter=1, random_state=7).fit(x)
    first = parts.kmeans_parts_torch(torch.from_numpy(x), 5, 7, iter_limit=1)
    assert np.array_equal(first.numpy(), km.labels_)


def test_cpu_dispatch_unchanged(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("a torch path ran for CPU tensors")
    monkeypatch.setitem(parts.TORCH_PART_METHODS, "pca", boom)
    monkeypatch.setattr(prompts, "part_prompts_torch", boom)
    patches = torch.from_numpy(_clustered(1)[:64].reshape(1, 8, 8, 64)).float()
    fg = np.ones((1, 8, 8), bool)
    assert parts.part_maps(patches, fg, "pca").shape == (1, 8, 8)
    assert not explain.draw_on_device("cpu") and explain.draw_on_device("cuda:0")
    assert not parts.cluster_on_device(patches)


def test_explain_batch_with_the_device_paths_forced_on_cpu(monkeypatch, tmp_path):
    """The whole batch through the torch prompt and clustering paths (as on CUDA) gives the CPU path's predictions and
    parts, and D_v close to it (the blur differs by <= 1 grey level)."""
    from generator.method.config import MethodConfig
    from generator.registry.datasets import Preprocess
    from generator.runner import loading
    from tests.fixtures.images import make_image_folder
    from tests.fixtures.tiny import tiny_model
    from tests.method.test_explain import _bank

    model, size = tiny_model("vit")
    root = make_image_folder(tmp_path, per_class=3, size=size)
    pre = Preprocess(size)
    images, raw = pre.load_batch(sorted((root / "red_circle").iterdir()))
    bank, cfg = _bank(model), MethodConfig(language_topk=12)
    norm = lambda r: loading.normalize(pre, r, "cpu")   # noqa: E731  (takes numpy or tensors, as the runner's)
    cpu = explain.explain_batch(model, images, raw, bank, cfg, seed=0, normalize=norm)
    drawn = []
    monkeypatch.setattr(explain, "draw_on_device", lambda device: True)
    monkeypatch.setattr(parts, "cluster_on_device", lambda patches: True)
    real = prompts.part_prompts_torch
    monkeypatch.setattr(prompts, "part_prompts_torch", lambda *a, **k: drawn.append(1) or real(*a, **k))
    dev = explain.explain_batch(model, images, raw, bank, cfg, seed=0, normalize=norm)
    assert len(drawn) == len(raw) * len(cfg.methods)
    for c, d in zip(cpu, dev):
        assert c.prediction == d.prediction
        for m in cfg.methods:
            assert np.array_equal(c.methods[m].part_map, d.methods[m].part_map)
            assert len(set(c.methods[m].vision) & set(d.methods[m].vision)) >= len(c.methods[m].vision) // 2


def test_batched_sinkhorn_equals_per_matrix():
    from generator.method import grounding

    g = torch.Generator().manual_seed(0)
    costs = [torch.randn(5, 40, generator=g) * 2.5, torch.randn(3, 17, generator=g) * 2.5,
             torch.randn(2, 60, generator=g) * 2.5]
    got = grounding.sinkhorn_batched(costs, 1.0, 1000)
    for c, p in zip(costs, got):
        assert p.shape == c.shape
        torch.testing.assert_close(p, grounding.sinkhorn(c, 1.0, 1000), rtol=1e-5, atol=1e-7)


def test_ground_batch_uses_the_batched_plans_only_on_cuda(monkeypatch):
    from generator.method import grounding
    from generator.method.config import MethodConfig

    g = torch.Generator().manual_seed(1)
    unit = lambda *s: torch.nn.functional.normalize(torch.randn(*s, generator=g), dim=-1)   # noqa: E731
    desc_p, desc_r, cfg = unit(80, 16), unit(80, 16), MethodConfig(initial_topk=60)
    items = [(unit(4, 16), [0, 1, 3, 4], unit(16)), None, (unit(3, 16), [0, 2, 4], unit(16))]
    want = [grounding.ground(it[0], it[1], it[2], desc_p, desc_r, cfg) if it else None for it in items]
    calls = []
    monkeypatch.setattr(grounding, "sinkhorn_batched", lambda *a, **k: calls.append(1) or [])
    cpu = grounding.ground_batch(items, desc_p, desc_r, cfg)
    assert not calls and cpu[1] is None and [g.ordered for g in (cpu[0], cpu[2])] == [want[0].ordered, want[2].ordered]
    monkeypatch.undo()
    # the batched path itself (forced: tensors that say they are on CUDA)
    costs = [grounding._ot_cost(it[0], it[2], desc_p, desc_r, cfg) for it in (items[0], items[2])]
    plans = grounding.sinkhorn_batched(costs, cfg.sinkhorn_lambda, cfg.sinkhorn_iters)
    for it, plan, w in zip((items[0], items[2]), plans, (want[0], want[2])):
        got = grounding.ground(it[0], it[1], it[2], desc_p, desc_r, cfg, ot=lambda sub, plan=plan: plan)
        assert got.ordered == w.ordered and got.per_part == w.per_part
