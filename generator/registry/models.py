"""Models that can be explained: the paper's 13 CLIP models, any open_clip (model, pretrained) pair, a
local checkpoint, or a custom architecture from an open_clip model-config JSON (spec §3.1).

A :class:`ModelSpec` is plain data (hashable, serialisable). :func:`resolve_model` turns the CLI's
``--model / --pretrained / --model-config`` into one, :func:`check_weights` finds the weights *locally*
(HF hub cache or open_clip's URL cache, never the network) and fails with a :class:`UserError` that
says how to provide them, before any work starts. :func:`load_model` builds the model with the Hub
forced offline, so a missing file fails fast instead of hanging on an unreachable host.

``--pretrained none`` gives random weights (results then say ``"untrained": true``); the random
initialisation is seeded so that the same seed gives the same model.

Choice recorded: open_clip 3.x loads the ``openai`` tags into the model's GELU config and only warns
about the QuickGELU mismatch; like the official OpenAI loader we build such models with QuickGELU
(``force_quick_gelu`` when the tag's config says ``quick_gelu``).
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

from generator.errors import UserError
from generator.hashing import cached_file_sha256, file_sha256
from generator.results.schema import ModelInfo   # the stored shape of Summary.model_info
from generator.registry.paper import PaperModel, paper_models
from generator.registry.towers import tower_kind

UNTRAINED = "none"
FAMILY_OF_TOWER = {"vit": "ViT", "modified_resnet": "ResNet", "timm_convnext": "ConvNeXt"}
_HF_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")


# the paper's 13 models: one table, data/paper/models.json (generator.registry.paper)
PAPER_MODELS: dict[str, PaperModel] = paper_models()
_PAPER_BY_PAIR = {(p.model, p.pretrained): p for p in PAPER_MODELS.values()}
_PAPER_BY_NAME = {p.paper_name.lower().replace("×", "x"): p for p in PAPER_MODELS.values()}


@dataclass(frozen=True)
class ModelSpec:
    """What to load: an open_clip architecture name and its weights (tag, checkpoint path or ``none``)."""

    model: str
    pretrained: str
    model_config: Optional[str] = None   # path of a custom open_clip model-config JSON
    paper_key: Optional[str] = None      # key in PAPER_MODELS when the pair is one of the paper's models

    @property
    def untrained(self) -> bool:
        return self.pretrained == UNTRAINED

    @property
    def is_path(self) -> bool:
        p = self.pretrained
        return not self.untrained and ("/" in p or os.sep in p or Path(p).suffix != "" or os.path.isfile(p))

    @property
    def id(self) -> str:
        """Folder-safe identity used in result paths: the paper key, else ``<model>__<weights>``."""
        if self.paper_key:
            return self.paper_key
        weights = "untrained" if self.untrained else (Path(self.pretrained).stem if self.is_path else self.pretrained)
        return _safe(f"{self.model}__{weights}")

    def to_dict(self) -> dict:
        return asdict(self)


def card_pretraining_data(weights_file: Optional[str]) -> Optional[str]:
    """``pretraining_data`` of a model card beside a local checkpoint (``X.safetensors`` -> ``X.card.json``),
    so leaderboards can say what a checkpoint was trained on; None when there is no (readable) card."""
    if not weights_file:
        return None
    card = Path(weights_file).with_suffix(".card.json")
    try:
        value = json.loads(card.read_text(encoding="utf-8")).get("pretraining_data")
    except (OSError, ValueError, AttributeError):
        return None
    return str(value) if value else None


@dataclass
class LoadedModel:
    spec: ModelSpec
    model: object                   # open_clip CLIP / CustomTextCLIP, eval mode, on ``device``
    tokenizer: object
    image_size: int
    mean: tuple = (0.48145466, 0.4578275, 0.40821073)
    std: tuple = (0.26862954, 0.26130258, 0.27577711)
    info: ModelInfo = field(default=None)
    weights: str = ""               # weights identity (see :func:`weights_identity`)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.@" else "-" for c in name)


def _open_clip():
    import open_clip  # lazy: importing torch/open_clip is slow and not needed for `--help`

    return open_clip


def register_model_config(path) -> str:
    """Validate an open_clip model-config JSON and register it (name = file stem); return the name."""
    path = Path(path)
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: model config not found; check the --model-config path") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: model config is not valid JSON ({e}); fix the file") from None
    missing = [k for k in ("embed_dim", "vision_cfg", "text_cfg") if not isinstance(cfg, dict) or k not in cfg]
    if missing:
        raise UserError(f"{path}: model config lacks {missing}; an open_clip model config needs "
                        "'embed_dim', 'vision_cfg' and 'text_cfg' (see open_clip/model_configs/*.json)")
    _open_clip().add_model_config(path)
    return path.stem


def resolve_model(name: Optional[str], pretrained: Optional[str] = None,
                  model_config: Optional[str] = None) -> ModelSpec:
    """CLI arguments -> :class:`ModelSpec` (no weights are touched).

    ``name`` is a paper key (``vit-b-16``), a paper name (``ViT-B/16``) or an open_clip architecture.
    Without ``pretrained`` a paper model gets its paper weights; other architectures need a tag, a path
    or ``none``. With ``model_config`` the architecture is the config file (name = its stem).
    """
    if model_config:
        stem = register_model_config(model_config)
        if name and name != stem:
            raise UserError(f"--model {name!r} does not match --model-config {model_config} (registered as "
                            f"{stem!r}); pass --model {stem} or leave --model out")
        if not pretrained:
            raise UserError(f"--model-config {model_config}: pass --pretrained PATH (a checkpoint for it) or "
                            "--pretrained none (random weights)")
        return ModelSpec(stem, _norm_pretrained(pretrained), model_config=str(model_config))
    if not name:
        raise UserError("no model given; pass --model NAME (e.g. --model vit-b-16, see the paper's models in "
                        "generator/registry/models.py) or --model-config FILE")
    paper = PAPER_MODELS.get(name.lower()) or _PAPER_BY_NAME.get(name.lower().replace("×", "x"))
    oc = _open_clip()
    arch = paper.model if paper else name.replace("/", "-")
    if oc.get_model_config(arch) is None:
        raise UserError(f"unknown model {name!r}: not one of the paper's models ({', '.join(PAPER_MODELS)}) "
                        "nor an open_clip architecture (see open_clip.list_models()); for a custom "
                        "architecture pass --model-config FILE")
    if not pretrained:
        if paper is None:
            tags = oc.list_pretrained_tags_by_model(arch)
            raise UserError(f"model {name!r}: pass --pretrained TAG (open_clip tags: {', '.join(tags) or 'none'}), "
                            "--pretrained /path/to/checkpoint or --pretrained none (random weights)")
        pretrained = paper.pretrained
    pretrained = _norm_pretrained(pretrained)
    spec = ModelSpec(arch, pretrained)
    if not spec.untrained and not spec.is_path and not oc.get_pretrained_cfg(arch, pretrained):
        tags = oc.list_pretrained_tags_by_model(arch)
        raise UserError(f"--pretrained {pretrained!r} is not a known open_clip tag of {arch} (tags: "
                        f"{', '.join(tags) or 'none'}) nor a checkpoint file; check the name or the path")
    hit = _PAPER_BY_PAIR.get((arch, pretrained))
    return ModelSpec(arch, pretrained, paper_key=hit.key if hit else None)


def _norm_pretrained(p: str) -> str:
    return UNTRAINED if p.strip().lower() in ("none", "random", "") else p


def _how_to_provide(spec: ModelSpec, hub: str) -> str:
    where = f"the Hugging Face cache (huggingface-cli download {hub.rstrip('/')})" if hub else "open_clip's cache"
    return (f"on a machine with internet run `python -c \"import open_clip; open_clip.create_model("
            f"'{spec.model}', pretrained='{spec.pretrained}')\"` to download it into {where} and copy the cache "
            f"here, or pass --pretrained /path/to/checkpoint")


def check_weights(spec: ModelSpec, cache_dir: Optional[str] = None) -> Optional[str]:
    """The local file holding ``spec``'s weights (None for random weights); UserError when it is absent.

    Looks only at local files: the checkpoint path, the Hugging Face hub cache, open_clip's URL cache.
    """
    if spec.untrained:
        return None
    if spec.is_path:
        path = Path(spec.pretrained).expanduser()
        if not path.is_file():
            raise UserError(f"model {spec.model}: checkpoint {path} not found; check the --pretrained path")
        return str(path)
    oc = _open_clip()
    cfg = oc.get_pretrained_cfg(spec.model, spec.pretrained) or {}
    hub = cfg.get("hf_hub", "")
    found = _cached_file(cfg, cache_dir)
    if found is None:
        raise UserError(f"weights of model {spec.id} ({spec.model}, pretrained={spec.pretrained}) are not "
                        f"available offline; {_how_to_provide(spec, hub)}")
    return found


def _cached_file(cfg: dict, cache_dir: Optional[str]) -> Optional[str]:
    if "file" in cfg:
        return cfg["file"] if os.path.isfile(cfg["file"]) else None
    hub = cfg.get("hf_hub", "")
    if hub:
        from huggingface_hub import try_to_load_from_cache

        repo, filename = os.path.split(hub.rstrip("/")) if not hub.endswith("/") else (hub.rstrip("/"), "")
        names = [filename] if filename else list(_HF_FILES)
        if filename.endswith((".bin", ".pth")):
            names.insert(0, filename[:-4] + ".safetensors")
        for name in names:
            hit = try_to_load_from_cache(repo, name, cache_dir=cache_dir)
            if isinstance(hit, str) and os.path.isfile(hit):
                return hit
    url = cfg.get("url", "")
    if url:
        local = Path(cache_dir or os.path.expanduser("~/.cache/clip")) / os.path.basename(url)
        if local.is_file():
            return str(local)
    return None


def is_available(spec: ModelSpec, cache_dir: Optional[str] = None) -> bool:
    """Cheap check (no model built, no network): can :func:`load_model` get ``spec``'s weights here?"""
    try:
        check_weights(spec, cache_dir)
    except UserError:
        return False
    return True


