"""Descriptor pools D: load, validate, de-duplicate, fetch with sha256 (spec §2.1).

A pool file is a JSON object mapping each class name to a list of LLM-generated descriptor strings, as
published by Menon & Vondrick (ICLR 2023). The paper merges every class's descriptors into one set and
removes duplicates across the whole pool; a descriptor's *id* is its index in that de-duplicated list
(first-occurrence order, so ids are stable for a given file). Exact-string de-duplication of the public
ImageNet file gives D = 4,229, the size stated in the paper, so no further filtering is applied (the
paper's removal of class names from descriptors is unspecified [GAP]; the public file gives the right
count without it).

Classes with an *empty* descriptor list are accepted by default: the public Food-101 pool has five (e.g.
"donuts") and Places365 one ("corn_field"), and the paper uses both pools. Such a class adds nothing to D
(the language side uses class embeddings, not class descriptors); the classes are listed in
``DescriptorPool.empty_classes``. ``load_pool(path, allow_empty=False)`` rejects them; a pool with no
descriptors at all is always rejected.

The public pools carry no licence: mkbench never ships them, it downloads them for the user from a
pinned commit and checks their sha256 (:func:`fetch_pool`).
"""
from __future__ import annotations

import hashlib
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import UserError
from generator.hashing import file_sha256
from generator.results.io import atomic_write_bytes


@dataclass
class DescriptorPool:
    source: str                       # path (or name) the pool was read from
    sha256: str                       # sha256 of the file's bytes
    classes: dict[str, list[str]]     # class name -> its descriptors, as in the file
    descriptors: list[str]            # de-duplicated across the pool, first occurrence; index = descriptor id
    empty_classes: list[str] = field(default_factory=list)  # classes whose list is empty
    _index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        self._index = {d: i for i, d in enumerate(self.descriptors)}

    def __len__(self) -> int:
        return len(self.descriptors)

    def id_of(self, descriptor: str) -> int:
        """The id of ``descriptor`` (KeyError if it is not in the pool)."""
        return self._index[descriptor]


# control characters other than tab/newline/CR (NUL, ESC, DEL, C1): refused in descriptor pools
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _fail(path, problem: str) -> UserError:
    return UserError(
        f"{path}: invalid descriptor pool: {problem}. A pool must be a JSON object mapping each class name "
        f'to a non-empty list of non-empty descriptor strings, e.g. {{"goldfish": ["a small orange fish", '
        f'"long flowing fins"]}}; fix the file or download a known pool with fetch_pool.')


def parse_pool(data: bytes, source: str, allow_empty: bool = True) -> DescriptorPool:
    """Validate and de-duplicate the bytes of a pool file; ``source`` names it in errors."""
    try:
        obj = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise _fail(source, f"not UTF-8 text ({e})") from None
    except json.JSONDecodeError as e:
        raise _fail(source, f"not valid JSON ({e})") from None
    except RecursionError:
        raise _fail(source, "its JSON is nested too deeply") from None
    if not isinstance(obj, dict):
        raise _fail(source, f"the top level is a JSON {type(obj).__name__}, not an object")
    if not obj:
        raise _fail(source, "it lists no classes")
    classes: dict[str, list[str]] = {}
    seen: dict[str, None] = {}
    for cls, descs in obj.items():
        if not isinstance(descs, list):
            raise _fail(source, f"class {cls!r} maps to a {type(descs).__name__}, not a list")
        if not descs and not allow_empty:
            raise _fail(source, f"class {cls!r} has an empty descriptor list")
        for i, d in enumerate(descs):
            if not isinstance(d, str):
                raise _fail(source, f"descriptor {i} of class {cls!r} is a {type(d).__name__} ({d!r}), not a string")
            if not d.strip():
                raise _fail(source, f"descriptor {i} of class {cls!r} is empty")
            if CONTROL.search(d) or CONTROL.search(cls):
                raise _fail(source, f"descriptor {i} of class {cls!r} contains a control character "
                            f"({CONTROL.search(d + cls).group()!r}); remove it")
            seen.setdefault(d, None)
        classes[cls] = list(descs)
    if not seen:
        raise _fail(source, "every class has an empty descriptor list")
    return DescriptorPool(source=source, sha256=hashlib.sha256(data).hexdigest(), classes=classes,
                          descriptors=list(seen), empty_classes=[c for c, v in classes.items() if not v])


