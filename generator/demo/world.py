"""The synthetic world: 12 object classes built from named parts, each part a few primitives with a colour and a
texture, placed in the object's unit frame (``x`` right, ``y`` down, the object's square box is ``[0, 1]^2``).

World 2 (``mkbench-demo-world/2``, issue 8) carries information *inside* each class:

* **part colours vary within a class**: most parts draw their colour per image from a small named palette
  (:data:`COLOURS`; e.g. a house roof is red, brown, blue or green), and the caption names the drawn colour
  ("a blue triangular roof"), so a part phrase says something the class name does not, and pixel colour no
  longer identifies a part (a red patch may be a roof, a cap, fins, a sail, a hull ...);
* **optional parts**: some parts are absent from some images (``Placed.absent`` = probability), and then absent
  from the mask and from every caption (a snowman without its hat, a rocket without its flame);
* world 3 (``mkbench-demo-world/3``; the renderer's ``world=3``) keeps these classes, parts, palettes and phrases and
  makes raw pixel colour stop identifying a part *within* an image (issue 8 item 1): every part whose fill is plain
  (:attr:`Placed.patterned`) draws a two-colour pattern per image (solid, striped, spotted or checked,
  :data:`PATTERN_WORDS`), named in captions ("a red and white striped door"); parts of one image share colours (a
  part reuses a colour already drawn when it can take it, and a pattern's second colour is often another part's);
  a brightness ramp shades the object; background clutter uses the same palette and patterns. A part is then told
  by its shape, position and pattern, not its colour;
* every rule of the first world holds (checked in ``tests/demo/test_demo_world.py``): every class has 3 or more
  parts; some parts are *shared* by two classes (``wheel``: car and bus; ``window``: house and bus; ``roof``:
  house and lighthouse; ``grass``: mushroom and flower); colour alone does not separate parts (the three snowballs
  are one white, the car's cabin has the body's colour, the two branch tiers of the pine tree one colour, the
  rocket's nose and fins one colour); parts are large (median part >= 1.5 patch areas at 64 px / 8 px patches).

A part's phrases are templates: ``coloured`` phrases hold ``{colour}`` (filled with the drawn colour's name), ``plain``
phrases name no colour. Part names are global: a part used by two classes has one name, one index and one set of
phrases; its colour choices are per class.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

RGB = tuple[int, int, int]
_AN = re.compile(r"\ba (?=[aeiou])")

# Named palette: every colour a part can draw, by the name captions and descriptors use.
COLOURS: dict[str, RGB] = {
    "red": (200, 42, 40), "blue": (40, 90, 200), "green": (44, 150, 60), "yellow": (240, 200, 40),
    "orange": (240, 130, 30), "purple": (140, 70, 190), "pink": (235, 120, 170), "white": (240, 240, 244),
    "black": (30, 30, 34), "grey": (140, 140, 148), "brown": (116, 72, 42), "beige": (226, 208, 168),
    "pale blue": (150, 200, 240), "tan": (216, 166, 96),
}
# World versions (``mkbench-demo-world/<n>``). World 2: per-image part colours, optional parts. World 3 adds, so that
# raw pixel colour stops identifying a part within an image (issue 8 item 1): two-colour part patterns named in
# captions, colours shared between parts of one image, shading, and background clutter in the same palette
# (generator.demo.render). WORLD is the version of the shipped dataset and family.
WORLDS: tuple[int, ...] = (2, 3)
WORLD = 3
# World 3 patterns -> the word captions use ("a red and white striped triangular roof"); "solid" has no word.
PATTERN_WORDS: dict[str, str] = {"striped": "striped", "spotted": "spotted", "checked": "checked"}
FRAME: RGB = (250, 250, 250)
HUB: RGB = (165, 165, 170)
DARK: RGB = (28, 28, 30)
PALE_BLUE: RGB = COLOURS["pale blue"]


@dataclass(frozen=True)
class PartKind:
    """A part's identity: its global name and its phrase templates (captions and descriptor pool)."""
    name: str
    coloured: tuple[str, ...]   # phrases with a "{colour}" slot
    plain: tuple[str, ...] = ()  # phrases without a colour

    def phrases(self, colour: str | None, pattern: str | None = None, second: str | None = None) -> tuple[str, ...]:
        """Every phrase for a part of this colour (``None``: the plain ones only); world 3: with a two-colour
        ``pattern`` (a key of :data:`PATTERN_WORDS` other than "solid") and its ``second`` colour, the colour slot
        reads "red and white striped"."""
        if colour and pattern and pattern != "solid" and second:
            colour = f"{colour} and {second} {PATTERN_WORDS[pattern]}"
        col = tuple(_AN.sub("an ", t.format(colour=colour)) for t in self.coloured) if colour else ()
        return col + self.plain


