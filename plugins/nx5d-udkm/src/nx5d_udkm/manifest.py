"""manifest.dat: a ``%`` header line naming tab-separated columns, then one row per frame."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nx5d_core.fingerprint import MISSING
from nx5d_core.paths import FileIdentity, file_identity, open_regular

from .errors import ManifestError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "Column",
    "Manifest",
    "parse_manifest",
    "read_manifest",
]

_UNIT = re.compile(r"^(?P<name>.*?)\s*\[(?P<unit>[^\]]*)\]\s*$")


@dataclass(frozen=True)
class Column:
    """One manifest column: the header text, a clean variable name and the unit in brackets."""

    header: str
    name: str
    unit: str


@dataclass(frozen=True)
class Manifest:
    """Parsed manifest: columns and a (rows, columns) float array."""

    path: Path
    columns: tuple[Column, ...]
    values: np.ndarray
    identity: FileIdentity = MISSING
    """(inode, size, mtime) of the file that was parsed."""

    @property
    def num_rows(self) -> int:
        """Number of frames."""
        return int(self.values.shape[0])

    def column(self, name: str) -> np.ndarray:
        """Values of the column with clean name ``name``."""
        for i, col in enumerate(self.columns):
            if col.name == name:
                return self.values[:, i]
        known = ", ".join(c.name for c in self.columns)
        msg = f"{self.path}: no column {name!r}; columns: {known}"
        raise ManifestError(msg)

    def has(self, name: str) -> bool:
        """Whether a column with clean name ``name`` exists."""
        return any(c.name == name for c in self.columns)


def clean_name(header: str) -> Column:
    """``"Pilatus [ph/s]"`` -> name ``Pilatus``, unit ``ph/s``.

    Two columns that differ only by unit (``Crystal [V]``, ``Crystal [ph/s]``) get the unit
    appended by :func:`read_manifest` to stay unique.
    """
    found = _UNIT.match(header)
    name, unit = (found["name"], found["unit"]) if found else (header, "")
    ident = re.sub(r"\W+", "_", name.strip()).strip("_") or "column"
    if ident[0].isdigit():
        ident = "c_" + ident
    return Column(header=header, name=ident, unit=unit.strip())


def _columns(header_line: str, path: Path) -> tuple[Column, ...]:
    headers = [h.strip() for h in header_line.lstrip("%").strip().split("\t")]
    if not any(headers):
        msg = f"{path}: line 1: the '%' header names no columns"
        raise ManifestError(msg)
    cols = [clean_name(h) for h in headers]
    names = [c.name for c in cols]
    out = []
    for col in cols:
        if names.count(col.name) > 1 and col.unit:
            unit = re.sub(r"\W+", "_", col.unit).strip("_")
            col = Column(header=col.header, name=f"{col.name}_{unit}", unit=col.unit)
        out.append(col)
    final = [c.name for c in out]
    dupes = sorted({n for n in final if final.count(n) > 1})
    if dupes:
        msg = f"{path}: line 1: duplicate column names {dupes}"
        raise ManifestError(msg)
    return tuple(out)


def read_manifest(path: Path) -> Manifest:
    """Read ``path``; raise :class:`ManifestError` naming the line of the first problem."""
    try:
        fd = open_regular(path, what="the manifest")
    except FileNotFoundError:
        msg = f"manifest not found: {path}"
        raise ManifestError(msg) from None
    try:
        identity = file_identity(os.fstat(fd))
        with os.fdopen(fd, "rb") as stream:
            raw = stream.read()
    except OSError as exc:
        msg = f"{path}: cannot be read: {exc}"
        raise ManifestError(msg) from exc
    return parse_manifest(raw, path=path, identity=identity)


def parse_manifest(raw: bytes, *, path: Path, identity: FileIdentity = MISSING) -> Manifest:
    """Parse the bytes of a manifest read from ``path`` (named in errors)."""
    import numpy as np

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"{path}: cannot be read: {exc}"
        raise ManifestError(msg) from exc
    lines = text.splitlines()
    if not lines or not lines[0].startswith("%"):
        msg = (
            f"{path}: line 1: expected a header line starting with '%', got {lines[0][:60]!r}"
            if lines
            else f"{path}: empty file"
        )
        raise ManifestError(msg)
    columns = _columns(lines[0], path)
    rows = [(n, line) for n, line in enumerate(lines[1:], start=2) if line.strip()]
    if not rows:
        msg = f"{path}: has a header but no rows (an empty scan)"
        raise ManifestError(msg)
    width = len(columns)
    values = np.empty((len(rows), width), dtype=np.float64)
    for i, (number, line) in enumerate(rows):
        fields = line.split("\t")
        if len(fields) != width:
            msg = f"{path}: line {number}: {len(fields)} fields, the header names {width}"
            raise ManifestError(msg)
        try:
            values[i] = [float(f) for f in fields]
        except ValueError as exc:
            msg = f"{path}: line {number}: not a number: {exc}"
            raise ManifestError(msg) from None
    return Manifest(path=path, columns=columns, values=values, identity=identity)