def weights_identity(spec: ModelSpec, weights_file: Optional[str], seed: int) -> str:
    """What identifies the weights in cache keys: the tag and file size, the checkpoint's size and the sha256 of
    its whole content (remembered by stat signature, :func:`generator.hashing.cached_file_sha256`, so it is read
    once), or the seed of the random initialisation; plus the config file's sha256 for a custom architecture."""
    parts = [spec.model]
    if spec.model_config:
        parts.append("config:" + file_sha256(spec.model_config)[:16])
    if spec.untrained:
        parts.append(f"random:seed={seed}")
    else:
        size = os.path.getsize(weights_file) if weights_file else 0
        if spec.is_path:
            parts.append(f"file:{size}:{cached_file_sha256(weights_file)[:16]}")
        else:
            parts.append(f"tag:{spec.pretrained}:{size}")
    return "|".join(parts)


class _offline:
    """Force the Hugging Face hub offline while a model loads, so a missing file fails fast instead of hanging on an
    unreachable host: ``HF_HUB_OFFLINE=1`` in the environment (read by libraries imported during the load) and
    ``huggingface_hub.constants.HF_HUB_OFFLINE`` (read at call time); both are restored afterwards, so importing
    or using mkbench changes nothing for the rest of the process."""

    def __enter__(self):
        self.env = os.environ.get("HF_HUB_OFFLINE")
        os.environ["HF_HUB_OFFLINE"] = "1"
        try:
            from huggingface_hub import constants
        except ImportError:  # pragma: no cover - open_clip works without the hub
            self.constants = None
            return self
        self.constants, self.previous = constants, constants.HF_HUB_OFFLINE
        constants.HF_HUB_OFFLINE = True
        return self

    def __exit__(self, *exc):
        if self.env is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = self.env
        if self.constants is not None:
            self.constants.HF_HUB_OFFLINE = self.previous


