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

import functools
import logging
import os
import re
import stat
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
    if "{" not in segment:
        return None
    names = _names(segment)
    return _segment_compiled(segment, tuple((n, fixed[n]) for n in names if n in fixed))


@functools.lru_cache(maxsize=64)
def _names(segment: str) -> tuple[str, ...]:
    return tuple(n for _, n, _, _ in string.Formatter().parse(segment) if n is not None)


@functools.lru_cache(maxsize=1024)
def _segment_compiled(
    segment: str, fixed_items: tuple[tuple[str, str], ...]
) -> re.Pattern[str] | None:
    fixed = dict(fixed_items)
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
    *,
    root: str,
    segments: list[str],
    fixed: dict[str, str],
    wanted: str,
    guard: RootGuard,
    first_only: bool = False,
) -> Iterator[Hit]:
    """Paths below ``root`` matching ``segments`` (one template per level).

    ``wanted`` is the field being listed: once it is known, a folder that cannot be entered still
    yields an incomplete :class:`Hit` for it instead of vanishing. With ``first_only`` the walk
    yields one hit per value of ``wanted`` (enough to list it) and skips the rest below it.
    """
    walk = _Walk(segments=segments, fixed=fixed, wanted=wanted, guard=guard, first=first_only)
    yield from walk.below(root, 0, dict(fixed))


@dataclass(frozen=True)
class _Walk:
    segments: list[str]
    fixed: dict[str, str]
    wanted: str
    guard: RootGuard
    first: bool

    def below(self, folder: str, index: int, fields: dict[str, str]) -> Iterator[Hit]:
        """The hits below ``folder`` whose path segments from ``index`` on match."""
        if index == len(self.segments):
            yield Hit(path=folder, fields=fields, complete=True)
            return
        yield from self._level(folder, index, fields)

    def _descend(self, path: str, index: int, fields: dict[str, str], bound: bool) -> Iterator[Hit]:
        hits = self.below(path, index + 1, fields)
        if bound:  # ``wanted`` was bound at this level: one hit lists it
            first = next(hits, None)
            if first is not None:
                yield first
            return
        yield from hits

    def _level(self, folder: str, index: int, fields: dict[str, str]) -> Iterator[Hit]:
        segments, wanted, guard = self.segments, self.wanted, self.guard
        segment = segments[index]
        regex = _segment_regex(segment, fields)
        last = index == len(segments) - 1
        if regex is None:
            child = os.path.join(folder, _unbraced(segment, fields))
            entered = _enter(child, None, fields=fields, wanted=wanted, guard=guard, last=last)
            if entered is True:
                yield from self.below(child, index + 1, fields)
            elif entered is False:
                yield Hit(path=child, fields=fields, complete=False)
            return
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except PermissionError as exc:
            if wanted in fields:  # the key is known: list it, reading it will raise
                yield Hit(path=folder, fields=fields, complete=False)
                return
            msg = f"cannot list {folder}: permission denied (looking for {wanted} keys)"
            raise PermissionError(exc.errno, msg, folder) from None
        for entry in entries:
            found = regex.match(entry.name)
            if found is None:
                continue
            child_fields = {**fields, **found.groupdict()}
            entered = _enter(
                entry.path, entry, fields=child_fields, wanted=wanted, guard=guard, last=last
            )
            if entered is True:
                bound = self.first and wanted not in fields and wanted in child_fields
                yield from self._descend(entry.path, index, child_fields, bound)
            elif entered is False:
                yield Hit(path=entry.path, fields=child_fields, complete=False)


def _enter(
    path: str,
    entry: os.DirEntry[str] | None,
    *,
    fields: dict[str, str],
    wanted: str,
    guard: RootGuard,
    last: bool,
) -> bool | None:
    """``True``: go on below ``path``; ``False``: cannot enter, list the key; ``None``: no match.

    ``entry`` (from ``scandir``) answers the type questions without a system call.
    """
    try:
        if entry is not None:
            link, is_dir = entry.is_symlink(), entry.is_dir(follow_symlinks=False)
        else:
            mode = os.lstat(path).st_mode
            link, is_dir = stat.S_ISLNK(mode), stat.S_ISDIR(mode)
    except FileNotFoundError:
        return None
    except PermissionError:
        if wanted in fields:
            return False
        raise
    if link:
        try:
            guard.resolve(path)
        except OutsideRootError as exc:
            if wanted in fields:
                return False
            logger.warning("left out of the listing: %s", exc)
            return None
        try:
            is_dir = stat.S_ISDIR(os.stat(path).st_mode)
        except FileNotFoundError:
            logger.warning("left out of the listing: %s is a dangling symlink", path)
            return None
        except PermissionError:
            if wanted in fields:
                return False
            raise
    if last:
        return True
    return True if is_dir else None
