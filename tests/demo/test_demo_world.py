"""The world's rules: >= 12 classes of >= 3 parts, shared parts, same-colour parts, parts spanning patches, and
(world 2) information inside a class: colours that vary within a class and are shared across parts, optional parts."""
from collections import defaultdict

import numpy as np

from generator.demo.render import PATCH_SIZE, render, rng_for
from generator.demo.world import CLASS_BY_NAME, CLASSES, COLOURS, PART_INDEX, PART_NAMES, shared_parts


def test_at_least_12_classes_of_3_or_more_parts():
    assert len(CLASSES) >= 12
    assert len({c.name for c in CLASSES}) == len(CLASSES)
    for c in CLASSES:
        assert len(c.parts) >= 3, c.name
        assert len(set(c.part_names)) == len(c.part_names), c.name


def test_some_parts_are_shared_across_classes():
    shared = shared_parts()
    assert set(shared["wheel"]) == {"car", "bus"}
    assert len(shared) >= 3


def test_colour_alone_does_not_separate_parts():
    # within one class, some pairs of parts share their colour (or draw it from the same choices)
    same_colour_classes = set()
    for c in CLASSES:
        colours = {p.name: set(p.colours) for p in c.parts}
        for p in c.parts:
            if p.colour_from is not None:
                colours[p.name] = colours[p.colour_from]
        names = list(colours)
        if any(colours[a] & colours[b] for i, a in enumerate(names) for b in names[i + 1:]):
            same_colour_classes.add(c.name)
    assert {"snowman", "car", "pine tree", "rocket"} <= same_colour_classes
    # across classes, one brown is used by parts that differ by shape and texture
    brown = defaultdict(set)
    for c in CLASSES:
        for p in c.parts:
            for col in p.colours:
                brown[col].add((p.name, p.texture))
    assert max(len(v) for v in brown.values()) >= 4
    assert max(len({t for _, t in v}) for v in brown.values()) >= 2


def test_parts_span_several_patches():
    """At the model's resolution (64 px, 8 px patches) the median part covers >= 1.5 patch areas (the smallest parts,
    e.g. the thin stem and the snowman's head, have about 1.7) and covers >= 25% of 2 or more patches."""
    area, touched = defaultdict(list), defaultdict(list)
    for ci, c in enumerate(CLASSES):
        for k in range(8):
            s = render(c.name, rng_for("test-size", 0, ci * 100 + k))
            for idx in np.unique(s.mask):
                if idx == 0:
                    continue
                m = s.mask == idx
                area[PART_NAMES[int(idx)]].append(m.sum())
                cov = m.reshape(8, PATCH_SIZE, 8, PATCH_SIZE).mean((1, 3))
                touched[PART_NAMES[int(idx)]].append((cov >= 0.25).sum())
    assert set(area) == set(PART_INDEX)
    for name in area:
        assert np.median(area[name]) >= 1.5 * PATCH_SIZE ** 2, name
        assert np.median(touched[name]) >= 2, name


def test_part_colours_vary_within_classes_and_do_not_identify_parts():
    varying = [(c.name, p.name) for c in CLASSES for p in c.parts if len(p.colours) >= 2 and p.colour_from is None]
    assert len(varying) >= 20
    assert all(len({c for p in cls.parts for c in p.colours}) >= 3 for cls in CLASSES)
    users = defaultdict(set)
    for c in CLASSES:
        for p in c.parts:
            for col in p.colours:
                assert col in COLOURS
                users[col].add(p.name)
    assert len(users["red"]) >= 6 and len(users["blue"]) >= 6  # a red patch may be a roof, cap, fins, sail, hull ...


def test_optional_parts_are_absent_from_some_images_only():
    optional = {(c.name, p.name): p.absent for c in CLASSES for p in c.parts if p.absent > 0}
    assert len(optional) >= 8
    assert all(0 < a < 0.6 for a in optional.values())
    for cls in CLASSES:
        assert sum(p.absent == 0 for p in cls.parts) >= 2, cls.name  # the class stays recognisable
    seen = defaultdict(int)
    for k in range(40):
        s = render("snowman", rng_for("test-absent", 0, k))
        seen["top hat" in s.parts] += 1
    assert 5 <= seen[False] <= 25 and seen[True] >= 15
    assert CLASS_BY_NAME["snowman"].part("top hat").absent == 0.35
