"""A FIO scan's detector frames: ``<dir>/<scan>/<detector>/`` beside ``<dir>/<scan>.fio``.

PETRA III's online and Sardana write one folder per detector: Pilatus (and other TIFF or CBF
detectors) one file per point, ``<scan>_00000.tif`` upward; Lambda and Eiger NeXus files
``<scan>_00000.nxs`` (or ``.h5``) holding ``entry/instrument/detector/data`` (frames, y, x),
split over several files when long. A column ``<detector>_index`` (or ``<detector>index``), where
the scan has one, gives each point's frame; otherwise point *i* is frame *i*. A point whose
frame is not there raises :class:`~nx5d_core.errors.MissingFrameError` when read: never zeros.
Links out of a detector file (external links, virtual datasets) are not followed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from nx5d_images.hdf5 import HDF5_SUFFIXES, decode_hdf5, hdf5_frames

from nx5d_core.errors import FormatError
from nx5d_core.paths import RootGuard
from nx5d_core.series import Frame, FrameFile

__all__ = ["Detector", "decode_hdf5", "decode_image", "detectors", "hdf5_frames"]

_COUNTER = re.compile(r"^(?P<prefix>.*?)(?P<number>\d+)(?P<ext>\.[A-Za-z0-9]+)$")
_HDF5 = HDF5_SUFFIXES


@dataclass(frozen=True)
class Detector:
    """One detector's frames, one per point (``missing``: points whose frame is not there)."""

    name: str
    folder: Path
    frames: tuple[Frame, ...]
    missing: tuple[int, ...]
    hdf5: bool


def decode_image(stream: BinaryIO, *, member: int) -> np.ndarray:
    """A TIFF/CBF/EDF frame, through the images adapter's decoder (fabio, fast EDF)."""
    from nx5d_images.decode import decode

    return decode(stream, member=member)


def _index_column(data: dict[str, np.ndarray], name: str) -> np.ndarray | None:
    for key in (f"{name}_index", f"{name}index", f"{name.lower()}_index"):
        if key in data and data[key].dtype.kind in "iuf":
            return data[key]
    return None


def detectors(folder: Path, *, data: dict[str, np.ndarray], points: int, guard: RootGuard) -> list[Detector]:  # fmt: skip
    """The detectors in the scan's sibling ``folder`` (none when it does not exist)."""
    if not folder.is_dir():
        return []
    out = []
    for entry in sorted(guard.folder(folder).iterdir()):
        if not entry.is_dir() or entry.name.startswith("."):
            continue
        names = sorted(p.name for p in guard.folder(entry).iterdir() if p.is_file() and not p.name.startswith("."))  # fmt: skip
        if not names:
            continue
        index = _index_column(data, entry.name)
        if Path(names[0]).suffix.lower() in _HDF5:
            found = _hdf5_points(entry, names, index=index, points=points, guard=guard)
        else:
            found = _image_points(entry, names, index=index, points=points)
        frames, missing = found
        out.append(Detector(entry.name, entry, tuple(frames), tuple(missing), Path(names[0]).suffix.lower() in _HDF5))  # fmt: skip
    return out


def _wanted(index: np.ndarray | None, points: int, *, start: int) -> list[int]:
    if index is None:
        return [start + i for i in range(points)]
    return [int(v) for v in index[:points]]


def _image_points(folder: Path, names: list[str], *, index: np.ndarray | None, points: int) -> tuple[list[Frame], list[int]]:  # fmt: skip
    by_number: dict[int, str] = {}
    template = None
    for name in names:
        found = _COUNTER.match(name)
        if found:
            by_number.setdefault(int(found["number"]), name)
            template = template or found
    if template is None:
        msg = f"{folder}: no numbered frame files ({names[0]} ...)"
        raise FormatError(msg)
    digits = len(template["number"])
    frames, missing = [], []
    for point, number in enumerate(_wanted(index, points, start=min(by_number))):
        name = by_number.get(number) or f"{template['prefix']}{number:0{digits}d}{template['ext']}"
        if number not in by_number:
            missing.append(point)
        frames.append(Frame(folder / name))
    return frames, missing


def _hdf5_points(folder: Path, names: Sequence[str], *, index: np.ndarray | None, points: int, guard: RootGuard) -> tuple[list[Frame], list[int]]:  # fmt: skip
    layout: list[tuple[Path, int]] = []
    for name in names:
        with FrameFile(folder / name, guard=guard, what="a detector file") as stream:
            count = hdf5_frames(stream)
        layout.extend((folder / name, k) for k in range(count))
    frames, missing = [], []
    for point, number in enumerate(_wanted(index, points, start=0)):
        if 0 <= number < len(layout):
            path, member = layout[number]
            frames.append(Frame(path, member))
        else:
            missing.append(point)
            frames.append(Frame(folder / f"frame {number} (not written)", 0))
    return frames, missing
