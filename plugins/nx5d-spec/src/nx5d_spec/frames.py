"""Detector frames a SPEC scan keeps in separate image files, joined to its points.

ESRF's ``ccd`` macros write one EDF per point, APS areaDetector one TIFF per point; where they
go is the beamline's choice, so the repository is told by a pattern relative to the SPEC file's
folder (or absolute): ``frames="{proposal}/images/{scan}/img_{point:05d}.edf"`` with the fields
``proposal`` (the SPEC file's stem), ``scan`` (its key, ``12`` or ``12.2``), ``number`` (the
``#S`` number, an integer) and ``point`` (0 for the first data line). Point *i* is the file the
pattern names for it; a file that is not there raises
:class:`~nx5d_core.errors.MissingFrameError` when read, never zeros, and is counted in the
summary. Frames decode through the images adapter (fabio, and its fast EDF path).
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

from nx5d_core.errors import URLPatternError
from nx5d_core.series import Frame

__all__ = ["FIELDS", "check_frames_pattern", "frame_paths", "frames_variable"]

FIELDS = frozenset({"proposal", "scan", "number", "point"})


def check_frames_pattern(pattern: str) -> str:
    """``pattern`` checked: known fields only, ``{point}`` among them."""
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None}
    except ValueError as exc:
        msg = f"frames pattern {pattern!r} is not a format string: {exc}"
        raise URLPatternError(msg) from None
    unknown = sorted(names - FIELDS)
    if unknown or "point" not in names:
        msg = f"frames pattern {pattern!r}: fields must be among {sorted(FIELDS)} and include {{point}}; unknown: {unknown}"  # fmt: skip
        raise URLPatternError(msg)
    return pattern


def frame_paths(pattern: str, *, folder: Path, proposal: str, scan: str, number: str, points: int) -> list[Path]:  # fmt: skip
    """The file the pattern names for each point."""
    head = number.split(".")[0]
    numeric: Any = int(head) if head.isdigit() else head
    return [folder / pattern.format(proposal=proposal, scan=scan, number=numeric, point=i) for i in range(points)]  # fmt: skip


def frames_variable(paths: list[Path], *, guard: Any, lazy: bool, identities: dict[str, Any], name: str) -> tuple[Any, int]:  # fmt: skip
    """The frames as an array (dask when ``lazy``) and the number of points without a file."""
    from nx5d_images.decode import decode

    from nx5d_core.series import lazy_series, read_series, series_format

    frames = [Frame(p) for p in paths]
    fmt = series_format(frames, decode=decode, guard=guard, workers=1 if lazy else 8)
    if lazy:
        missing = sum(1 for f in frames if not f.path.is_file())
        return lazy_series(fmt, frames, identities=identities, chunk=16, name=name), missing
    images, _ = read_series(fmt, frames)
    return images, 0