@dataclass(frozen=True)
class Prim:
    kind: str                 # a key of shapes.SHAPES
    params: tuple             # unit-frame parameters
    colour: RGB | None = None  # None: filled with the part's texture; else a detail painted in this colour


@dataclass(frozen=True)
class Placed:
    """A part placed in one class: geometry, colour choices (names in :data:`COLOURS`, one drawn per image),
    texture, and the probability that the part is absent from an image."""
    kind: PartKind
    prims: tuple[Prim, ...]
    colours: tuple[str, ...]
    texture: str = "solid"
    colour_from: str | None = None   # reuse the colour drawn for this earlier part of the same object
    absent: float = 0.0

    @property
    def name(self) -> str:
        return self.kind.name

    @property
    def colour_choices(self) -> tuple[str, ...]:
        return self.colours

    def phrases(self, colour: str | None, pattern: str | None = None, second: str | None = None) -> tuple[str, ...]:
        return self.kind.phrases(colour, pattern, second)

    @property
    def patterned(self) -> bool:
        """World 3: whether this part draws a two-colour pattern per image (a plain-textured part with a coloured
        phrase whose fill is visible, i.e. not entirely covered by fixed-colour details)."""
        return self.texture == "solid" and bool(self.kind.coloured) and any(p.colour is None for p in self.prims)


@dataclass(frozen=True)
class ObjectClass:
    name: str
    parts: tuple[Placed, ...]      # in drawing order (later parts occlude earlier ones)
    flip: bool = False             # may be mirrored left-right

    @property
    def folder(self) -> str:
        return self.name.replace(" ", "_")

    @property
    def part_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parts)

    def part(self, name: str) -> Placed:
        return next(p for p in self.parts if p.name == name)


def P(name: str, coloured: tuple[str, ...] | str, *plain: str) -> PartKind:
    return PartKind(name, (coloured,) if isinstance(coloured, str) else tuple(coloured), tuple(plain))


