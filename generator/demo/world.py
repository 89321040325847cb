"""The synthetic world: 12 object classes built from named parts, each part a few primitives with a colour and a
texture, placed in the object's unit frame (``x`` right, ``y`` down, the object's square box is ``[0, 1]^2``).

Rules the world keeps (checked in ``tests/demo/test_world.py``):

* every class has 3 or more parts; some parts are *shared* by two classes (``wheel``: car and bus; ``window``: house
  and bus; ``roof``: house and lighthouse; ``grass``: mushroom and flower), so classes compete on parts;
* colour alone does not separate parts: the three snowballs are one white, the car's cabin has the body's colour, the
  two branch tiers of the pine tree are one green, the rocket's nose and fins are one red, door / trunk / hull / mast
  are one brown and differ by shape or texture (solid, bark stripes, plank stripes);
* parts are large: at 64 px the median part covers 25% or more of two or more 8x8 patches (area >= 1.5 patches).

Part names are global: a part used by two classes has one name, one index and one set of phrases.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

RGB = tuple[int, int, int]

WHITE: RGB = (240, 240, 244)
BROWN: RGB = (116, 72, 42)
RED: RGB = (200, 42, 40)
PALE_BLUE: RGB = (150, 200, 240)
FRAME: RGB = (250, 250, 250)
GREEN: RGB = (44, 128, 52)
DARK: RGB = (28, 28, 30)
HUB: RGB = (165, 165, 170)


@dataclass(frozen=True)
class PartKind:
    """A part's identity: its global name and the phrases that describe it (captions and descriptor pool)."""
    name: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Prim:
    kind: str                 # a key of shapes.SHAPES
    params: tuple             # unit-frame parameters
    colour: RGB | None = None  # None: filled with the part's texture; else a detail painted in this colour


@dataclass(frozen=True)
class Placed:
    """A part placed in one class: geometry, colour choices (one drawn per image), texture."""
    kind: PartKind
    prims: tuple[Prim, ...]
    colours: tuple[RGB, ...]
    texture: str = "solid"
    colour_from: str | None = None   # reuse the colour drawn for this earlier part of the same object
    extra_phrases: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.kind.name

    @property
    def phrases(self) -> tuple[str, ...]:
        return self.kind.phrases + self.extra_phrases


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


def P(name: str, *phrases: str) -> PartKind:
    return PartKind(name, tuple(phrases))


# ---- part kinds (global) -------------------------------------------------------------------------------------------
ROOF = P("roof", "a red triangular roof", "a pointed red roof")
WALL = P("wall", "a square beige wall", "a plain flat wall")
DOOR = P("door", "a brown rectangular door", "a tall door at the bottom")
WINDOW = P("window", "pale blue square windows", "windows with white frames")
HAT = P("top hat", "a black top hat", "a tall black hat with a brim")
HEAD = P("head ball", "a small white ball on top", "a small round head with an orange nose")
MIDDLE = P("middle ball", "a white ball in the middle", "a medium round white body")
BASE = P("bottom ball", "a large white ball at the bottom", "a big round white base")
HOUSING = P("housing", "a tall dark grey box", "a dark vertical casing")
LAMPS = P("signal lamps", "red, amber and green lamps", "three round coloured lamps in a column")
POLE = P("pole", "a grey pole", "a short grey post underneath")
CAR_BODY = P("car body", "a low long body", "a colourful boxy body")
CABIN = P("cabin", "a cabin with sloped sides", "a raised cabin on top")
WHEEL = P("wheel", "round black wheels", "wheels with grey hubs")
BUS_BODY = P("bus body", "a long yellow box", "a long yellow body")
TRUNK = P("trunk", "a short brown trunk", "a trunk with bark stripes")
LOWER = P("lower branches", "a wide green triangle", "wide lower branches")
UPPER = P("upper branches", "a small green triangle on top", "a pointed green top")
CAP = P("cap", "a red cap with white dots", "a dome-shaped spotted cap")
STALK = P("thick stem", "a thick beige stem", "a short pale stalk")
GRASS = P("grass", "green grass at the bottom", "a tuft of grass")
PETALS = P("petals", "round colourful petals", "petals arranged in a ring")
CENTRE = P("centre", "a yellow round centre", "a bright yellow disc in the middle")
THIN_STEM = P("thin stem", "a thin green stem", "a long green stalk with a leaf")
HULL = P("hull", "a brown wooden hull", "a hull with plank stripes")
MAST = P("mast", "a tall brown mast", "a thin wooden mast")
SAIL = P("sail", "white triangular sails", "two white sails")
NOSE = P("nose cone", "a red pointed nose cone", "a red cone on top")
CYLINDER = P("rocket body", "a tall grey cylinder", "a long pale grey body")
FINS = P("fins", "red fins at the bottom", "two red triangular fins")
PORTHOLE = P("porthole", "a round pale blue porthole", "a round window with a dark rim")
FLAME = P("flame", "an orange flame at the bottom", "a fiery exhaust")
TOWER = P("tower", "a tall tower with red and white bands", "a striped tapering tower")
LAMP_ROOM = P("lamp room", "a yellow glowing lamp room", "a bright yellow lantern room near the top")
CONE = P("cone", "a tan waffle cone", "a cone with a crosshatch pattern")
LOWER_SCOOP = P("lower scoop", "a large round scoop", "a big soft scoop")
UPPER_SCOOP = P("upper scoop", "a smaller scoop on top", "a second scoop stacked on top")

