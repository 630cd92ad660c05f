"""From a sorted SPEC scan block to numbers: columns, labels, MCA spectra, mesh grids.

``None`` and ``nan`` in data become NaN, never 0. Labels are split on two spaces or tabs, or on
single spaces where that alone fits the data; repeated labels get ``_2``, ``_3``... Data lines
wrapped by ``#N <columns> <per line>`` (old SPEC, APS USAXS) are joined into points. Lines cut
short after the last complete point (an aborted scan, its last point split over lines) are left
out and reported (one cut line never costs the good points); a line of another width among
complete points is damage: an error naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nx5d_core import buffers

from .block import Block
from .errors import SpecFormatError

__all__ = [
    "Columns",
    "command_motors",
    "complete_points",
    "data_rows",
    "mca_arrays",
    "points_of",
    "read_columns",
    "split_labels",
]

_NONE = re.compile(rb"\bNone\b", re.IGNORECASE)


def _none_as_nan(text: bytes) -> bytes:
    """``text`` with every word ``None`` (any case) written as ``nan``; numbers alone (no ``n``
    at all, the usual case) are returned without the regex (2,804 spectra in ID10B's file)."""
    if b"n" not in text and b"N" not in text:
        return text
    return _NONE.sub(b"nan", text)


@dataclass
class Columns:
    """The scan's counters and motors: unique labels, a (points, columns) array, notes."""

    labels: list[str]
    values: np.ndarray
    notes: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)


def split_labels(text: str, width: int | None) -> list[str]:
    """``#L`` labels: split on two or more spaces or a tab; where that does not give ``width``
    labels, the groups holding single spaces are split too, when exactly one choice of them
    gives ``width`` (e.g. ``H K L  Two Theta  Epoch`` for 6 columns keeps "Two Theta")."""
    double = [p.strip() for p in re.split(r"\s*\t\s*|\s{2,}", text.strip()) if p.strip()]
    if width is None or len(double) == width:
        return double
    words = [group.split() for group in double]
    spaced = [n for n, w in enumerate(words) if len(w) > 1]
    fits = []
    if len(spaced) <= 12:  # every choice of groups to split (a label line has few such groups)
        for mask in range(1 << len(spaced)):
            chosen = {spaced[b] for b in range(len(spaced)) if mask >> b & 1}
            count = sum(len(words[n]) if n in chosen else 1 for n in range(len(words)))
            if count == width:
                fits.append(chosen)
    if len(fits) == 1:
        chosen = fits[0]
        return [part for n, group in enumerate(double) for part in (words[n] if n in chosen else [group])]  # fmt: skip
    single = text.split()
    return single if len(single) == width else double


def _unique(labels: list[str]) -> tuple[list[str], dict[str, str]]:
    seen: dict[str, int] = {}
    out, renamed = [], {}
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        name = label if seen[label] == 1 else f"{label}_{seen[label]}"
        if name != label:
            renamed[name] = label
        out.append(name)
    return out, renamed


def _row_width(line: bytes) -> int:
    return len(line.split())


def data_rows(block: Block) -> tuple[list[tuple[int, bytes]], list[str]]:
    """The scan's points as (first line number, text): data lines as they are, or joined where
    ``#N <columns> <per line>`` says each point is wrapped over several lines."""
    declared = (block.first("N") or "").split()
    if len(declared) < 2 or not (declared[0].isdigit() and declared[1].isdigit()):
        return list(block.data), []
    columns, per_line = int(declared[0]), int(declared[1])
    if not 0 < per_line < columns:
        return list(block.data), []
    rows: list[tuple[int, bytes]] = []
    pending: list[bytes] = []
    start, count = 0, 0
    for number, text in block.data:
        if not pending:
            start = number
        pending.append(text)
        count += _row_width(text)
        if count >= columns:
            rows.append((start, b" ".join(pending)))
            pending, count = [], 0
    if pending:
        rows.append((start, b" ".join(pending)))
    note = f"#N {columns} {per_line}: {columns} columns written {per_line} per line; lines joined into points"  # fmt: skip
    return rows, [note]


def points_of(block: Block, *, path: Path) -> tuple[list[tuple[int, bytes]], list[int], int | None, list[str]]:  # fmt: skip
    """(rows, indices of the complete points, their width, notes) of ``block``'s data."""
    rows, notes = data_rows(block)
    widths = [_row_width(t) for _, t in rows]
    if not widths:
        return rows, [], None, notes
    width = max(set(widths), key=widths.count)
    keep, width_notes = complete_points(rows, widths=widths, width=width, path=path, command=block.command)  # fmt: skip
    return rows, keep, width, notes + width_notes


def read_columns(block: Block, *, path: Path) -> Columns:
    """The data columns of ``block``, checked line by line (only widths; numbers converted once)."""
    label_text = block.first("L")
    declared = block.first("N")
    data, keep, width, notes = points_of(block, path=path)
    if width is not None and label_text is not None:
        labels = split_labels(label_text, width)
    else:
        labels = split_labels(label_text or "", None)
    if width is None:
        width = len(labels)
    if declared is not None and declared.split() and declared.split()[0].isdigit():
        n = int(declared.split()[0])
        if n != len(labels) or n != width:
            notes.append(f"#N says {n} columns, #L names {len(labels)}, data lines have {width}")
    if len(labels) < width:
        labels += [f"column_{i}" for i in range(len(labels), width)]
        notes.append("#L names fewer columns than the data has; extra ones named column_<i>")
    elif len(labels) > width:
        notes.append(
            f"#L names {len(labels)} columns, the data has {width}: {labels[width:]} left out"
        )
        labels = labels[:width]
    text = b" ".join(data[i][1] for i in keep)
    text = _none_as_nan(text)
    try:
        flat = np.array(text.split(), dtype=np.float64)
    except ValueError as exc:
        number = next((n for n, t in data if _bad(t)), block.line)
        msg = f"{path}: line {number}: not a number in scan {block.command!r}: {exc}"
        raise SpecFormatError(msg) from None
    values = flat.reshape(len(keep), width) if keep else np.empty((0, width))
    unique, renamed = _unique(labels)
    if renamed:
        notes.append(f"repeated labels renamed: {renamed}")
    return Columns(labels=unique, values=values, notes=notes, renamed=renamed)