class _quiet_random_init:
    """Hide open_clip's "initialized randomly" warning when random weights were asked for."""

    def __init__(self, active: bool):
        self.active = active

    def filter(self, record) -> bool:
        return "initialized randomly" not in record.getMessage()

    def __enter__(self):
        if self.active:
            logging.getLogger().addFilter(self)
        return self

    def __exit__(self, *exc):
        logging.getLogger().removeFilter(self)


def load_model(spec: ModelSpec, device: str = "cpu", seed: int = 0, cache_dir: Optional[str] = None) -> LoadedModel:
    """Build ``spec`` in eval mode on ``device``; UserError (before building) when its weights are absent."""
    import torch


    oc = _open_clip()
    if spec.model_config:
        register_model_config(spec.model_config)
    weights_file = check_weights(spec, cache_dir)
    tag_cfg = {} if spec.untrained or spec.is_path else (oc.get_pretrained_cfg(spec.model, spec.pretrained) or {})
    torch.manual_seed(seed)  # random init (``none``) is then a function of the seed
    kwargs = dict(pretrained_image=False, pretrained_text=False, device=device, cache_dir=cache_dir,
                  force_quick_gelu=bool(tag_cfg.get("quick_gelu", False)))
    pretrained = None if spec.untrained else (weights_file if spec.is_path else spec.pretrained)
    try:
        with _offline(), _quiet_random_init(spec.untrained):
            model = oc.create_model(spec.model, pretrained=pretrained, **kwargs)
            tokenizer = oc.get_tokenizer(spec.model)
    except UserError:
        raise
    except Exception as e:  # corrupt checkpoint, mismatched architecture, ...
        raise UserError(f"model {spec.id}: could not load {spec.model} with pretrained={spec.pretrained} ({e}); "
                        "check that the checkpoint matches the architecture") from None
    model.eval()
    size = model.visual.image_size
    size = int(size[0] if isinstance(size, (tuple, list)) else size)
    tower = tower_kind(model)
    paper = PAPER_MODELS.get(spec.paper_key) if spec.paper_key else None
    data = paper.data if paper else (card_pretraining_data(weights_file) if spec.is_path else None)
    info = ModelInfo(family=paper.family if paper else FAMILY_OF_TOWER.get(tower, tower), tower=tower,
                     image_size=size, parameters=int(sum(p.numel() for p in model.parameters())),
                     paper_name=paper.paper_name if paper else None, data=data)
    return LoadedModel(spec=spec, model=model, tokenizer=tokenizer, image_size=size,
                       mean=tuple(tag_cfg.get("mean", LoadedModel.mean)), std=tuple(tag_cfg.get("std", LoadedModel.std)),
                       info=info, weights=weights_identity(spec, weights_file, seed))


__all__ = ["PAPER_MODELS", "PaperModel", "ModelSpec", "ModelInfo", "LoadedModel", "resolve_model",
           "register_model_config", "check_weights", "is_available", "weights_identity", "load_model", "UNTRAINED"]
