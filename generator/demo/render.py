"""Render one image of the synthetic world with its per-pixel part mask, deterministically from a seed.

Drawing order: background (colour gradient, noise, faint clutter strokes), 0-3 distractor shapes (random primitive,
colour and texture; mask 0), then the object's parts in class order (per part: its colour name drawn from the part's
choices, or copied from ``colour_from``; then whether an optional part is absent), then mild per-pixel noise on the
object. World 3 (``world=3``, :data:`world.WORLDS`) adds, drawn in this order: palette-coloured patterned
clutter after the background, per part a colour that reuses one already drawn in the image with probability
:data:`SHARE_COLOUR` and a two-colour pattern (:data:`PATTERN_CHOICES`, second colour another part's with
probability :data:`SHARE_SECOND`), a brightness ramp over the object (:data:`SHADING`) and stronger noise. World 2
draws exactly as before (the shipped dataset is unchanged). All
random draws for the background happen before any object draw, so ``render(..., draw_object=False)`` gives the same
background: the tests use this to check that the mask covers exactly the pixels the object changed.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from . import shapes
from .world import CLASS_BY_NAME, COLOURS, PART_INDEX, WORLD, WORLDS, ObjectClass

IMAGE_SIZE = 64
PATCH_SIZE = 8
SCALE_RANGE = (0.62, 0.95)       # object box side as a share of the image side
COLOUR_JITTER = 18               # +- per channel, per part and image
DISTRACTOR_KINDS = ("ellipse", "rect", "polygon")
DISTRACTOR_TEXTURES = ("solid", "hstripes", "dots", "checker")
# World 3 (issue 8 item 1: pixel colour must not identify a part within an image)
PATTERN_CHOICES = ("solid", "striped", "spotted", "checked")   # shapes.PATTERNS, per patterned part and image
PATTERN_P = (0.1, 0.3, 0.3, 0.3)
PATTERN_PERIOD = (0.12, 0.2)     # pattern period as a share of the object box side
SHARE_COLOUR = 0.8               # chance a part reuses a colour already drawn in the image (when it can take it)
SHARE_SECOND = 0.8               # chance a pattern's second colour is one already drawn in the image
SHADING = (0.5, 0.9)             # brightness ramp amplitude across the object box (one light direction per image)
CLUTTER_COUNT = (3, 8)           # background shapes in the palette and patterns
CLUTTER_SIZE = (0.06, 0.14)      # their radius as a share of the image side
OBJECT_NOISE = {2: 4.0, 3: 12.0}  # per-pixel noise on the object (sd, 0-255 scale)


@dataclass(frozen=True)
class Sample:
    image: np.ndarray        # uint8 (S, S, 3)
    mask: np.ndarray         # uint8 (S, S): 0 = background (incl. distractors), else world.PART_INDEX of the part
    class_name: str
    parts: tuple[str, ...]   # names of the parts visible in the mask, in class order
    box: tuple[float, float, float]  # object box x0, y0, side (pixels)
    flip: bool
    colours: dict[str, str] = field(default_factory=dict)  # visible part -> its colour name (world.COLOURS)
    # world 3: visible patterned part -> (pattern, second colour name); solid parts and world 2 give none
    patterns: dict[str, tuple[str, str]] = field(default_factory=dict)
    world: int = WORLD

    def phrases(self, part: str) -> tuple[str, ...]:
        """Every phrase describing visible ``part`` as drawn here (its colour and pattern named), then the plain
        ones."""
        pat, second = self.patterns.get(part, (None, None))
        return CLASS_BY_NAME[self.class_name].part(part).phrases(self.colours.get(part), pat, second)


def rng_for(namespace: str, seed: int, index: int) -> np.random.Generator:
    """Independent stream per (namespace, seed, index): training pools, held-out sets and datasets never overlap."""
    return np.random.default_rng(np.random.SeedSequence([zlib.crc32(namespace.encode()), int(seed), int(index)]))


def _background(rng: np.random.Generator, xx, yy, size: int) -> np.ndarray:
    base = rng.uniform(60, 215, 3)
    angle = rng.uniform(0, 2 * np.pi)
    amp = rng.uniform(-30, 30, 3)
    t = ((xx - size / 2) * np.cos(angle) + (yy - size / 2) * np.sin(angle)) / size
    img = base[None, None] + amp[None, None] * t[..., None]
    img = img + rng.normal(0, rng.uniform(3, 10), img.shape)
    for _ in range(rng.integers(3, 9)):  # faint strokes
        (ax, ay), (bx, by) = rng.uniform(0, size, (2, 2))
        w = rng.uniform(0.6, 1.4)
        nx, ny = -(by - ay), bx - ax
        n = max(np.hypot(nx, ny), 1e-6)
        nx, ny = nx / n * w, ny / n * w
        m = shapes.rasterise("polygon", (ax + nx, ay + ny, bx + nx, by + ny, bx - nx, by - ny, ax - nx, ay - ny), xx, yy)
        img[m] += rng.uniform(-40, 40, 3)
    return img


def _shape_params(rng: np.random.Generator, kind: str, cx: float, cy: float, r: float,
                  ellipse_aspect: tuple, rect_aspect: tuple) -> tuple:
    """Parameters of a background shape of radius ``r`` at (cx, cy) for :func:`shapes.rasterise`; an ellipse or
    rectangle draws its aspect ratio from ``rng`` (one draw, in this order), a triangle draws nothing."""
    if kind == "ellipse":
        return (cx, cy, r, r * rng.uniform(*ellipse_aspect))
    if kind == "rect":
        return (cx - r, cy - r * rng.uniform(*rect_aspect), cx + r, cy + r)
    return (cx, cy - r, cx + r, cy + r, cx - r, cy + r)


def _clutter(rng: np.random.Generator, img: np.ndarray, xx, yy, size: int) -> None:
    """World 3: background clutter in the parts' own palette and patterns (mask 0), drawn before the object."""
    names = list(COLOURS)
    for _ in range(rng.integers(*CLUTTER_COUNT)):
        kind = DISTRACTOR_KINDS[rng.integers(len(DISTRACTOR_KINDS))]
        r = rng.uniform(*CLUTTER_SIZE) * size
        cx, cy = rng.uniform(0, size, 2)
        m = shapes.rasterise(kind, _shape_params(rng, kind, cx, cy, r, (0.5, 1.0), (0.4, 1.0)), xx, yy)
        c1, c2 = (names[int(i)] for i in rng.choice(len(names), 2, replace=False))
        pat = PATTERN_CHOICES[int(rng.choice(len(PATTERN_CHOICES), p=PATTERN_P))]
        fill = shapes.pattern(pat, xx, yy, _jittered(rng, c1), _jittered(rng, c2), rng,
                              rng.uniform(*PATTERN_PERIOD) * size * 0.8)
        img[m] = fill[m]


