"""Detector frames a SPEC scan keeps in separate image files, joined to its points.

Where the frames go is the beamline's choice. The repository's ``frames`` option names it:

- a pattern with ``{point}``: one image file per point (ESRF ``ccd`` macros, APS areaDetector
  TIFFs), ``frames="{proposal}/images/{number:03d}/img_{point:05d}.edf"``;
- a pattern with ``{scan}`` or ``{number}`` and no ``{point}``: one file per scan holding every
  point's frame (areaDetector's NDFileHDF5 ``entry/data/data``, a Lambda/Eiger NeXus file, a
  multi-frame EDF), ``frames="{proposal}_{number:04d}.h5"``;
- a pattern with ``*`` and no ``{point}``: the image files it matches say in their headers which
  scan and point they belong to (``scan_no`` and ``point_no``, as ESRF's image servers write);
- ``frames="imageFile"``: the scan's own ``#C imageFile dir[...] prefix[...] idxFmt[...]
  nextNr[...] suffix[...]`` line (ESRF ID01/ID03 SPEC macros; read by silx's kmap and
  xrayutilities), image *nextNr + i* for point *i*, or one multi-frame file. The folder is taken
  relative to the ``#F`` path, so a copied experiment finds its images beside the SPEC file.

The fields are ``proposal`` (the SPEC file's stem), ``scan`` (its key, ``12`` or ``12.2``),
``number`` (the ``#S`` number, an integer) and ``point`` (0 for the first data line); a relative
pattern is relative to the SPEC file's folder. A point without its frame raises
:class:`~nx5d_core.errors.MissingFrameError` when read, never zeros, and is counted in the
summary. Frames decode through the images adapter (fabio, the fast EDF and TIFF paths, HDF5).
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from nx5d_core.errors import URLPatternError
from nx5d_core.series import Frame

__all__ = ["FIELDS", "IMAGE_FILE", "ScanFrames", "check_frames_pattern", "frames_variable", "image_file_line", "scan_frames"]  # fmt: skip

FIELDS = frozenset({"proposal", "scan", "number", "point"})
IMAGE_FILE = "imageFile"
"""``frames=IMAGE_FILE``: the frames named by each scan's ``#C imageFile`` line."""
_IMAGE_FILE = re.compile(
    r"^imageFile\s+dir\[(?P<dir>[^\]]*)\]\s+prefix\[(?P<prefix>[^\]]*)\]\s+"
    r"(?:idxFmt\[(?P<fmt>[^\]]*)\]\s+)?nextNr\[(?P<next>[^\]]*)\]\s+suffix\[(?P<suffix>[^\]]*)\]"
)
HeaderReader = Callable[[Path], list[dict[str, Any]]]


@dataclass(frozen=True)
class ScanFrames:
    """A scan's frames, one per point, and what named them (for notes and messages)."""

    frames: tuple[Frame, ...]
    source: str
    hdf5: bool = False
    watched: tuple[Path, ...] = ()
    """Folders whose listing decides the frames (a new file there changes the scan)."""

    def missing(self) -> int:
        """Points whose file is not there."""
        return sum(1 for f in self.frames if not f.path.is_file())


def _fields(pattern: str) -> set[str]:
    try:
        return {f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None}
    except ValueError as exc:
        msg = f"frames pattern {pattern!r} is not a format string: {exc}"
        raise URLPatternError(msg) from None


def check_frames_pattern(pattern: str) -> str:
    """``pattern`` checked: ``imageFile``, or known fields only, with ``{point}`` (a file per
    point), ``{scan}``/``{number}`` (a file per scan) or ``*`` (files matched by header)."""
    if pattern == IMAGE_FILE:
        return pattern
    names = _fields(pattern)
    unknown = sorted(names - FIELDS)
    per_scan = bool(names & {"scan", "number"}) or "*" in pattern
    star_in_folder = "*" in pattern.rpartition("/")[0]
    if (
        unknown
        or star_in_folder
        or ("point" not in names and not per_scan)
        or ("point" in names and "*" in pattern)
    ):
        msg = (
            f"frames pattern {pattern!r}: fields must be among {sorted(FIELDS)} and include {{point}} "
            f"(a file per point), {{scan}} or {{number}} (a file per scan) or a '*' in the file "
            f"name (files matched by their scan_no/point_no headers), or be {IMAGE_FILE!r}; unknown: {unknown}"
        )
        raise URLPatternError(msg)
    return pattern


def image_file_line(comments: Sequence[str]) -> dict[str, str] | None:
    """The fields of a scan's ``#C imageFile`` comment, where it has one."""
    for comment in comments:
        found = _IMAGE_FILE.match(comment.strip())
        if found:
            return {k: v or "" for k, v in found.groupdict().items()}
    return None


