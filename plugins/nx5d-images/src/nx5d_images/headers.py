"""Image headers as named values: per-frame variables where they change, attributes where not.

ESRF writers (SPEC's ``ccd`` macros, LIMA, BLISS) put motor and counter values in pairs of
header keys: ``motor_mne`` (names) with ``motor_pos`` (values), ``counter_mne`` with
``counter_pos``; they are decoded into one value per name. EDF's ``HeaderID``
(``EH:000002:000000:000000``) gives ``edf_header_number``. Keys that only describe the binary
block (``Dim_1``, ``DataType``, ``EDF_BinarySize`` ...) are left out: the array says them.
A value that is not a number stays text (``"None"`` is never 0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["HeaderTable", "header_table", "named_values"]

STRUCTURAL = frozenset(
    {
        "EDF_DataBlockID", "EDF_BinarySize", "EDF_HeaderSize", "ByteOrder", "DataType", "Dim_1",
        "Dim_2", "Dim_3", "Size", "Image", "HeaderID", "Compression", "HEADER_BYTES", "DIM",
        "BYTE_ORDER", "TYPE", "SIZE1", "SIZE2", "X-Binary-Size", "X-Binary-ID",
        "X-Binary-Element-Type", "X-Binary-Element-Byte-Order", "Content-MD5", "Content-Type",
        "Content-Transfer-Encoding", "X-Binary-Number-of-Elements", "X-Binary-Size-Fastest-Dimension",
        "X-Binary-Size-Second-Dimension", "X-Binary-Size-Padding", "conversions",
    }
)  # fmt: skip
PAIRS = (("motor_mne", "motor_pos", "motor"), ("counter_mne", "counter_pos", "counter"))
RESERVED = frozenset({"frame", "x", "y", "images", "frame_number", "file"})


def named_values(header: Mapping[str, Any]) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """``name -> (kind, text)`` with kind ``motor``, ``counter`` or ``header``; and notes."""
    out: dict[str, tuple[str, str]] = {}
    notes: list[str] = []
    for names_key, values_key, kind in PAIRS:
        if names_key not in header:
            continue
        names = str(header[names_key]).split()
        values = str(header.get(values_key, "")).split()
        if len(names) != len(values):
            notes.append(f"{names_key} has {len(names)} names, {values_key} {len(values)} values: kept as text")  # fmt: skip
            continue
        for name, value in zip(names, values, strict=True):
            out.setdefault(name if name not in RESERVED else f"{kind}_{name}", (kind, value))
    paired = {k for n, v, _ in PAIRS for k in (n, v) if n in header and not any(n in note for note in notes)}  # fmt: skip
    ident = str(header.get("HeaderID", ""))
    if ident.startswith("EH:") and ident[3:9].isdigit():
        out["edf_header_number"] = ("header", str(int(ident[3:9])))
    for key, value in header.items():
        if key in STRUCTURAL or key in paired:
            continue
        name = key if key not in out and key not in RESERVED else f"header_{key}"
        out[name] = ("header", str(value).strip())
    return out, notes


def _column(texts: Sequence[str | None]) -> np.ndarray:
    """Numbers as float64 (a missing value is NaN), else text (a missing value is "")."""
    try:
        return np.array([np.nan if t is None else float(t) for t in texts], dtype=np.float64)
    except ValueError:
        return np.array(["" if t is None else t for t in texts], dtype=str)


class HeaderTable:
    """The header values of a series of frames: which change, which do not."""

    def __init__(self, headers: Sequence[Mapping[str, Any]]) -> None:
        rows = [named_values(h) for h in headers]
        self.notes = sorted({n for _, notes in rows for n in notes})
        names: dict[str, str] = {}
        for values, _ in rows:
            for name, (kind, _) in values.items():
                names.setdefault(name, kind)
        self.kinds = names
        self.varying: dict[str, np.ndarray] = {}
        self.constant: dict[str, Any] = {}
        for name in names:
            texts = [values[name][1] if name in values else None for values, _ in rows]
            if len(set(texts)) == 1 and texts[0] is not None:
                column = _column(texts[:1])
                self.constant[name] = column[0].item()
            else:
                self.varying[name] = _column(texts)

    def split(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(coords, data_vars)`` along ``frame``: changing motors are coordinates."""
        coords: dict[str, Any] = {}
        data_vars: dict[str, Any] = {}
        for name, values in self.varying.items():
            kind = self.kinds[name]
            (coords if kind == "motor" else data_vars)[name] = (
                "frame",
                values,
                {"nx5d_header": kind},
            )
        return coords, data_vars


def header_table(headers: Sequence[Mapping[str, Any]]) -> HeaderTable:
    """See :class:`HeaderTable`."""
    return HeaderTable(headers)
