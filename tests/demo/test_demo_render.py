"""Generator determinism and mask / pixel agreement."""
import numpy as np
import pytest

from generator.demo.render import render, render_indexed, rng_for
from generator.demo.captions import caption, part_caption
from generator.demo.world import CLASS_BY_NAME, CLASS_NAMES, COLOURS, PART_INDEX


@pytest.mark.parametrize("cls", CLASS_NAMES)
def test_same_seed_same_image_and_mask(cls):
    a = render(cls, rng_for("t", 3, 7))
    b = render(cls, rng_for("t", 3, 7))
    assert np.array_equal(a.image, b.image) and np.array_equal(a.mask, b.mask)
    assert a.image.shape == (64, 64, 3) and a.image.dtype == np.uint8 and a.mask.dtype == np.uint8


def test_different_seeds_and_streams_differ():
    base = render_indexed("train", 0, 5, CLASS_NAMES)
    assert base.class_name == CLASS_NAMES[5]
    for other in (render_indexed("train", 1, 5, CLASS_NAMES), render_indexed("heldout", 0, 5, CLASS_NAMES),
                  render_indexed("train", 0, 5 + len(CLASS_NAMES), CLASS_NAMES)):
        assert other.class_name == base.class_name
        assert not np.array_equal(other.image, base.image)


@pytest.mark.parametrize("cls", CLASS_NAMES)
def test_mask_covers_exactly_the_pixels_the_object_drew(cls):
    for k in range(3):
        with_obj = render(cls, rng_for("mask", 0, k))
        without = render(cls, rng_for("mask", 0, k), draw_object=False)
        assert without.mask.max() == 0
        bg = with_obj.mask == 0
        # background pixels are untouched by the object
        assert np.array_equal(with_obj.image[bg], without.image[bg])
        # object pixels changed (a part colour can coincide with the background by chance: allow 1%)
        changed = np.abs(with_obj.image.astype(int) - without.image.astype(int)).max(-1) > 0
        assert changed[~bg].mean() > 0.99
        # mask values are exactly the visible parts: every required part, optional ones when drawn
        assert set(np.unique(with_obj.mask)) - {0} == {PART_INDEX[p] for p in with_obj.parts}
        required = tuple(p.name for p in CLASS_BY_NAME[cls].parts if p.absent == 0)
        assert set(required) <= set(with_obj.parts) <= set(CLASS_BY_NAME[cls].part_names)
        assert set(with_obj.colours) == set(with_obj.parts)


def test_part_pixels_have_the_part_colour():
    """World 2's solid parts: every pixel under the part's mask is within jitter + noise of the colour the sample
    names (world 3 patterns and shades them; tests/demo/test_demo_world3.py checks its texture rule)."""
    checked = 0
    for cls in CLASS_NAMES:
        for p in CLASS_BY_NAME[cls].parts:
            if p.texture != "solid" or any(q.colour for q in p.prims):
                continue
            for k in range(3):
                s = render(cls, rng_for("colour", 0, k), world=2)
                if p.name not in s.parts:
                    continue
                assert s.colours[p.name] in p.colours
                px = s.image[s.mask == PART_INDEX[p.name]].astype(float)
                err = np.abs(px - np.asarray(COLOURS[s.colours[p.name]], float))
                assert np.median(err) <= 18 + 4, (cls, p.name)
                assert np.mean(err.max(-1) <= 18 + 4 * 4) > 0.99, (cls, p.name)
                checked += 1
    assert checked >= 20


def test_two_images_of_a_class_differ_in_a_part_colour_and_the_caption_names_it():
    rng = np.random.default_rng(0)
    roofs = {}
    for k in range(30):
        s = render("house", rng_for("within", 0, k))
        roofs.setdefault(s.colours["roof"], s)
    assert len(roofs) >= 2
    (ca, a), (cb, b) = list(roofs.items())[:2]
    px = [np.median(x.image[x.mask == PART_INDEX["roof"]].astype(float), 0) for x in (a, b)]
    assert np.abs(px[0] - px[1]).max() > 40  # the pixels differ, not only the name
    for colour, s in ((ca, a), (cb, b)):
        texts = [part_caption("house", ("roof",), rng, colours=s.colours) for _ in range(30)]
        assert any(f"{colour} triangular roof" in t or f"pointed {colour} roof" in t for t in texts)
        other = cb if colour == ca else ca
        assert not any(f" {other} triangular roof" in " " + t for t in texts)


def test_an_absent_optional_part_is_absent_from_mask_and_captions():
    rng = np.random.default_rng(1)
    s = next(x for x in (render("snowman", rng_for("absent", 0, k)) for k in range(50)) if "top hat" not in x.parts)
    assert PART_INDEX["top hat"] not in np.unique(s.mask)
    hat = CLASS_BY_NAME["snowman"].part("top hat")
    hat_phrases = {ph for col in hat.colours for ph in hat.phrases(col)}
    for _ in range(100):
        for text in (caption("snowman", s.parts, rng, colours=s.colours),
                     part_caption("snowman", s.parts, rng, colours=s.colours)):
            assert not any(ph in text for ph in hat_phrases) and "hat" not in text