def _is_hdf5(path: Path) -> bool:
    from nx5d_images.hdf5 import HDF5_SUFFIXES

    return path.suffix.lower() in HDF5_SUFFIXES


def scan_frames(
    pattern: str,
    *,
    folder: Path,
    proposal: str,
    scan: str,
    number: str,
    points: int,
    comments: Sequence[str],
    written_at: str | None,
    headers: HeaderReader,
) -> ScanFrames | None:
    """The frames of one scan of ``points`` points, or ``None`` where ``frames="imageFile"``
    and the scan has no such line. ``written_at`` is the file header's ``#F``; ``headers`` reads an
    image file's frame headers."""
    head = number.split(".")[0]
    numeric: Any = int(head) if head.isdigit() else head
    if pattern == IMAGE_FILE:
        line = image_file_line(comments)
        if line is None:
            return None
        return _from_image_file(line, folder=folder, points=points, written_at=written_at)
    names = _fields(pattern)
    values = {"proposal": proposal, "scan": scan, "number": numeric}
    if "point" in names:
        paths = [folder / pattern.format(**values, point=i) for i in range(points)]
        return ScanFrames(tuple(Frame(p) for p in paths), source=pattern)
    if "*" in pattern:
        return _by_header(folder / pattern.format(**values), numeric=numeric, points=points, headers=headers)  # fmt: skip
    path = folder / pattern.format(**values)
    return ScanFrames(tuple(Frame(path, i) for i in range(points)), source=pattern, hdf5=_is_hdf5(path))  # fmt: skip


def _image_folder(written: str, *, folder: Path, written_at: str | None) -> Path:
    """Where ``#C imageFile dir[written]`` is now: relative to the SPEC file's folder as it was
    relative to ``#F`` (data are copied), else as written."""
    where = PurePosixPath(written)
    if not where.is_absolute():
        return folder / where
    if written_at:
        was = PurePosixPath(written_at).parent
        moved = folder / os.path.normpath(os.path.relpath(where, was))
        if moved.is_dir() or not Path(written).is_dir():
            return moved
    return Path(written)


def _from_image_file(line: dict[str, str], *, folder: Path, points: int, written_at: str | None) -> ScanFrames:  # fmt: skip
    where = _image_folder(line["dir"], folder=folder, written_at=written_at)
    fmt = line["fmt"] or "%05d"
    first = int(line["next"])
    source = f"#C imageFile {line['dir']}/{line['prefix']}{fmt}{line['suffix']} from {first}"

    def name(n: int) -> Path:
        return where / f"{line['prefix']}{fmt % n}{line['suffix']}"

    paths = [name(first + i) for i in range(points)]
    if points > 1 and paths[0].is_file() and not paths[1].exists():
        # one multi-frame file for the scan (fast scans at ID01)
        return ScanFrames(tuple(Frame(paths[0], i) for i in range(points)), source=source, hdf5=_is_hdf5(paths[0]))  # fmt: skip
    return ScanFrames(tuple(Frame(p) for p in paths), source=source, watched=(where,))


def _int(value: Any) -> int | None:
    try:
        return int(float(str(value).strip()))
    except ValueError:
        return None


def _by_header(match: Path, *, numeric: Any, points: int, headers: HeaderReader) -> ScanFrames:
    found: dict[int, Frame] = {}
    for path in sorted(match.parent.glob(match.name)) if match.parent.is_dir() else []:
        if not path.is_file():
            continue
        for member, header in enumerate(headers(path)):
            if _int(header.get("scan_no")) == numeric and (point := _int(header.get("point_no"))) is not None:  # fmt: skip
                found.setdefault(point, Frame(path, member))
    absent = match.parent / f"(no image with scan_no={numeric})"
    frames = tuple(found.get(i, Frame(absent.with_name(f"(no image with scan_no={numeric} point_no={i})"))) for i in range(points))  # fmt: skip
    return ScanFrames(frames, source=f"{match} by scan_no/point_no", watched=(match.parent,))


def frames_variable(found: ScanFrames, *, guard: Any, lazy: bool, identities: dict[str, Any], name: str) -> Any:  # fmt: skip
    """The frames as an array (dask when ``lazy``)."""
    from nx5d_images.decode import decode
    from nx5d_images.hdf5 import decode_hdf5

    from nx5d_core.series import lazy_series, read_series, series_format

    frames = list(found.frames)
    fmt = series_format(frames, decode=decode_hdf5 if found.hdf5 else decode, guard=guard, workers=1 if lazy else 8)  # fmt: skip
    if lazy:
        return lazy_series(fmt, frames, identities=identities, chunk=16, name=name)
    images, _ = read_series(fmt, frames)
    return images
