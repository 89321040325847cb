"""Generator determinism and mask / pixel agreement."""
import numpy as np
import pytest

from generator.demo.render import render, render_indexed, rng_for
from generator.demo.world import CLASS_BY_NAME, CLASS_NAMES, PART_INDEX


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
        # mask values are exactly the class's parts, all visible
        assert set(np.unique(with_obj.mask)) - {0} == {PART_INDEX[p] for p in CLASS_BY_NAME[cls].part_names}
        assert with_obj.parts == CLASS_BY_NAME[cls].part_names


def test_part_pixels_have_the_part_colour():
    """Solid single-colour parts: every pixel under the part's mask is within jitter + noise of the part colour."""
    checked = 0
    for cls in CLASS_NAMES:
        for p in CLASS_BY_NAME[cls].parts:
            if p.texture != "solid" or len(p.colours) != 1 or p.colour_from or any(q.colour for q in p.prims):
                continue
            for k in range(3):
                s = render(cls, rng_for("colour", 0, k))
                px = s.image[s.mask == PART_INDEX[p.name]].astype(float)
                err = np.abs(px - np.asarray(p.colours[0], float))
                assert np.median(err) <= 18 + 4, (cls, p.name)
                assert np.mean(err.max(-1) <= 18 + 4 * 4) > 0.99, (cls, p.name)
                checked += 1
    assert checked >= 20
