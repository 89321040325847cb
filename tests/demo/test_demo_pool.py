"""The demo descriptor pool: LLM-pool format, part descriptors only, never a class name; shipped files current."""
import json
import re
from pathlib import Path

from generator.demo.pool import (descriptor_colours, descriptor_parts, descriptor_pool, parts_metadata, templates,
                                 world_files)
from generator.demo.world import CLASS_BY_NAME, CLASSES, PART_INDEX

DATA = Path(__file__).resolve().parents[2] / "data" / "demo"


def _class_words():
    words = {c.name for c in CLASSES} | {w for c in CLASSES for w in c.name.split()}
    return sorted(words)


def test_pool_never_contains_a_class_name():
    pool = descriptor_pool()
    assert set(pool) == {c.name for c in CLASSES}
    for descs in pool.values():
        assert len(descs) >= 4
        for d in descs:
            for w in _class_words():
                assert not re.search(rf"\b{re.escape(w)}(s|es)?\b", d.lower()), (w, d)


def test_pool_has_shared_descriptors_and_every_descriptor_maps_to_parts():
    pool = descriptor_pool()
    owners = {}
    for c, descs in pool.items():
        for d in descs:
            owners.setdefault(d, set()).add(c)
    shared = {d for d, cs in owners.items() if len(cs) > 1}
    assert "round black wheels" in shared and len(shared) >= 6
    mapping = descriptor_parts()
    assert set(mapping) == set(owners)
    assert all(parts and set(parts) <= set(PART_INDEX) for parts in mapping.values())


def test_templates_have_one_placeholder():
    assert templates() and all(t.count("{}") == 1 for t in templates())


def test_shipped_world_files_are_current():
    for name, text in world_files().items():
        assert (DATA / name).read_text(encoding="utf-8") == text, f"regenerate data/demo/{name}"
    meta = json.loads((DATA / "parts.json").read_text())
    assert meta == json.loads(json.dumps(parts_metadata()))
    assert meta["parts"]["1"] and "0" not in meta["parts"]


def test_descriptors_name_a_part_with_an_attribute_and_the_mapping_is_consistent():
    """Rule: a descriptor names exactly one part (ground truth "present" / "under the concept" check the part);
    a coloured descriptor also names one of the colours that part takes in the classes listing it."""
    pool, parts, colours = descriptor_pool(), descriptor_parts(), descriptor_colours()
    assert len(parts) >= 75 and len(colours) >= 0.9 * len(parts)
    for cls, descs in pool.items():
        for d in descs:
            assert len(parts[d]) == 1, d
            part = parts[d][0]
            assert part in CLASS_BY_NAME[cls].part_names, (cls, d)
            if d in colours:
                assert colours[d] in CLASS_BY_NAME[cls].part(part).colours and colours[d] in d
    # the same part in different colours gives different descriptors: right part, wrong colour is expressible
    roofs = [d for d, ps in parts.items() if ps == ["roof"]]
    assert len(roofs) >= 4 and len({colours[d] for d in roofs}) == len(roofs)
    meta = parts_metadata()
    assert meta["descriptors"] == parts and meta["descriptor_colours"] == colours