# ---- part kinds (global) -------------------------------------------------------------------------------------------
ROOF = P("roof", ("a {colour} triangular roof", "a pointed {colour} roof"), "a sloped roof at the top")
WALL = P("wall", ("a square {colour} wall", "a plain {colour} wall"), "a plain flat wall")
DOOR = P("door", ("a {colour} rectangular door", "a tall {colour} door"), "a tall door at the bottom")
WINDOW = P("window", ("{colour} square windows",), "windows with white frames")
HAT = P("top hat", ("a {colour} top hat", "a tall {colour} hat with a brim"), "a tall hat with a brim")
HEAD = P("head ball", ("a small {colour} ball on top",), "a small round head with an orange nose")
MIDDLE = P("middle ball", ("a {colour} ball in the middle",), "a medium round body")
BASE = P("bottom ball", ("a large {colour} ball at the bottom",), "a big round base")
HOUSING = P("housing", ("a tall {colour} box", "a {colour} vertical casing"), "a tall vertical casing")
LAMPS = P("signal lamps", (), "red, amber and green lamps", "three round coloured lamps in a column")
POLE = P("pole", ("a {colour} pole", "a short {colour} post underneath"), "a short post underneath")
CAR_BODY = P("car body", ("a low long {colour} body",), "a low long body")
CABIN = P("cabin", ("a {colour} cabin with sloped sides",), "a raised cabin on top")
WHEEL = P("wheel", ("round {colour} wheels",), "wheels with grey hubs")
BUS_BODY = P("bus body", ("a long {colour} box",), "a long boxy body with many windows")
TRUNK = P("trunk", ("a short {colour} trunk",), "a trunk with bark stripes")
LOWER = P("lower branches", ("a wide {colour} triangle",), "wide lower branches")
UPPER = P("upper branches", ("a small {colour} triangle on top",), "a pointed top")
CAP = P("cap", ("a {colour} cap with white dots",), "a dome-shaped spotted cap")
STALK = P("thick stem", ("a thick {colour} stem",), "a short thick stalk")
GRASS = P("grass", ("{colour} grass at the bottom",), "a tuft of grass")
PETALS = P("petals", ("round {colour} petals",), "petals arranged in a ring")
CENTRE = P("centre", ("a {colour} round centre",), "a round disc in the middle")
THIN_STEM = P("thin stem", ("a thin {colour} stem",), "a long stalk with a leaf")
HULL = P("hull", ("a {colour} wooden hull",), "a hull with plank stripes")
MAST = P("mast", ("a tall {colour} mast",), "a thin upright mast")
SAIL = P("sail", ("{colour} triangular sails",), "two triangular sails")
NOSE = P("nose cone", ("a {colour} pointed nose cone",), "a cone on top")
CYLINDER = P("rocket body", ("a tall {colour} cylinder",), "a long upright cylinder")
FINS = P("fins", ("{colour} fins at the bottom",), "two triangular fins")
PORTHOLE = P("porthole", ("a round {colour} porthole",), "a round window with a dark rim")
FLAME = P("flame", ("a {colour} flame at the bottom",), "a fiery exhaust")
TOWER = P("tower", ("a tall {colour} tower with red bands",), "a striped tapering tower")
LAMP_ROOM = P("lamp room", ("a {colour} glowing lamp room",), "a glowing lantern room near the top")
CONE = P("cone", ("a {colour} waffle cone",), "a cone with a crosshatch pattern")
LOWER_SCOOP = P("lower scoop", ("a large round {colour} scoop",), "a big soft scoop")
UPPER_SCOOP = P("upper scoop", ("a smaller {colour} scoop on top",), "a second scoop stacked on top")

VEHICLE = ("red", "blue", "green", "yellow", "white")
SCOOPS = ("pink", "brown", "white", "green", "yellow")


def _e(cx, cy, r, colour=None, ry=None):
    return Prim("ellipse", (cx, cy, r, r if ry is None else ry), colour)


def _r(x0, y0, x1, y1, colour=None):
    return Prim("rect", (x0, y0, x1, y1), colour)


def _poly(*pts, colour=None):
    return Prim("polygon", tuple(v for p in pts for v in p), colour)


def _wheels(xs, y, r):
    prims = []
    for x in xs:
        prims += [_e(x, y, r), _e(x, y, r * 0.42, HUB)]
    return tuple(prims)


def _window(x0, y0, x1, y1):
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    return (_r(x0, y0, x1, y1), _r(xm - 0.012, y0, xm + 0.012, y1, FRAME), _r(x0, ym - 0.012, x1, ym + 0.012, FRAME))


def _petals(cx, cy, dist, r, n=6):
    return tuple(_e(cx + dist * math.cos(2 * math.pi * k / n), cy + dist * math.sin(2 * math.pi * k / n), r)
                 for k in range(n))


_GRASS = (_poly((0.0, 1.0), (0.06, 0.88), (0.94, 0.88), (1.0, 1.0)),)
_BUS_WINDOWS = tuple(p for x in (0.06, 0.29, 0.52, 0.75) for p in _window(x, 0.24, x + 0.17, 0.46))
_ROOFS = ("red", "brown", "blue", "green")

