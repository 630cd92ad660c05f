"""FIO files as PETRA III's online and Sardana write them.

``!`` lines are comments. ``%c`` starts the comment section: its first line is the scan command
(``ascan omega 180.0 180.5 3:10/1 4``), and a line ``... acquisition started at <date>`` gives
the local start time. ``%p`` holds ``name = value`` parameters. ``%d`` holds `` Col N name TYPE``
lines (a name may hold spaces: ``unix time``; types DOUBLE, FLOAT, INTEGER, STRING, BOOLEAN)
and then one row of values per point. A row with the wrong number of values raises
:class:`FioFormatError` naming the file and line; a short *last* row (a file still being
written) is left out with a note. A value that does not parse as its column's type raises: a
``None`` is never read as 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nx5d_core.errors import FormatError

__all__ = ["FioColumn", "FioFile", "FioFormatError", "parse_fio"]

_COL = re.compile(r"^\s*Col\s+(\d+)\s+(.+?)\s+([A-Za-z_]+)\s*$")
_STARTED = re.compile(r"acquisition started at\s+(.+?)\s*$", re.IGNORECASE)
_TYPES: dict[str, type] = {"DOUBLE": np.float64, "FLOAT": np.float32, "INTEGER": np.int64, "BOOLEAN": np.bool_, "STRING": np.str_}  # fmt: skip


class FioFormatError(FormatError):
    """A FIO file that breaks the format (the message names the file and line)."""


@dataclass(frozen=True)
class FioColumn:
    """One ``Col N name TYPE`` line."""

    number: int
    name: str
    type: str


@dataclass
class FioFile:
    """A parsed FIO file."""

    comments: list[str]
    parameters: dict[str, object]
    columns: list[FioColumn]
    data: dict[str, np.ndarray]
    notes: list[str] = field(default_factory=list)

    @property
    def command(self) -> str:
        """The scan command: the first line of the ``%c`` section."""
        return self.comments[0] if self.comments else ""

    @property
    def started(self) -> str | None:
        """The text after ``acquisition started at``, if a comment line has it."""
        for line in self.comments:
            found = _STARTED.search(line)
            if found:
                return found.group(1)
        return None

    @property
    def points(self) -> int:
        """Number of data rows."""
        return len(next(iter(self.data.values()))) if self.data else 0


def _value(text: str) -> object:
    """A number where the text is one, else the text ("None" stays "None")."""
    try:
        return float(text)
    except ValueError:
        return text


def _convert(column: FioColumn, values: list[str], *, where: str, lines: list[int]) -> np.ndarray:
    kind = _TYPES.get(column.type.upper())
    if kind is None:
        msg = f"{where}: column {column.number} ({column.name}) has type {column.type!r}, not one of {', '.join(_TYPES)}"  # fmt: skip
        raise FioFormatError(msg)
    if kind is np.str_:
        return np.array(values, dtype=str)
    out: list[Any]
    if kind is np.bool_:
        truth = {"1": True, "0": False, "true": True, "false": False}
        out = [truth.get(v.lower()) for v in values]
    else:
        out = []
        for v in values:
            try:
                out.append(float(v) if kind is not np.int64 else int(v))
            except ValueError:
                out.append(None)
    bad = next((i for i, v in enumerate(out) if v is None), None)
    if bad is not None:
        msg = f"{where}, line {lines[bad]}: {values[bad]!r} in column {column.number} ({column.name}) is not {column.type}"  # fmt: skip
        raise FioFormatError(msg)
    return np.array(out, dtype=kind)


def parse_fio(text: str, *, where: str) -> FioFile:
    """Parse ``text``, the content of the FIO file ``where``."""
    comments: list[str] = []
    parameters: dict[str, object] = {}
    columns: list[FioColumn] = []
    rows: list[tuple[int, list[str]]] = []
    notes: list[str] = []
    section = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("!"):
            continue
        if line in ("%c", "%p", "%d"):
            section = line
            continue
        if section == "%c":
            comments.append(line)
        elif section == "%p":
            key, sep, value = line.partition("=")
            if sep and key.strip():
                parameters[key.strip()] = _value(value.strip())
            else:
                notes.append(f"line {number} of %p is not 'name = value': {line[:60]!r}")
        elif section == "%d":
            found = _COL.match(raw)
            if found and not rows:
                columns.append(FioColumn(int(found.group(1)), found.group(2), found.group(3)))
            else:
                rows.append((number, line.split()))
        else:
            msg = f"{where}, line {number}: text before any %c, %p or %d section: {line[:60]!r}"
            raise FioFormatError(msg)
    if section is None or not columns:
        msg = f"{where}: no %d section with 'Col N name TYPE' lines: not a FIO scan"
        raise FioFormatError(msg)
    width = len(columns)
    if rows and len(rows[-1][1]) < width and all(len(r) == width for _, r in rows[:-1]):
        notes.append(f"the last line ({rows[-1][0]}) has {len(rows[-1][1])} of {width} values (a scan still being written?): left out")  # fmt: skip
        rows = rows[:-1]
    for number, values in rows:
        if len(values) != width:
            msg = f"{where}, line {number}: {len(values)} values where the %d section names {width} columns"  # fmt: skip
            raise FioFormatError(msg)
    lines = [number for number, _ in rows]
    data = {}
    for i, column in enumerate(columns):
        name = column.name if column.name not in data else f"{column.name}_{column.number}"
        data[name] = _convert(column, [r[i] for _, r in rows], where=where, lines=lines)
    return FioFile(comments, parameters, columns, data, notes)