def _distractors(rng: np.random.Generator, img: np.ndarray, xx, yy, size: int) -> None:
    for _ in range(rng.integers(0, 4)):
        kind = DISTRACTOR_KINDS[rng.integers(len(DISTRACTOR_KINDS))]
        r = rng.uniform(0.05, 0.11) * size
        cx, cy = rng.uniform(r, size - r, 2)
        m = shapes.rasterise(kind, _shape_params(rng, kind, cx, cy, r, (0.6, 1.0), (0.5, 1.0)), xx, yy)
        tex = DISTRACTOR_TEXTURES[rng.integers(len(DISTRACTOR_TEXTURES))]
        img[m] = shapes.texture(tex, xx, yy, rng.uniform(20, 245, 3), rng, size, m)[m]


def _jittered(rng: np.random.Generator, name: str) -> np.ndarray:
    return np.clip(np.asarray(COLOURS[name], float) + rng.uniform(-COLOUR_JITTER, COLOUR_JITTER, 3), 0, 255)


def _world3_colour(rng: np.random.Generator, part, used: list[str]) -> str:
    """World 3: with probability SHARE_COLOUR a colour already drawn in this image, when the part can take it."""
    shared = [c for c in used if c in part.colours]
    if shared and rng.random() < SHARE_COLOUR:
        return shared[int(rng.integers(len(shared)))]
    return part.colours[int(rng.integers(len(part.colours)))]


def _world3_pattern(rng: np.random.Generator, name: str, used: list[str]) -> tuple[str, str]:
    """World 3: (pattern, second colour) of a patterned part; the second colour is, half the time, one already
    drawn in this image (so parts of one image share colours), else any other palette colour."""
    pat = PATTERN_CHOICES[int(rng.choice(len(PATTERN_CHOICES), p=PATTERN_P))]
    others = [c for c in used if c != name]
    if others and rng.random() < SHARE_SECOND:
        second = others[int(rng.integers(len(others)))]
    else:
        pool = [c for c in COLOURS if c != name]
        second = pool[int(rng.integers(len(pool)))]
    return pat, second