VEHICLE_COLOURS: tuple[RGB, ...] = ((200, 40, 40), (40, 90, 200), (40, 150, 60), (235, 190, 40), (235, 235, 235))
PETAL_COLOURS: tuple[RGB, ...] = ((230, 90, 160), (160, 80, 200), (245, 245, 245), (240, 120, 40))
SCOOP_COLOURS: tuple[RGB, ...] = ((240, 150, 180), (120, 75, 45), (245, 238, 220), (150, 215, 150))


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

CLASSES: tuple[ObjectClass, ...] = (
    ObjectClass("house", (
        Placed(WALL, (_r(0.1, 0.45, 0.9, 1.0),), ((230, 214, 176),)),
        Placed(ROOF, (_poly((0.0, 0.47), (0.5, 0.02), (1.0, 0.47)),), ((176, 52, 40),), "hstripes",
               extra_phrases=("a roof with striped tiles",)),
        Placed(DOOR, (_r(0.56, 0.6, 0.82, 1.0),), (BROWN,)),
        Placed(WINDOW, _window(0.17, 0.56, 0.44, 0.8), (PALE_BLUE,)),
    )),
    ObjectClass("snowman", (
        Placed(BASE, (_e(0.5, 0.76, 0.24),), (WHITE,)),
        Placed(MIDDLE, (_e(0.5, 0.5, 0.18),), (WHITE,)),
        Placed(HEAD, (_e(0.5, 0.27, 0.135), _poly((0.5, 0.255), (0.5, 0.3), (0.64, 0.28), colour=(245, 130, 30))),
               (WHITE,)),
        Placed(HAT, (_r(0.36, 0.0, 0.64, 0.15), _r(0.26, 0.12, 0.74, 0.18)), (DARK,)),
    )),
    ObjectClass("traffic light", (
        Placed(POLE, (_r(0.4, 0.72, 0.6, 1.0),), ((130, 130, 136),)),
        Placed(HOUSING, (_r(0.27, 0.0, 0.73, 0.74),), ((48, 48, 54),)),
        Placed(LAMPS, (_e(0.5, 0.13, 0.13, (226, 30, 30)), _e(0.5, 0.37, 0.13, (240, 172, 20)),
                       _e(0.5, 0.61, 0.13, (40, 200, 70))), ((226, 30, 30),)),
    )),
    ObjectClass("car", (
        Placed(CABIN, (_poly((0.17, 0.47), (0.3, 0.18), (0.68, 0.18), (0.84, 0.47)),), VEHICLE_COLOURS),
        Placed(CAR_BODY, (_r(0.0, 0.45, 1.0, 0.79),), VEHICLE_COLOURS, colour_from="cabin"),
        Placed(WHEEL, _wheels((0.23, 0.77), 0.8, 0.14), (DARK,)),
    ), flip=True),
    ObjectClass("bus", (
        Placed(BUS_BODY, (_r(0.0, 0.15, 1.0, 0.8),), ((240, 196, 36),)),
        Placed(WINDOW, _BUS_WINDOWS, (PALE_BLUE,)),
        Placed(WHEEL, _wheels((0.2, 0.8), 0.82, 0.13), (DARK,)),
    ), flip=True),
    ObjectClass("pine tree", (
        Placed(TRUNK, (_r(0.36, 0.74, 0.64, 1.0),), (BROWN,), "vstripes"),
        Placed(LOWER, (_poly((0.03, 0.8), (0.5, 0.28), (0.97, 0.8)),), (GREEN,)),
        Placed(UPPER, (_poly((0.15, 0.47), (0.5, 0.0), (0.85, 0.47)),), (GREEN,), colour_from="lower branches"),
    )),
    ObjectClass("mushroom", (
        Placed(STALK, (_r(0.34, 0.45, 0.66, 0.95),), ((228, 218, 188),)),
        Placed(GRASS, _GRASS, ((62, 166, 62),), "vstripes"),
        Placed(CAP, (Prim("dome", (0.5, 0.5, 0.5, 0.46)),), (RED,), "dots"),
    )),
    ObjectClass("flower", (
        Placed(THIN_STEM, (_r(0.46, 0.45, 0.54, 0.92), _e(0.63, 0.72, 0.13, ry=0.055)), ((52, 150, 52),)),
        Placed(GRASS, _GRASS, ((62, 166, 62),), "vstripes"),
        Placed(PETALS, _petals(0.5, 0.34, 0.2, 0.13), PETAL_COLOURS),
        Placed(CENTRE, (_e(0.5, 0.34, 0.13),), ((246, 206, 40),)),
    )),
    ObjectClass("sailboat", (
        Placed(MAST, (_r(0.46, 0.04, 0.54, 0.72),), (BROWN,)),
        Placed(SAIL, (_poly((0.56, 0.06), (0.56, 0.66), (0.96, 0.66)), _poly((0.44, 0.16), (0.44, 0.66), (0.1, 0.66))),
               (WHITE,)),
        Placed(HULL, (_poly((0.0, 0.68), (1.0, 0.68), (0.82, 0.95), (0.18, 0.95)),), (BROWN,), "hstripes"),
    ), flip=True),
    ObjectClass("rocket", (
        Placed(FLAME, (_poly((0.32, 0.8), (0.68, 0.8), (0.62, 0.95), (0.5, 1.0), (0.38, 0.95)),), ((245, 110, 30),), "gradient"),
        Placed(FINS, (_poly((0.34, 0.52), (0.34, 0.8), (0.1, 0.87)), _poly((0.66, 0.52), (0.66, 0.8), (0.9, 0.87))),
               (RED,)),
        Placed(CYLINDER, (_r(0.33, 0.27, 0.67, 0.8),), ((200, 200, 212),)),
        Placed(PORTHOLE, (_e(0.5, 0.45, 0.13, (60, 60, 72)), _e(0.5, 0.45, 0.095, PALE_BLUE)), (PALE_BLUE,)),
        Placed(NOSE, (_poly((0.33, 0.28), (0.5, 0.0), (0.67, 0.28)),), (RED,), colour_from="fins"),
    )),
    ObjectClass("lighthouse", (
        Placed(TOWER, (_poly((0.32, 0.34), (0.68, 0.34), (0.8, 1.0), (0.2, 1.0)),), (WHITE,), "bands"),
        Placed(LAMP_ROOM, (_r(0.33, 0.18, 0.67, 0.35),), ((250, 222, 80),)),
        Placed(ROOF, (_poly((0.22, 0.2), (0.5, 0.0), (0.78, 0.2)),), ((176, 52, 40),)),
    )),
    ObjectClass("ice cream", (
        Placed(CONE, (_poly((0.24, 0.52), (0.76, 0.52), (0.5, 1.0)),), ((216, 166, 96),), "checker"),
        Placed(LOWER_SCOOP, (_e(0.5, 0.47, 0.25, ry=0.2),), SCOOP_COLOURS),
        Placed(UPPER_SCOOP, (_e(0.5, 0.22, 0.19, ry=0.17),), SCOOP_COLOURS),
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
    return out


PART_KINDS: dict[str, PartKind] = _part_kinds()
# Part index in the masks: 0 is background, parts are numbered 1.. in first-use order.
PART_INDEX: dict[str, int] = {name: i + 1 for i, name in enumerate(PART_KINDS)}
PART_NAMES: dict[int, str] = {i: name for name, i in PART_INDEX.items()}


def shared_parts() -> dict[str, list[str]]:
    """part name -> classes using it, for parts used by two or more classes."""
    users: dict[str, list[str]] = {}
    for c in CLASSES:
        for p in c.parts:
            users.setdefault(p.name, []).append(c.name)
    return {k: v for k, v in users.items() if len(v) > 1}
