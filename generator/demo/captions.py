"""Training captions and zero-shot templates for the synthetic world.

A caption is a descriptive sentence naming the class and 0-3 of its visible parts, re-drawn every time an image is
used, as web alt-texts do: "a cartoon snowman with a black top hat and a big round white base.". The evaluation
templates ("a photo of a {c}." ...) use words that never occur in training captions (:data:`TEMPLATE_ONLY_WORDS`;
checked by ``tests/demo/test_captions.py``), so zero-shot accuracy is measured on unseen wording.
"""
from __future__ import annotations

import numpy as np

from .world import CLASS_BY_NAME

# Zero-shot prompts (open_clip / paper style, "{c}" = class name). Shipped as data/demo/templates.json.
TEMPLATES: tuple[str, ...] = ("a photo of a {c}.", "a drawing of a {c}.", "a picture of the {c}.",
                              "an image of the {c}.")
TEMPLATE_ONLY_WORDS: frozenset[str] = frozenset({"photo", "drawing", "picture", "image"})

# "{a}" = indefinite article of the class name, "{c}" = class name.
CLASS_FORMS: tuple[str, ...] = (
    "{a} {c}", "a cartoon {c}", "this is {a} {c}", "clip art of {a} {c}", "a simple {c}", "an illustration of {a} {c}",
    "a flat {c} icon", "my favourite {c}", "a colourful {c}", "a little {c}", "a big {c}", "a toy {c}",
    "{a} {c} on a noisy background", "a vector {c}",
)


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def caption(class_name: str, parts: tuple[str, ...], rng: np.random.Generator, max_parts: int = 3) -> str:
    """A random caption for an image of ``class_name`` whose visible parts are ``parts``."""
    cls = CLASS_BY_NAME[class_name]
    placed = {p.name: p for p in cls.parts}
    form = CLASS_FORMS[rng.integers(len(CLASS_FORMS))].format(a=article(class_name), c=class_name)
    visible = [p for p in parts if p in placed]
    n = int(rng.integers(0, min(max_parts, len(visible)) + 1))
    if n == 0:
        return form + "."
    chosen = [visible[i] for i in rng.permutation(len(visible))[:n]]
    phrases = [placed[p].phrases[rng.integers(len(placed[p].phrases))] for p in chosen]
    if rng.random() < 0.75:
        return f"{form} with {_join(phrases)}."
    return f"{_join(phrases)}: {form}."
