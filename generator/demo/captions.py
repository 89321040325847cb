"""Training captions and zero-shot templates for the synthetic world.

Three kinds of training text, re-drawn every time an image is used (the mix is chosen in :mod:`.train`):

* :func:`caption`: a sentence naming the class and 0-3 of its visible parts, each part with its drawn colour most of
  the time, as web alt-texts do: "a cartoon snowman with a red top hat and a big round base.";
* :func:`part_caption`: 1-3 visible parts *without* the class name: "a blue triangular roof and a brown tall door.";
* :func:`part_phrase`: one visible part's phrase alone, the caption of an image prompted around that part.

Absent parts (world 2's optional parts) never occur in any of them. The evaluation
templates ("a photo of a {c}." ...) use words that never occur in training captions (:data:`TEMPLATE_ONLY_WORDS`;
checked by ``tests/demo/test_captions.py``), so zero-shot accuracy is measured on unseen wording.
"""
from __future__ import annotations

from typing import Mapping

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


COLOURED_SHARE = 0.8  # share of part mentions that name the part's colour (when it has coloured phrases)


def part_phrase(class_name: str, part: str, rng: np.random.Generator, colours: Mapping[str, str] | None = None,
                patterns: Mapping[str, tuple[str, str]] | None = None) -> str:
    """One phrase for visible ``part`` of an image of ``class_name``; names the drawn colour (``colours[part]``)
    and, in world 3, the part's two-colour pattern (``patterns[part]`` = (pattern, second colour): "a red and white
    striped door") with probability :data:`COLOURED_SHARE`, else a plain phrase."""
    kind = CLASS_BY_NAME[class_name].part(part).kind
    colour = (colours or {}).get(part)
    pat, second = (patterns or {}).get(part, (None, None))
    pool = kind.phrases(colour, pat, second)[:len(kind.coloured)] if colour and kind.coloured else ()
    if not pool or (kind.plain and rng.random() >= COLOURED_SHARE):
        pool = kind.plain or pool
    return pool[int(rng.integers(len(pool)))]


def _chosen(class_name, parts, rng, lo, max_parts, colours, patterns=None):
    placed = {p.name for p in CLASS_BY_NAME[class_name].parts}
    visible = [p for p in parts if p in placed]
    n = int(rng.integers(min(lo, len(visible)), min(max_parts, len(visible)) + 1))
    return [part_phrase(class_name, visible[i], rng, colours, patterns) for i in rng.permutation(len(visible))[:n]]


def caption(class_name: str, parts: tuple[str, ...], rng: np.random.Generator, max_parts: int = 3,
            colours: Mapping[str, str] | None = None, patterns: Mapping[str, tuple[str, str]] | None = None) -> str:
    """A random caption for an image of ``class_name`` whose visible parts are ``parts`` (colours and world-3
    patterns by part)."""
    form = CLASS_FORMS[rng.integers(len(CLASS_FORMS))].format(a=article(class_name), c=class_name)
    phrases = _chosen(class_name, parts, rng, 0, max_parts, colours, patterns)
    if not phrases:
        return form + "."
    if rng.random() < 0.75:
        return f"{form} with {_join(phrases)}."
    return f"{_join(phrases)}: {form}."


def part_caption(class_name: str, parts: tuple[str, ...], rng: np.random.Generator, max_parts: int = 3,
                 colours: Mapping[str, str] | None = None, patterns: Mapping[str, tuple[str, str]] | None = None) -> str:
    """1-``max_parts`` visible parts with their attributes, without the class name."""
    phrases = _chosen(class_name, parts, rng, 1, max_parts, colours, patterns)
    return _join(phrases) + "." if phrases else "an object."
