"""Training captions: descriptive, mention the class, and never use the zero-shot templates' wording."""
import re

import numpy as np

from generator.demo.captions import TEMPLATE_ONLY_WORDS, TEMPLATES, caption, part_caption, part_phrase
from generator.demo.world import CLASSES


def _all_phrases(p):
    return {ph for col in p.colours for ph in p.phrases(col)}


def _captions(n=3000):
    rng = np.random.default_rng(0)
    out = []
    for c in (CLASSES[i % len(CLASSES)] for i in range(n)):
        colours = {p.name: p.colours[0] for p in c.parts}
        out += [(c, caption(c.name, c.part_names, rng, colours=colours)),
                (c, part_caption(c.name, c.part_names, rng, colours=colours)),
                (c, part_phrase(c.name, c.part_names[0], rng, colours))]
    return out


def test_template_wording_never_occurs_in_training_captions():
    for _, text in _captions():
        words = set(re.findall(r"[a-z]+", text.lower()))
        assert not words & TEMPLATE_ONLY_WORDS, text
        assert "a photo showing" not in text  # the method's descriptor prompt (spec §2.1)
        for t in TEMPLATES:
            assert t.split("{c}")[0].strip() not in text, (t, text)
    for t in TEMPLATES:
        assert set(re.findall(r"[a-z]+", t.lower())) & TEMPLATE_ONLY_WORDS


def test_captions_name_the_class_and_describe_visible_parts():
    n_with_parts = 0
    rng = np.random.default_rng(3)
    for cls in (CLASSES[i % len(CLASSES)] for i in range(600)):
        text = caption(cls.name, cls.part_names, rng)
        assert cls.name in text
        phrases = [ph for p in cls.parts for ph in _all_phrases(p) if ph in text]
        n_with_parts += bool(phrases)
    assert n_with_parts > 0.6 * 600


def test_part_captions_never_name_a_class_and_name_the_drawn_colour():
    rng = np.random.default_rng(4)
    class_words = {w for c in CLASSES for w in c.name.split()}
    named = 0
    for cls in (CLASSES[i % len(CLASSES)] for i in range(600)):
        colours = {p.name: p.colours[-1] for p in cls.parts}
        text = part_caption(cls.name, cls.part_names, rng, colours=colours)
        assert not set(re.findall(r"[a-z]+", text)) & class_words, text
        named += any(p.phrases(colours[p.name])[0] in text for p in cls.parts if p.kind.coloured)
    assert named > 0.5 * 600


def test_captions_only_mention_visible_parts():
    rng = np.random.default_rng(1)
    house = next(c for c in CLASSES if c.name == "house")
    for _ in range(200):
        text = caption("house", ("roof",), rng)
        others = [ph for p in house.parts if p.name != "roof" for ph in _all_phrases(p)]
        assert not any(ph in text for ph in others)