def complete_points(
    rows: list[tuple[int, bytes]], *, widths: list[int], width: int, path: Path, command: str
) -> tuple[list[int], list[str]]:
    """Indices of the rows that are complete points. Rows after the last complete point (an
    aborted scan, its last point cut or split over lines, as APS 30-ID HERIX writes it) are left
    out and named in a note; a row of another width among complete points is damage, a
    :class:`SpecFormatError` naming its line."""
    last = max(i for i, w in enumerate(widths) if w == width)
    for i in range(last):
        if widths[i] != width:
            msg = f"{path}: line {rows[i][0]}: {widths[i]} values where every other point of scan {command!r} has {width}"  # fmt: skip
            raise SpecFormatError(msg)
    keep = list(range(last + 1))
    tail = [(rows[i][0], widths[i]) for i in range(last + 1, len(widths))]
    notes = []
    if tail:
        shown = ", ".join(f"line {n} ({w} values)" for n, w in tail[:3])
        notes.append(
            f"{shown}{' ...' if len(tail) > 3 else ''} after the last complete point of {width} "
            f"values (scan aborted): left out, {len(keep)} complete points kept"
        )
    return keep, notes


def _bad(line: bytes) -> bool:
    for token in _none_as_nan(line).split():
        try:
            float(token)
        except ValueError:
            return True
    return False


def mca_arrays(block: Block, points: int, *, path: Path) -> tuple[dict[str, np.ndarray], list[str]]:
    """Each MCA's spectra as a (points, channels) array aligned with the data points.

    Spectra come before their point (SPEC's own order) or after it (other writers); the order
    is read from where the first spectrum stands. A point without a spectrum is NaN, reported.
    """
    notes: list[str] = []
    out: dict[str, np.ndarray] = {}
    for name, spectra in block.spectra.items():
        follows = spectra[0][0] >= 1 or (points > 0 and spectra[-1][0] == points)
        assigned: dict[int, bytes] = {}
        dropped = 0
        for index, text in spectra:
            point = index - 1 if follows else index
            if point < 0 or point >= points:
                dropped += 1
                continue
            if point in assigned:
                dropped += 1
            assigned[point] = text
        if dropped:
            notes.append(f"@{name}: {dropped} spectra not belonging to a point left out")
        if not assigned:
            continue
        rows = {p: np.array(_none_as_nan(t).split(), dtype=np.float64) for p, t in assigned.items()}
        lengths = {len(r) for r in rows.values()}
        if len(lengths) != 1:
            msg = f"{path}: scan {block.command!r}: @{name} spectra have different lengths {sorted(lengths)}"
            raise SpecFormatError(msg)
        channels = lengths.pop()
        array = buffers.empty((points, channels), np.float64)  # huge pages when large
        array[[p for p in range(points) if p not in rows]] = np.nan
        for p, row in rows.items():
            array[p] = row
        missing = points - len(rows)
        if missing:
            notes.append(f"@{name}: {missing} points have no spectrum (NaN)")
        out[name] = array
    return out, notes


_MOTOR_SCANS = {
    "ascan": 1, "dscan": 1, "a2scan": 2, "d2scan": 2, "a3scan": 3, "d3scan": 3,
    "a4scan": 4, "d4scan": 4, "a5scan": 5, "d5scan": 5, "lup": 1, "rscan": 1,
    "cscan": 1, "fscan": 1,
}  # fmt: skip


def command_motors(command: str) -> dict[str, Any]:
    """The scan type, motors and ranges named in a ``#S`` command (``mesh`` grids included)."""
    parts = command.split()
    kind = parts[1] if len(parts) > 1 else ""
    args = parts[2:]
    out: dict[str, Any] = {"type": kind, "motors": [], "ranges": []}

    def number(text: str) -> float | None:
        try:
            return float(text)
        except ValueError:
            return None

    if kind in _MOTOR_SCANS:
        for i in range(_MOTOR_SCANS[kind]):
            chunk = args[3 * i : 3 * i + 3]
            if len(chunk) == 3 and number(chunk[1]) is not None and number(chunk[2]) is not None:
                out["motors"].append(chunk[0])
                out["ranges"].append([number(chunk[1]), number(chunk[2])])
    elif kind in {"mesh", "dmesh", "cmesh", "amesh"} and len(args) >= 8:
        for chunk in (args[0:4], args[4:8]):
            start, stop, steps = (number(c) for c in chunk[1:4])
            if start is None or stop is None or steps is None:
                return out
            out["motors"].append(chunk[0])
            out["ranges"].append([start, stop])
            out.setdefault("steps", []).append(int(steps))
    elif kind in {"hklscan", "hscan", "kscan", "lscan", "hklmesh"}:
        out["motors"] = ["H", "K", "L"]
    return out
