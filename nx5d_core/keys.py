"""Keys, their natural order, and the Python handles derived from them.

Handle rule (documented in ``docs/concepts.md``):

1. every character that cannot appear in a Python identifier becomes ``_``;
2. a handle that would start with a digit gets the collection's prefix
   (``p`` for proposals, ``s`` for scans): ``20210205`` -> ``p20210205``;
3. a Python keyword or a name the class already uses (``keys``, ``raw``...) gets a trailing ``_``;
4. keys that already are valid handles keep them; the remaining keys are handled in natural
   order, and a handle that is taken gets ``__2``, ``__3``... — so ``a_1`` keeps ``a_1`` and
   ``a-1`` becomes ``a_1__2``, whatever order the adapter listed them in.
"""

from __future__ import annotations

import functools
import keyword
import logging
import re
from collections.abc import Collection, Iterable

from .errors import InvalidKeyError

__all__ = ["NaturalKey", "make_handles", "natural_key", "valid_keys", "validate_key"]
logger = logging.getLogger(__name__)

_DIGITS = re.compile(r"([0-9]+)")
_NOT_IDENT = re.compile(r"\W", flags=re.ASCII)
_FORBIDDEN = re.compile(r"[/\\\x00-\x1f\x7f]")

NaturalKey = tuple[tuple[tuple[int, int | str], ...], str]


@functools.lru_cache(maxsize=1 << 16)
def natural_key(key: str) -> NaturalKey:
    """Sort key giving natural order: ``r2 < r10``, ``2021-02-05 < 2021-11-01``."""
    parts = tuple((0, int(p)) if p.isdigit() else (1, p) for p in _DIGITS.split(key) if p)
    return parts, key


@functools.lru_cache(maxsize=1 << 16)
def _safe(key: str) -> bool:
    """Whether ``key`` passes :func:`validate_key` (cached: a listing checks each key often)."""
    return (
        bool(key) and key.strip() == key and key not in {".", ".."} and not _FORBIDDEN.search(key)
    )


def validate_key(key: object, *, kind: str = "key") -> str:
    """Return ``key`` if it is a safe key, else raise :class:`InvalidKeyError`.

    A key is a non-empty string without ``/``, ``\\`` or control characters and is neither
    ``.`` nor ``..`` — so that formatting it into a URL can never leave the repository root.
    """
    if type(key) is str and _safe(key):
        return key
    if not isinstance(key, str):
        msg = f"{kind} key must be a string, got {type(key).__name__}: {key!r}"
        raise InvalidKeyError(msg)
    if not key or key.strip() != key:
        msg = f"{kind} key {key!r} is empty or has leading/trailing whitespace"
        raise InvalidKeyError(msg)
    if key in {".", ".."} or _FORBIDDEN.search(key):
        msg = (
            f"{kind} key {key!r} is not allowed: keys may not be '.' or '..' nor contain '/', "
            "'\\' or control characters (it would leave the repository root)"
        )
        raise InvalidKeyError(msg)
    return key


def valid_keys(names: Iterable[str], *, kind: str, where: str) -> list[str]:
    """The names that are valid keys; the others are left out with one warning naming them.

    For names found in data (groups in a file, folders): one odd name must not fail a listing.
    """
    keys, skipped = [], []
    for name in names:
        try:
            keys.append(validate_key(name, kind=kind))
        except InvalidKeyError:
            skipped.append(name)
    if skipped:
        logger.warning(
            "%s: left out %d name(s) that are not valid %s keys: %s",
            where,
            len(skipped),
            kind,
            ", ".join(repr(n) for n in skipped[:5]),
        )
    return keys


def _base_handle(key: str, *, prefix: str, reserved: Collection[str]) -> str:
    # ASCII letters, digits and "_" only (most keys): nothing to replace, no regex
    plain = key.isascii() and key.replace("_", "a").isalnum()
    handle = key if plain else _NOT_IDENT.sub("_", key)
    if not handle or handle[0].isdigit():
        handle = prefix + handle
    if keyword.iskeyword(handle) or handle in reserved or handle.startswith("__"):
        handle += "_"
    return handle


def make_handles(
    keys: Iterable[str], *, prefix: str, reserved: Collection[str] = ()
) -> dict[str, str]:
    """Map handle -> key for ``keys``, deterministic and without dropping any key (the
    module docstring's rule; the map's order is not part of it)."""
    handles: dict[str, str] = {}
    pending: list[tuple[str, str]] = []
    for key in dict.fromkeys(keys):
        base = _base_handle(key, prefix=prefix, reserved=reserved)
        if base == key:
            handles[base] = key
        else:
            pending.append((base, key))
    bases = {base for base, _ in pending}
    if len(bases) == len(pending) and bases.isdisjoint(handles):  # no handle is contested:
        handles.update(pending)  # the order they are given in cannot matter
        return handles
    pending.sort(key=lambda pair: natural_key(pair[1]))
    for base, key in pending:
        handle, n = base, 1
        while handle in handles:
            n += 1
            handle = f"{base}__{n}"
        handles[handle] = key
    return handles
