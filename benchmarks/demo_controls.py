"""Measure a shipped demo model's explanations against chance controls on the demo dataset (issue 8, item 3).

    nice -n 10 .venv/bin/python benchmarks/demo_controls.py --model demo-m-20k --out /tmp/demo-controls

Runs the engine (``generator.runner.compute``, the same code as ``mkbench compute``) on ``data/demo/dataset``, by
default with the engine's own pool scaling (``MethodConfig.pool_scaling`` "auto": 13 / 9 and 1 descriptor per part
for the 111-descriptor pool); ``--initial-topk`` / ``--language-topk`` set them explicitly (pool scaling "none"),
e.g. 14 / 10 = ceil(500 * N / 4229) and the mean descriptors per class, with ``--topk-per-part`` (default: the value
the auto rule gives this pool); ``--foreground`` picks the foreground method (the demo
preset uses ``border_contrast``). Then it computes from ``images.jsonl``:

* **AUC vs random D_v**: each image's D_v replaced by |D_v| distinct random pool ids in random order, same language
  set; MI curves and the dataset AUC computed exactly as the engine does (zero-padded mean curve, mean of points);
  mean and sd over ``--draws`` draws;
* **grounding precision** (engine's ``grounding_present`` / ``grounding_under_concept``, part-only rule of
  ``generator/demo/pool.py``) beside: random pool descriptors (analytic expectation per image) and the class prior
  (descriptors drawn uniformly from the *predicted* class's own pool entry);
* **part IoU** of the method's concepts vs the engine's pixel K-means baseline on the same foreground, and the
  foreground's object IoU and empty-foreground count;
* **oracle-region part AUROC** (``--oracle``): the method's prompts (generator.method.prompts) drawn around each TRUE
  part; within the prompt, AUROC of ranking that part's descriptors above the others by cos(prompted image,
  "a photo showing {d}"); per prompt kind and for the mean of the three embeddings (grounding measured without
  segmentation).

Writes ``<out>/controls-<model>.json`` and prints it. Not part of the tests (it runs a model over 240 images).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

DATASET = REPO / "data" / "demo" / "dataset"
POOL = REPO / "data" / "demo" / "descriptors_demo.json"
PAPER_POOL = 4229


def pool_scaled(pool: dict[str, list[str]]) -> tuple[int, int, list[str]]:
    unique = list(dict.fromkeys(d for ds in pool.values() for d in ds))
    k = math.ceil(500 * len(unique) / PAPER_POOL)
    u = round(sum(len(v) for v in pool.values()) / len(pool))
    return k, u, unique


def run_engine(card: dict, out: Path, cfg) -> Path:
    import torch

    from generator.runner.compute import ComputeRequest, compute

    torch.set_num_threads(1)
    req = ComputeRequest(dataset_dir=DATASET, descriptors=POOL, out=out, model=card["architecture"],
                         model_config=card["config_path"], pretrained=card["weights_path"], dataset_name="demo",
                         method=cfg, overlays_per_class=0, templates=str(REPO / "data" / "demo" / "templates.json"))
    return compute(req, progress=lambda m: None).results_dir


def load_records(results_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (results_dir / "images.jsonl").read_text().splitlines() if line.strip()]


def dataset_auc(curves: list[list[float]], length: int) -> float:
    from generator.results.metrics import auc, mean_curve

    return auc(mean_curve(curves, length=max([length] + [len(c) for c in curves])))


def auc_controls(records, method: str, ids: dict[str, int], length: int, draws: int, seed: int = 0) -> dict:
    from generator.method.mutual_information import mi_curve

    rng = np.random.default_rng(seed)
    own = dataset_auc([r["methods"][method]["curve"] for r in records], length)
    recomputed = dataset_auc([mi_curve([ids[v["descriptor"]] for v in r["methods"][method]["vision"]],
                                       [ids[d] for d in r["methods"][method]["language"]]) for r in records], length)
    rand = []
    for _ in range(draws):
        curves = []
        for r in records:
            m = r["methods"][method]
            n = len(m["vision"])
            curves.append(mi_curve(rng.choice(len(ids), size=n, replace=False).tolist(), [ids[d] for d in m["language"]]))
        rand.append(dataset_auc(curves, length))
    sizes = [len(r["methods"][method]["vision"]) for r in records]
    return {"auc": own, "auc_recomputed": recomputed, "random_dv_auc_mean": float(np.mean(rand)),
            "random_dv_auc_sd": float(np.std(rand)), "ratio": own / max(float(np.mean(rand)), 1e-12),
            "mean_dv_size": float(np.mean(sizes)), "draws": draws}


def grounding_controls(records, method: str, pool: dict, desc_parts: dict, unique: list[str]) -> dict:
    n = len(unique)
    own_p, own_u, rnd_p, rnd_u, pri_p, pri_u = [], [], [], [], [], []
    for r in records:
        m = r["methods"][method]
        gt = m.get("ground_truth") or {}
        present = set(gt.get("parts_present", []))
        matched = {c["concept"]: c["part"] for c in gt.get("concepts", [])}
        cls_desc = pool[r["prediction"]]
        if gt.get("grounding_present") is not None:
            own_p.append(gt["grounding_present"])
            rnd_p.append(sum(bool(present & set(desc_parts[d])) for d in unique) / n)
            pri_p.append(sum(bool(present & set(desc_parts[d])) for d in cls_desc) / len(cls_desc))
        if gt.get("grounding_under_concept") is not None:
            own_u.append(gt["grounding_under_concept"])
            pairs = [(matched.get(p["part"]), len(p["descriptors"])) for p in m["parts"] if p["descriptors"]]
            tot = sum(k for _, k in pairs)
            rnd_u.append(sum(k * (sum(part in desc_parts[d] for d in unique) / n if part else 0) for part, k in pairs) / tot)
            pri_u.append(sum(k * (sum(part in desc_parts[d] for d in cls_desc) / len(cls_desc) if part else 0)
                             for part, k in pairs) / tot)
    mean = lambda v: float(np.mean(v)) if v else None  # noqa: E731
    return {"present": mean(own_p), "present_random": mean(rnd_p), "present_class_prior": mean(pri_p),
            "under_concept": mean(own_u), "under_concept_random": mean(rnd_u),
            "under_concept_class_prior": mean(pri_u), "n_images": len(own_p)}


def segmentation(records, method: str) -> dict:
    gts = [r["methods"][method].get("ground_truth") or {} for r in records]
    base = [r.get("ground_truth_baseline") or {} for r in records]
    vals = lambda rows, key: [x[key] for x in rows if x.get(key) is not None]  # noqa: E731
    return {"part_iou": float(np.mean(vals(gts, "mean_iou"))) if vals(gts, "mean_iou") else None,
            "pixel_kmeans_iou": float(np.mean(vals(base, "mean_iou"))) if vals(base, "mean_iou") else None,
            "object_iou": float(np.mean(vals(gts, "object_iou"))) if vals(gts, "object_iou") else None,
            "empty_foregrounds": sum(1 for g in gts if not g.get("n_concepts"))}


def _auroc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    from scipy.stats import rankdata

    npos, nneg = int(positive.sum()), int((~positive).sum())
    if not npos or not nneg:
        return None
    ranks = rankdata(scores)
    return float((ranks[positive].sum() - npos * (npos + 1) / 2) / (npos * nneg))


def oracle_auroc(card: dict, unique: list[str], desc_parts: dict, prompt: str = "a photo showing {}") -> dict:
    """Within-prompt AUROC of the true part's descriptors, prompts drawn around each true part."""
    import torch
    from PIL import Image

    from generator.demo.train import load_model, normaliser
    from generator.demo.world import PART_NAMES
    from generator.method.prompts import part_prompts

    model, tok = load_model(card["config_path"], card["weights_path"])
    norm = normaliser(model)
    with torch.no_grad():
        t = model.encode_text(tok([prompt.format(d) for d in unique]))
        t = t / t.norm(dim=-1, keepdim=True)
    kinds = ("red", "gray", "blur")
    res: dict[str, list[float]] = {k: [] for k in kinds + ("mean",)}
    for img_path in sorted(p for p in DATASET.glob("*/*.png")):
        image = np.asarray(Image.open(img_path).convert("RGB"))
        mask = np.asarray(Image.open(DATASET / ".masks" / img_path.parent.name / img_path.name))
        ids, prompts = part_prompts(image, mask.astype(np.int64) - 1, kinds)
        if not ids:
            continue
        x = torch.from_numpy(prompts.reshape(-1, *image.shape)).permute(0, 3, 1, 2)
        with torch.no_grad():
            f = model.encode_image(norm(x))
            f = (f / f.norm(dim=-1, keepdim=True)).reshape(len(ids), len(kinds), -1)
        for i, pid in enumerate(ids):
            part = PART_NAMES[pid + 1]
            pos = np.array([part in desc_parts[d] for d in unique])
            embs = {k: f[i, j] for j, k in enumerate(kinds)}
            m = f[i].mean(0)
            embs["mean"] = m / m.norm()
            for k, e in embs.items():
                a = _auroc((t @ e).numpy(), pos)
                if a is not None:
                    res[k].append(a)
    return {k: float(np.mean(v)) for k, v in res.items()} | {"n_prompts": len(res["mean"]), "chance": 0.5}


