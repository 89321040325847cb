"""Which vision towers can be explained (spec §2.2.1, §2.2.5): the tower kind of an open_clip model, looked up by the
class of ``model.visual``. The registry needs it to describe a loaded model (family, tower) and the method to pick
its patch-feature extractor (:mod:`generator.method.features`), so it lives here, below both (imports point from
method to registry, never back). open_clip and timm are imported only when a model is classified.
"""
from __future__ import annotations

from typing import Callable

from generator.errors import UserError


class UnsupportedTower(UserError, ValueError):
    """The model's vision tower (or the requested facet) is not supported."""


# ----------------------------------------------------------------------------------------------------------------
# Tower kinds: class of model.visual -> resolver(visual) -> kind (or None when the class alone does not decide).

def _timm_kind(visual) -> str | None:
    from timm.models.convnext import ConvNeXt
    return "timm_convnext" if isinstance(getattr(visual, "trunk", None), ConvNeXt) else None


def _tower_registry() -> dict[type, Callable]:
    from open_clip.modified_resnet import ModifiedResNet
    from open_clip.timm_model import TimmModel
    from open_clip.transformer import VisionTransformer
    return {VisionTransformer: lambda v: "vit", ModifiedResNet: lambda v: "modified_resnet", TimmModel: _timm_kind}


TOWER_KINDS = ("vit", "modified_resnet", "timm_convnext")


def tower_kind(model) -> str:
    """'vit' | 'modified_resnet' | 'timm_convnext' (raises :class:`UnsupportedTower`, a ValueError, otherwise)."""
    visual = getattr(model, "visual", model)
    registry = _tower_registry()
    for cls in type(visual).__mro__:
        if cls in registry:
            kind = registry[cls](visual)
            if kind is not None:
                return kind
    trunk = getattr(visual, "trunk", None)
    what = type(visual).__name__ + (f" (trunk {type(trunk).__name__})" if trunk is not None else "")
    raise UnsupportedTower(
        f"vision tower {what} is not supported; supported kinds: {', '.join(TOWER_KINDS)} "
        "(open_clip VisionTransformer, ModifiedResNet, TimmModel with a timm ConvNeXt trunk). "
        "Pick a model with one of these towers.")