def _object(rng: np.random.Generator, cls: ObjectClass, img: np.ndarray, mask: np.ndarray, xx, yy, size: int,
            world: int = WORLD):
    side = rng.uniform(*SCALE_RANGE) * size
    x0, y0 = rng.uniform(0, size - side, 2)
    flip = bool(cls.flip and rng.random() < 0.5)
    drawn: dict[str, tuple[str, np.ndarray]] = {}
    names: dict[str, str] = {}
    patterns: dict[str, tuple[str, str]] = {}
    used: list[str] = []
    for part in cls.parts:
        if part.colour_from is not None:
            name, colour = drawn[part.colour_from]
        else:
            name = (part.colours[int(rng.integers(len(part.colours)))] if world < 3
                    else _world3_colour(rng, part, used))
            colour = _jittered(rng, name)
        drawn[part.name] = (name, colour)
        if part.absent > 0 and rng.random() < part.absent:
            continue
        names[part.name] = name
        union = np.zeros(mask.shape, bool)
        prim_masks = []
        for prim in part.prims:
            m = shapes.rasterise(prim.kind, shapes.to_pixels(prim.kind, prim.params, x0, y0, side, flip), xx, yy)
            prim_masks.append((prim, m))
            union |= m
        pat = None
        if world >= 3 and part.patterned:
            pat, second = _world3_pattern(rng, name, used)
            period = rng.uniform(*PATTERN_PERIOD) * side
            fill = shapes.pattern(pat, xx, yy, colour, _jittered(rng, second), rng, period)
            if pat != "solid":
                patterns[part.name] = (pat, second)
        else:
            fill = shapes.texture(part.texture, xx, yy, colour, rng, side, union)
        img[union] = fill[union]
        for prim, m in prim_masks:  # details in their own colour (hubs, frames, lamps, nose)
            if prim.colour is not None:
                img[m] = prim.colour
        mask[union] = PART_INDEX[part.name]
        used += [name] + ([patterns[part.name][1]] if part.name in patterns else [])
    if world >= 3:  # shading: one light direction per image, a linear brightness ramp over the object box
        angle = rng.uniform(0, 2 * np.pi)
        t = ((xx - x0 - side / 2) * np.cos(angle) + (yy - y0 - side / 2) * np.sin(angle)) / side
        gain = 1.0 + rng.uniform(*SHADING) * t
        on = mask > 0
        img[on] = img[on] * gain[on][:, None]
    return (float(x0), float(y0), float(side)), flip, names, patterns


def check_world(world: int | None) -> int:
    """The world version to draw (None: :data:`world.WORLD`, the shipped one); a clear error for an unknown one."""
    w = WORLD if world is None else int(world)
    if w not in WORLDS:
        raise ValueError(f"demo world {w} unknown; known versions: {list(WORLDS)}")
    return w


def render(class_name: str, rng: np.random.Generator, size: int = IMAGE_SIZE, draw_object: bool = True,
           world: int | None = None) -> Sample:
    """One image of ``class_name`` in world version ``world`` (None: the shipped :data:`world.WORLD`); all
    randomness comes from ``rng`` (see :func:`rng_for`)."""
    if class_name not in CLASS_BY_NAME:
        raise ValueError(f"unknown demo class {class_name!r}; known: {sorted(CLASS_BY_NAME)}")
    world = check_world(world)
    cls = CLASS_BY_NAME[class_name]
    xx, yy = shapes.grid(size, size)
    img = _background(rng, xx, yy, size)
    if world >= 3:
        _clutter(rng, img, xx, yy, size)
    _distractors(rng, img, xx, yy, size)
    mask = np.zeros((size, size), np.uint8)
    box, flip, names, patterns = (0.0, 0.0, 0.0), False, {}, {}
    if draw_object:
        box, flip, names, patterns = _object(rng, cls, img, mask, xx, yy, size, world)
        on = mask > 0
        img[on] += rng.normal(0, OBJECT_NOISE[world], (int(on.sum()), 3))
    image = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    present = set(np.unique(mask).tolist())
    parts = tuple(p for p in cls.part_names if PART_INDEX[p] in present)
    return Sample(image, mask, class_name, parts, box, flip, {p: names[p] for p in parts},
                  {p: patterns[p] for p in parts if p in patterns}, world)


def render_indexed(namespace: str, seed: int, index: int, classes: tuple[str, ...], size: int = IMAGE_SIZE,
                   world: int | None = None) -> Sample:
    """Image ``index`` of a stream: class ``index % len(classes)`` (balanced), randomness from :func:`rng_for`."""
    return render(classes[index % len(classes)], rng_for(namespace, seed, index), size, world=world)