def load_pool(path, allow_empty: bool = True) -> DescriptorPool:
    """Read and validate the pool file at ``path`` (UserError naming the file and the fix if malformed).
    ``allow_empty=False`` also rejects classes with an empty descriptor list."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: descriptor pool not found; check the path, or download a known pool "
                        f"({', '.join(KNOWN_POOLS)}) with fetch_pool") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder; give the path of a descriptor pool JSON file") from None
    return parse_pool(data, str(path), allow_empty=allow_empty)


# --- the public Menon & Vondrick pools, pinned (see /work/shared/data/descriptors/SOURCES.md) ---------

MENON_COMMIT = "d1a3d8920af89bd0d6a692ed3afeb277df46e082"
_RAW = ("https://raw.githubusercontent.com/sachit-menon/classify_by_description_release/"
        f"{MENON_COMMIT}/descriptors/")


@dataclass(frozen=True)
class KnownPool:
    filename: str
    url: str
    sha256: str
    n_classes: int
    n_unique: int    # size of the de-duplicated pool D


def _known(name: str, sha: str, n_classes: int, n_unique: int) -> KnownPool:
    filename = f"descriptors_{name}.json"
    return KnownPool(filename, _RAW + filename, sha, n_classes, n_unique)


KNOWN_POOLS: dict[str, KnownPool] = {
    "cub": _known("cub", "983966040fd8747d89ee9b0f311eeab3b5f4b318e062dd0529c9bb57e2282597", 200, 563),
    "dtd": _known("dtd", "3bb97a62ef38ab3daaee15afdd1cacf1ad8706d7c8a92e35c127a9fca9aa1ce4", 47, 173),
    "eurosat": _known("eurosat", "1298f7a9f47e634120d67fbc4eb3c1fbc7c61a4103ad2861d72ed707ef46a867", 10, 25),
    "food101": _known("food101", "b7393ceb850bd4f0d4a06ef3a30bb81cb41fd3a43e2a0adccf9e95a903a65d91", 101, 457),
    "imagenet": _known("imagenet", "0c478db8b74046ca185488f252c908420bcea585198c7bceb4e42386cc1f7d3a", 1000, 4229),
    "pets": _known("pets", "3e9b003047b66210920c699678a84f481e4f2a196e40020b0cd0dd595bc441c4", 37, 186),
    "places365": _known("places365", "967bcd3166018f6b6b94f99e7dd9889bfa38386035010f10abe2936fd44aff9f", 365, 1806),
}


def fetch_pool(name: str, dest_dir, from_file=None, timeout: float = 60.0) -> Path:
    """Put the known pool ``name`` into ``dest_dir`` and return its path.

    Downloads the pinned URL (or copies ``from_file``, e.g. for machines without internet), checks the
    sha256 and writes the file atomically: on a mismatch nothing is written and a UserError says so.
    A file already in ``dest_dir`` with the right checksum is reused without downloading.
    """
    if name not in KNOWN_POOLS:
        raise UserError(f"unknown descriptor pool {name!r}; known pools: {', '.join(sorted(KNOWN_POOLS))} "
                        f"(or give the path of your own pool file)")
    known = KNOWN_POOLS[name]
    dest = Path(dest_dir) / known.filename
    if dest.is_file() and file_sha256(dest) == known.sha256:
        return dest
    if from_file is not None:
        source = str(from_file)
        try:
            data = Path(from_file).read_bytes()
        except OSError as e:
            raise UserError(f"{from_file}: cannot read the descriptor pool to copy ({e}); check the path") from None
    else:
        source = known.url
        try:
            with urllib.request.urlopen(known.url, timeout=timeout) as resp:
                data = resp.read()
        except (urllib.error.URLError, OSError) as e:
            raise UserError(
                f"cannot download descriptor pool {name!r} from {known.url} ({e}); download it by hand "
                f"and pass the file with from_file (CLI: --from-file)") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != known.sha256:
        raise UserError(
            f"{source}: sha256 {actual} does not match the pinned {known.sha256} of pool {name!r}; the file "
            f"is corrupt or a different version; get it from {known.url}. Nothing was written to {dest}.")
    atomic_write_bytes(dest, data)
    return dest


__all__ = ["DescriptorPool", "KNOWN_POOLS", "KnownPool", "fetch_pool", "load_pool", "parse_pool"]