CLASSES: tuple[ObjectClass, ...] = (
    ObjectClass("house", (
        Placed(WALL, (_r(0.1, 0.45, 0.9, 1.0),), ("beige", "white", "yellow", "pink")),
        Placed(ROOF, (_poly((0.0, 0.47), (0.5, 0.02), (1.0, 0.47)),), _ROOFS, "hstripes"),
        Placed(DOOR, (_r(0.56, 0.6, 0.82, 1.0),), ("brown", "red", "blue"), absent=0.3),
        Placed(WINDOW, _window(0.17, 0.56, 0.44, 0.8), ("pale blue", "yellow"), absent=0.3),
    )),
    ObjectClass("snowman", (
        Placed(BASE, (_e(0.5, 0.76, 0.24),), ("white",)),
        Placed(MIDDLE, (_e(0.5, 0.5, 0.18),), ("white",)),
        Placed(HEAD, (_e(0.5, 0.27, 0.135), _poly((0.5, 0.255), (0.5, 0.3), (0.64, 0.28), colour=(245, 130, 30))),
               ("white",)),
        Placed(HAT, (_r(0.36, 0.0, 0.64, 0.15), _r(0.26, 0.12, 0.74, 0.18)), ("black", "red", "blue", "green"),
               absent=0.35),
    )),
    ObjectClass("traffic light", (
        Placed(POLE, (_r(0.4, 0.72, 0.6, 1.0),), ("grey", "black", "white"), absent=0.3),
        Placed(HOUSING, (_r(0.27, 0.0, 0.73, 0.74),), ("black", "grey", "yellow", "green")),
        Placed(LAMPS, (_e(0.5, 0.13, 0.13, (226, 30, 30)), _e(0.5, 0.37, 0.13, (240, 172, 20)),
                       _e(0.5, 0.61, 0.13, (40, 200, 70))), ("red",)),
    )),
    ObjectClass("car", (
        Placed(CABIN, (_poly((0.17, 0.47), (0.3, 0.18), (0.68, 0.18), (0.84, 0.47)),), VEHICLE),
        Placed(CAR_BODY, (_r(0.0, 0.45, 1.0, 0.79),), VEHICLE, colour_from="cabin"),
        Placed(WHEEL, _wheels((0.23, 0.77), 0.8, 0.14), ("black", "brown")),
    ), flip=True),
    ObjectClass("bus", (
        Placed(BUS_BODY, (_r(0.0, 0.15, 1.0, 0.8),), ("yellow", "red", "blue", "orange")),
        Placed(WINDOW, _BUS_WINDOWS, ("pale blue", "yellow"), absent=0.2),
        Placed(WHEEL, _wheels((0.2, 0.8), 0.82, 0.13), ("black", "brown")),
    ), flip=True),
    ObjectClass("pine tree", (
        Placed(TRUNK, (_r(0.36, 0.74, 0.64, 1.0),), ("brown", "grey"), "vstripes", absent=0.3),
        Placed(LOWER, (_poly((0.03, 0.8), (0.5, 0.28), (0.97, 0.8)),), ("green", "white", "orange")),
        Placed(UPPER, (_poly((0.15, 0.47), (0.5, 0.0), (0.85, 0.47)),), ("green", "white", "orange"),
               colour_from="lower branches"),
    )),
    ObjectClass("mushroom", (
        Placed(STALK, (_r(0.34, 0.45, 0.66, 0.95),), ("beige", "white")),
        Placed(GRASS, _GRASS, ("green", "yellow"), "vstripes", absent=0.5),
        Placed(CAP, (Prim("dome", (0.5, 0.5, 0.5, 0.46)),), ("red", "brown", "purple", "orange"), "dots"),
    )),
    ObjectClass("flower", (
        Placed(THIN_STEM, (_r(0.46, 0.45, 0.54, 0.92), _e(0.63, 0.72, 0.13, ry=0.055)), ("green",)),
        Placed(GRASS, _GRASS, ("green", "yellow"), "vstripes", absent=0.5),
        Placed(PETALS, _petals(0.5, 0.34, 0.2, 0.13), ("pink", "purple", "white", "orange", "red", "blue")),
        Placed(CENTRE, (_e(0.5, 0.34, 0.13),), ("yellow", "orange", "brown")),
    )),
    ObjectClass("sailboat", (
        Placed(MAST, (_r(0.46, 0.04, 0.54, 0.72),), ("brown", "grey", "black")),
        Placed(SAIL, (_poly((0.56, 0.06), (0.56, 0.66), (0.96, 0.66)), _poly((0.44, 0.16), (0.44, 0.66), (0.1, 0.66))),
               ("white", "red", "yellow", "blue")),
        Placed(HULL, (_poly((0.0, 0.68), (1.0, 0.68), (0.82, 0.95), (0.18, 0.95)),), ("brown", "blue", "red", "white"),
               "hstripes"),
    ), flip=True),
    ObjectClass("rocket", (
        Placed(FLAME, (_poly((0.32, 0.8), (0.68, 0.8), (0.62, 0.95), (0.5, 1.0), (0.38, 0.95)),), ("orange",),
               "gradient", absent=0.4),
        Placed(FINS, (_poly((0.34, 0.52), (0.34, 0.8), (0.1, 0.87)), _poly((0.66, 0.52), (0.66, 0.8), (0.9, 0.87))),
               ("red", "blue", "green", "black")),
        Placed(CYLINDER, (_r(0.33, 0.27, 0.67, 0.8),), ("grey", "white", "yellow")),
        Placed(PORTHOLE, (_e(0.5, 0.45, 0.13, (60, 60, 72)), _e(0.5, 0.45, 0.095, PALE_BLUE)), ("pale blue",),
               absent=0.3),
        Placed(NOSE, (_poly((0.33, 0.28), (0.5, 0.0), (0.67, 0.28)),), ("red", "blue", "green", "black"),
               colour_from="fins"),
    )),
    ObjectClass("lighthouse", (
        Placed(TOWER, (_poly((0.32, 0.34), (0.68, 0.34), (0.8, 1.0), (0.2, 1.0)),), ("white", "yellow"), "bands"),
        Placed(LAMP_ROOM, (_r(0.33, 0.18, 0.67, 0.35),), ("yellow", "orange")),
        Placed(ROOF, (_poly((0.22, 0.2), (0.5, 0.0), (0.78, 0.2)),), _ROOFS),
    )),
    ObjectClass("ice cream", (
        Placed(CONE, (_poly((0.24, 0.52), (0.76, 0.52), (0.5, 1.0)),), ("tan", "brown"), "checker"),
        Placed(LOWER_SCOOP, (_e(0.5, 0.47, 0.25, ry=0.2),), SCOOPS),
        Placed(UPPER_SCOOP, (_e(0.5, 0.22, 0.19, ry=0.17),), SCOOPS, absent=0.4),
    )),
)

