"""Numbered image files grouped into series: ``name_0000.edf``, ``name_0001.edf`` ... is one
series ``name``; gaps in the numbering are reported (:attr:`Series.gaps`), never filled.

A file without a counter (``dark.edf``, a multi-frame ``scan.edf``) is a series of its own, keyed
by its stem; two series with one prefix and different extensions are keyed with the extension.
A series keeps its key while it grows, so a scan being written is the same scan.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Series", "group_series"]

_NUMBERED = re.compile(r"^(?P<prefix>.*?)(?P<number>\d+)(?P<ext>(?:\.[A-Za-z][A-Za-z0-9]*)?(?:\.(?:gz|bz2))?)$")  # fmt: skip
_SUFFIX = re.compile(r"(?P<ext>(?:\.[A-Za-z][A-Za-z0-9]*)?(?:\.(?:gz|bz2))?)$")


@dataclass(frozen=True)
class Series:
    """One series: its key, its files in counter order and their counters."""

    key: str
    names: tuple[str, ...]
    numbers: tuple[int, ...]

    @property
    def gaps(self) -> list[tuple[int, int]]:
        """Missing counter ranges ``(first, last)`` between the first and the last file."""
        return [
            (a + 1, b - 1)
            for a, b in zip(self.numbers, self.numbers[1:], strict=False)
            if b > a + 1
        ]

    def describe_gaps(self) -> str:
        """``"numbers 5-7, 12 missing"`` or ``""``."""
        parts = [f"{a}" if a == b else f"{a}-{b}" for a, b in self.gaps]
        return f"numbers {', '.join(parts)} missing" if parts else ""


def _key(prefix: str) -> str:
    return prefix.rstrip("_-. ") or prefix


def group_series(names: Iterable[str]) -> dict[str, Series]:
    """The series the file ``names`` (of one folder) form, by key."""
    groups: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    single: list[tuple[str, str]] = []
    for name in names:
        match = _NUMBERED.match(name)
        if match and match["prefix"] and not match["prefix"][-1].isdigit():
            groups[(match["prefix"], match["ext"].lower())].append((int(match["number"]), name))
        else:
            tail = _SUFFIX.search(name)
            suffix = tail["ext"] if tail else ""
            single.append((name[: len(name) - len(suffix)] or name, name))
    found: list[tuple[str, str, tuple[str, ...], tuple[int, ...]]] = []
    for (prefix, ext), members in groups.items():
        members.sort()
        numbers = tuple(n for n, _ in members)
        if len(set(numbers)) != len(numbers):  # name_1.edf and name_01.edf: not one counter
            single.extend((m.rsplit(".", 1)[0], m) for _, m in members)
            continue
        found.append((_key(prefix), ext, tuple(m for _, m in members), numbers))
    found.extend((stem, "", (name,), ()) for stem, name in single)
    taken: dict[str, int] = defaultdict(int)
    for key, *_ in found:
        taken[key] += 1
    out: dict[str, Series] = {}
    for key, ext, members_, numbers in found:
        unique = key if taken[key] == 1 else f"{key}{ext or '.' + members_[0].rsplit('.', 1)[-1]}"
        out[unique] = Series(key=unique, names=members_, numbers=numbers)
    return out