def main() -> None:
    global DATASET
    from generator.demo.family import shipped_models

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="demo-m-20k")
    ap.add_argument("--out", type=Path, default=Path("/tmp/demo-controls"))
    ap.add_argument("--draws", type=int, default=20)
    ap.add_argument("--oracle", action="store_true", help="also the oracle-region part AUROC")
    ap.add_argument("--initial-topk", type=int)
    ap.add_argument("--language-topk", type=int)
    ap.add_argument("--topk-per-part", type=int, help="descriptors per part with explicit --initial-topk / "
                    "--language-topk (default: what pool scaling 'auto' gives this pool)")
    ap.add_argument("--model-dir", type=Path, help="folder of the model cards (default data/demo/models)")
    ap.add_argument("--foreground", help="MethodConfig.foreground_method (default: the config's default)")
    ap.add_argument("--dataset", type=Path, default=DATASET,
                    help="demo dataset with masks (default data/demo/dataset; e.g. a world-3 one from "
                         "`mkbench make-demo-dataset --world 3`)")
    args = ap.parse_args()
    DATASET = args.dataset
    cards = shipped_models(args.model_dir) if args.model_dir else shipped_models()
    card = next((c for c in cards if c["model"] == args.model), None)
    if card is None:
        sys.exit(f"no card for {args.model}; known: {[c['model'] for c in cards]}")
    from generator.method.config import MethodConfig, effective_topk, pool_scaled as engine_pool_scaled

    pool = json.loads(POOL.read_text())
    _, _, unique = pool_scaled(pool)
    over = {"foreground_method": args.foreground} if args.foreground else {}
    if args.initial_topk or args.language_topk:
        base = MethodConfig()
        auto = effective_topk(base, len(unique), len(pool))
        over |= {"pool_scaling": "none", "initial_topk": args.initial_topk or base.initial_topk,
                 "language_topk": args.language_topk or base.language_topk,
                 "topk_per_part": args.topk_per_part or auto["topk_per_part"]}
    cfg = MethodConfig(**over)
    eff = effective_topk(cfg, len(unique), len(pool))
    k, u = eff["initial_topk"], eff["language_topk"]
    desc_parts = json.loads((DATASET / ".masks" / "parts.json").read_text())["descriptors"]
    ids = {d: i for i, d in enumerate(unique)}
    t0 = time.perf_counter()
    tag = f"k{k}-u{u}-t{eff['topk_per_part']}" + (f"-{args.foreground}" if args.foreground else "")
    results_dir = run_engine(card, args.out / tag, cfg)
    records = load_records(results_dir)
    summary = json.loads((results_dir / "summary.json").read_text()) if (results_dir / "summary.json").is_file() else {}
    out = {"model": args.model, "pool_size": len(unique), "initial_topk": k, "language_topk": u,
           "topk_per_part": eff["topk_per_part"],
           "foreground_method": cfg.foreground_method, "pool_scaling": cfg.pool_scaling,
           "n_images": len(records), "top1": float(np.mean([r["correct"] for r in records])),
           "results_dir": str(results_dir), "engine_seconds": round(time.perf_counter() - t0, 1), "methods": {}}
    from generator.runner.records import max_curve_length

    length = max_curve_length(engine_pool_scaled(cfg, len(unique), len(pool)))   # the config that ran
    for method in records[0]["methods"]:
        out["methods"][method] = {"auc": auc_controls(records, method, ids, length, args.draws),
                                  "grounding": grounding_controls(records, method, pool, desc_parts, unique),
                                  "segmentation": segmentation(records, method)}
    if args.oracle:
        out["oracle_region_auroc"] = oracle_auroc(card, unique, desc_parts)
    out["summary_methods"] = {m: {"mi": v.get("mi"), "auc": v.get("auc")} for m, v in summary.get("methods", {}).items()}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"controls-{args.model}-{tag}.json").write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