CLASS_BY_NAME: dict[str, ObjectClass] = {c.name: c for c in CLASSES}
CLASS_NAMES: tuple[str, ...] = tuple(c.name for c in CLASSES)


def _part_kinds() -> dict[str, PartKind]:
    out: dict[str, PartKind] = {}
    for c in CLASSES:
        for p in c.parts:
            if p.name in out and out[p.name] != p.kind:
                raise AssertionError(f"two different parts named {p.name!r}")
            out.setdefault(p.name, p.kind)
            unknown = set(p.colours) - set(COLOURS)
            if unknown:
                raise AssertionError(f"{c.name} {p.name}: colours {sorted(unknown)} not in COLOURS")
    return out


PART_KINDS: dict[str, PartKind] = _part_kinds()
# Part index in the masks: 0 is background, parts are numbered 1.. in first-use order.
PART_INDEX: dict[str, int] = {name: i + 1 for i, name in enumerate(PART_KINDS)}
PART_NAMES: dict[int, str] = {i: name for name, i in PART_INDEX.items()}


def part_colours(name: str) -> tuple[str, ...]:
    """Every colour a part can take, over the classes using it (first-use order)."""
    out: list[str] = []
    for c in CLASSES:
        for p in c.parts:
            if p.name == name:
                out += [k for k in p.colours if k not in out]
    return tuple(out)


def shared_parts() -> dict[str, list[str]]:
    """part name -> classes using it, for parts used by two or more classes."""
    users: dict[str, list[str]] = {}
    for c in CLASSES:
        for p in c.parts:
            users.setdefault(p.name, []).append(c.name)
    return {k: v for k, v in users.items() if len(v) > 1}
