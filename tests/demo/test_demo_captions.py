"""Training captions: descriptive, mention the class, and never use the zero-shot templates' wording."""
import re

import numpy as np

from generator.demo.captions import TEMPLATE_ONLY_WORDS, TEMPLATES, caption
from generator.demo.world import CLASSES


def _captions(n=3000):
    rng = np.random.default_rng(0)
    return [(c, caption(c.name, c.part_names, rng)) for c in (CLASSES[i % len(CLASSES)] for i in range(n))]


def test_template_wording_never_occurs_in_training_captions():
    for _, text in _captions():
        words = set(re.findall(r"[a-z]+", text.lower()))
        assert not words & TEMPLATE_ONLY_WORDS, text
        for t in TEMPLATES:
            assert t.split("{c}")[0].strip() not in text, (t, text)
    for t in TEMPLATES:
        assert set(re.findall(r"[a-z]+", t.lower())) & TEMPLATE_ONLY_WORDS


def test_captions_name_the_class_and_describe_visible_parts():
    n_with_parts = 0
    for cls, text in _captions(600):
        assert cls.name in text
        phrases = [ph for p in cls.parts for ph in p.phrases if ph in text]
        n_with_parts += bool(phrases)
    assert n_with_parts > 0.6 * 600


def test_captions_only_mention_visible_parts():
    rng = np.random.default_rng(1)
    house = next(c for c in CLASSES if c.name == "house")
    for _ in range(200):
        text = caption("house", ("roof",), rng)
        others = [ph for p in house.parts if p.name != "roof" for ph in p.phrases]
        assert not any(ph in text for ph in others)
