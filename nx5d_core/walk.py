"""Listing keys on a local filesystem, folder by folder, inside the repository root.

fsspec's glob skips what it cannot read and does not follow symlinked folders, so an unreadable
scan folder silently vanished and a symlinked proposal inside the root was dropped. This walker
matches one path segment per level with :func:`os.scandir` and:

- follows symlinked folders that stay inside the root (or an allowed folder);
- a folder it may not enter (permissions, or a link leaving the root): if the key being listed is
  already known from the path, the key is listed (reading that scan raises, naming the path);
  otherwise the listing raises ``PermissionError`` / :class:`~nx5d_core.errors.OutsideRootError`;
- never follows a link out of the root to look for keys.
"""

from __future__ import annotations

import logging
import os
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass

from .errors import OutsideRootError
from .paths import RootGuard

__all__ = ["Hit", "walk_pattern"]
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    """A path that matched the pattern; ``complete`` is false when the walk had to stop early."""

    path: str
    fields: dict[str, str]
    complete: bool


def _segment_regex(segment: str, fixed: dict[str, str]) -> re.Pattern[str] | None:
    """A regex for one path segment, or ``None`` if the segment is a plain name."""
    parsed = list(string.Formatter().parse(segment))
    if all(name is None for _, name, _, _ in parsed):
        return None
    out = []
    for literal, name, _, _ in parsed:
        out.append(re.escape(literal))
        if name is None:
            continue
        out.append(re.escape(fixed[name]) if name in fixed else f"(?P<{name}>[^/]+?)")
    return re.compile("".join(out) + r"\Z")


def _unbraced(segment: str, fixed: dict[str, str]) -> str:
    return segment.format(**fixed) if "{" in segment else segment


def walk_pattern(
    *, root: str, segments: list[str], fixed: dict[str, str], wanted: str, guard: RootGuard
) -> Iterator[Hit]:
    """Paths below ``root`` matching ``segments`` (one template per level).

    ``wanted`` is the field being listed: once it is known, a folder that cannot be entered still
    yields an incomplete :class:`Hit` for it instead of vanishing.
    """
    yield from _walk(root, segments, 0, dict(fixed), fixed, wanted, guard)


def _walk(
    folder: str,
    segments: list[str],
    index: int,
    fields: dict[str, str],
    fixed: dict[str, str],
    wanted: str,
    guard: RootGuard,
) -> Iterator[Hit]:
    if index == len(segments):
        yield Hit(path=folder, fields=fields, complete=True)
        return
    segment = segments[index]
    regex = _segment_regex(segment, fields)
    last = index == len(segments) - 1
    if regex is None:
        child = os.path.join(folder, _unbraced(segment, fields))
        entered = _enter(child, fields=fields, wanted=wanted, guard=guard, last=last)
        if entered is True:
            yield from _walk(child, segments, index + 1, fields, fixed, wanted, guard)
        elif entered is False:
            yield Hit(path=child, fields=fields, complete=False)
        return
    for name in _names(folder, fields=fields, wanted=wanted):
        found = regex.match(name)
        if found is None:
            continue
        child_fields = {**fields, **found.groupdict()}
        child = os.path.join(folder, name)
        entered = _enter(child, fields=child_fields, wanted=wanted, guard=guard, last=last)
        if entered is True:
            yield from _walk(child, segments, index + 1, child_fields, fixed, wanted, guard)
        elif entered is False:
            yield Hit(path=child, fields=child_fields, complete=False)


def _names(folder: str, *, fields: dict[str, str], wanted: str) -> list[str]:
    try:
        with os.scandir(folder) as entries:
            return sorted(e.name for e in entries)
    except PermissionError as exc:
        msg = f"cannot list {folder}: permission denied (looking for {wanted} keys)"
        raise PermissionError(exc.errno, msg, folder) from None


def _enter(
    path: str, *, fields: dict[str, str], wanted: str, guard: RootGuard, last: bool
) -> bool | None:
    """``True``: go on below ``path``; ``False``: cannot enter, list the key; ``None``: no match."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except PermissionError:
        if wanted in fields:
            return False
        raise
    if os.path.islink(path):
        try:
            guard.resolve(path)
        except OutsideRootError as exc:
            if wanted in fields:
                return False
            logger.warning("left out of the listing: %s", exc)
            return None
        try:
            st = os.stat(path)
        except FileNotFoundError:
            logger.warning("left out of the listing: %s is a dangling symlink", path)
            return None
        except PermissionError:
            if wanted in fields:
                return False
            raise
    if last:
        return True
    if not os.path.isdir(path):
        return None
    if not os.access(path, os.R_OK | os.X_OK):
        if wanted in fields:
            return False
        msg = f"cannot list {path}: permission denied (looking for {wanted} keys)"
        raise PermissionError(13, msg, path)
    del st
    return True
