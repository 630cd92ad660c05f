"""Parsing XDI 1.x (XAS Data Interchange), as the XDI specification writes it and as writers do.

- line 1: ``# XDI/1.0`` (``#XDI/1.1`` without the space: Epics StepScan), then the applications
  that wrote it (``GSE/1.0``, ``Epics StepScan File / 2.0``);
- ``# Namespace.tag: value`` fields; names are case-insensitive (``Mono.d_spacing`` =
  ``mono.D_Spacing``); ``Column.N: name [units]`` (Epics StepScan adds ``|| PV``);
- ``# ///`` opens the user's free-form comments, ``#----`` (or ``# ---``) closes the header; an
  optional ``# energy i0 itrans`` line of column labels follows;
- data lines: whitespace-separated numbers, one per column.

What is not well formed raises :class:`XdiFormatError` naming the file and line. One exception:
a last line shorter than the others is a writer still appending (a scan in progress): it is left
out and said in :attr:`XdiFile.notes`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from nx5d_core.errors import Nx5dError

__all__ = ["Column", "XdiFile", "XdiFormatError", "parse_xdi"]

_VERSION = re.compile(r"\A\s*#\s*XDI/(\d+\.\d+)\s*(.*?)\s*\Z")
_FIELD = re.compile(r"\A#\s*([A-Za-z_][\w-]*)\.([\w-]+)\s*:\s*(.*?)\s*\Z")
_COMMENTS = re.compile(r"\A#\s*/{3,}")  # "# ///" or "# ///  Users Comments  ///"
_END = re.compile(r"\A#\s*-{2,}\s*\Z")


class XdiFormatError(Nx5dError, ValueError):
    """An XDI file that is not well formed (the message names the file and line)."""


@dataclass(frozen=True)
class Column:
    """A data column: its name, units (``""`` if none) and what else the header says of it."""

    number: int
    name: str
    units: str = ""
    extra: str = ""


@dataclass
class XdiFile:
    """A parsed XDI file."""

    version: str
    applications: str
    fields: dict[str, str]
    """``Namespace.tag`` -> value, names as the file writes them."""
    columns: list[Column]
    comments: str
    data: np.ndarray
    """(points, columns), float64."""
    notes: list[str] = field(default_factory=list)

    def field(self, name: str) -> str | None:
        """A header field by name, case-insensitively (``"scan.start_time"``)."""
        wanted = name.casefold()
        return next((v for k, v in self.fields.items() if k.casefold() == wanted), None)


def _column(number: int, value: str) -> Column:
    described, _, extra = value.partition("||")
    words = described.split()
    if not words:
        return Column(number, f"column_{number}", "", extra.strip())
    return Column(number, words[0], " ".join(words[1:]), extra.strip())


def parse_xdi(text: str, *, where: str) -> XdiFile:
    """Parse ``text`` (the file's content); ``where`` names it in errors."""
    lines = text.splitlines()
    if not lines or (first := _VERSION.match(lines[0])) is None:
        shown = lines[0][:60] if lines else ""
        msg = f"{where}: not an XDI file: line 1 is {shown!r}, not '# XDI/1.0 ...'"
        raise XdiFormatError(msg)
    fields: dict[str, str] = {}
    columns: dict[int, Column] = {}
    comments: list[str] = []
    in_comments = False
    body = len(lines)
    for number, line in enumerate(lines[1:], start=2):
        if not line.lstrip().startswith("#"):
            body = number - 1
            break
        if _END.match(line):
            in_comments = False
            continue
        if _COMMENTS.match(line):
            in_comments = True
            continue
        if in_comments:
            comments.append(line.lstrip()[1:].strip())
            continue
        found = _FIELD.match(line)
        if found is None:
            continue  # the column-label line after #----, or free text
        namespace, tag, value = found.groups()
        fields[f"{namespace}.{tag}"] = value
        if namespace.casefold() == "column":
            if not tag.isdigit() or int(tag) < 1:
                msg = f"{where}, line {number}: column numbers count from 1, got 'Column.{tag}'"
                raise XdiFormatError(msg)
            columns[int(tag)] = _column(int(tag), value)
    data, notes = _data(lines[body:], first_line=body + 1, where=where)
    width = data.shape[1] if data.size else len(columns)
    if columns and max(columns) > width and data.size:
        msg = f"{where}: the header names {max(columns)} columns, the data lines have {width}"
        raise XdiFormatError(msg)
    named = [columns.get(n) or Column(n, f"column_{n}") for n in range(1, width + 1)]
    unnamed = [c.number for c in named if c.number not in columns]
    if unnamed:
        notes.append(f"columns {unnamed} have no Column.N line: named column_N")
    return XdiFile(first.group(1), first.group(2), fields, named, "\n".join(comments), data, notes)


def _data(lines: list[str], *, first_line: int, where: str) -> tuple[np.ndarray, list[str]]:
    rows: list[list[float]] = []
    numbers: list[int] = []
    notes: list[str] = []
    for offset, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            rows.append([float(v) for v in stripped.split()])
        except ValueError:
            msg = f"{where}, line {first_line + offset}: not a row of numbers: {stripped[:80]!r}"
            raise XdiFormatError(msg) from None
        numbers.append(first_line + offset)
    if not rows:
        return np.empty((0, 0)), notes
    width = len(rows[0])
    if len(rows) > 1 and len(rows[-1]) < width and all(len(r) == width for r in rows[:-1]):
        notes.append(
            f"the last line ({numbers[-1]}) has {len(rows[-1])} of {width} values (a scan still "
            "being written?): left out"
        )
        rows, numbers = rows[:-1], numbers[:-1]
    for row, number in zip(rows, numbers, strict=True):
        if len(row) != width:
            msg = f"{where}, line {number}: {len(row)} values where the first data line has {width}"
            raise XdiFormatError(msg)
    return np.asarray(rows, dtype=np.float64), notes
