"""PETRA III FIO files as a repository: a folder of ``.fio`` files is a proposal, each file a scan.

A scan's ``raw`` holds every ``%d`` column along ``point`` (the motors the ``%c`` scan command
moves as coordinates), the ``%p`` parameters and the command as metadata, and each detector of
the scan's sibling folder (:mod:`nx5d_fio.detectors`) as a variable ``(point, <det>_y, <det>_x)``;
``lazy()`` reads a detector's frames only when computed. The summary's time is the first point's
epoch column where the file has one, else the ``acquisition started at`` line read in
``timezone`` (PETRA III writes Hamburg local time), and it counts each detector's missing frames.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import xarray as xr
from pydantic import Field

from nx5d_core import Scan, ScanSummary, TimeZoneName
from nx5d_core.fingerprint import Fingerprint, fingerprint_files
from nx5d_core.folders import FolderProposal, FolderRepository
from nx5d_core.series import lazy_series, read_series, series_format

from . import about
from .detectors import Detector, decode_hdf5, decode_image, detectors
from .parser import FioFile, FioFormatError, parse_fio

__all__ = ["FioRepository", "FioScan"]

MAX_BYTES = 256 * 1024 * 1024
_EPOCH = ("unix time", "unix_time", "timestamp", "epoch")


class FioSummary(ScanSummary):
    """Summary of a FIO scan; ``missing_frames`` per detector, ``notes`` what was left out."""

    file: str = ""
    detectors: dict[str, int] = Field(default_factory=dict)
    missing_frames: dict[str, int] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)


class FioScan(Scan):
    """One ``.fio`` file and its detector folder."""

    proposal: FioProposal
    summary_model = FioSummary

    @property
    def file(self) -> Path:
        """The scan's FIO file."""
        pattern = self.repository.pattern
        assert pattern is not None
        return Path(pattern.format(proposal=self.proposal.key, scan=self.key).path)

    @property
    def frames_folder(self) -> Path:
        """The folder beside the file that holds the scan's detector folders."""
        return self.file.with_suffix("")

    def _parsed(self) -> FioFile:
        path = self.repository.guard.file(self.file, what="a FIO file")
        size = path.stat().st_size
        if size > MAX_BYTES:
            msg = f"{path}: {size} bytes is no FIO file (text of a few MB); not read"
            raise FioFormatError(msg)
        return parse_fio(path.read_text(encoding="utf-8", errors="replace"), where=str(path))

    def _detectors(self, parsed: FioFile) -> list[Detector]:
        return detectors(self.frames_folder, data=parsed.data, points=parsed.points, guard=self.repository.guard)  # fmt: skip

    def _fingerprint(self) -> Fingerprint:
        files: list[str | os.PathLike[str]] = [self.file, self.frames_folder]
        try:
            found = self._detectors(self._parsed())
        except (OSError, FioFormatError):
            found = []
        for det in found:
            files.append(det.folder)
            files.extend(dict.fromkeys(f.path for f in det.frames))
        return fingerprint_files(files)

    def _time(self, parsed: FioFile) -> tuple[datetime | None, str | None]:
        for name in _EPOCH:
            values = parsed.data.get(name)
            if values is not None and values.dtype.kind == "f" and values.size and values[0] > 1e8:
                return datetime.fromtimestamp(float(values[0]), tz=UTC), None
        text = parsed.started
        if text is None:
            return None, "no epoch column and no 'acquisition started at' line"
        try:
            local = datetime.strptime(" ".join(text.split()), "%a %b %d %H:%M:%S %Y")
        except ValueError:
            return None, f"start time {text!r} is not 'Thu Dec 12 18:00:00 2021'"
        return local.replace(tzinfo=ZoneInfo(self.proposal.repository.timezone)), None

    def _get_summary(self) -> FioSummary:
        parsed = self._parsed()
        when, note = self._time(parsed)
        found = self._detectors(parsed)
        words = parsed.command.split()
        return FioSummary(
            key=self.key,
            file=str(self.file),
            type=f"fio {words[0]}" if words else "fio",
            num_frames=parsed.points,
            time=when,
            description=parsed.command,
            detectors={d.name: len(d.frames) - len(d.missing) for d in found},
            missing_frames={d.name: len(d.missing) for d in found if d.missing},
            notes=[*parsed.notes, *([note] if note else [])],
        )

    def _get_metadata(self) -> dict[str, Any]:
        parsed = self._parsed()
        return {**parsed.parameters, "scan_command": parsed.command, "comments": "\n".join(parsed.comments)}  # fmt: skip

    def _columns(self, parsed: FioFile) -> tuple[dict[str, Any], dict[str, Any]]:
        moved = parsed.command.split()[1:]
        coords: dict[str, Any] = {}
        data_vars: dict[str, Any] = {}
        for name, values in parsed.data.items():
            scanned = any(name == m or name.startswith(m + "(") for m in moved)
            (coords if scanned else data_vars)[name] = ("point", values)
        return coords, data_vars

    def _dataset(self, parsed: FioFile, images: dict[str, Any]) -> xr.Dataset:
        coords, data_vars = self._columns(parsed)
        coords["point"] = np.arange(parsed.points)
        for name, array in images.items():
            data_vars[name] = (("point", f"{name}_y", f"{name}_x"), array, {"units": "counts", "nx5d_detector": name})  # fmt: skip
        attrs: dict[str, Any] = {"scan_command": parsed.command, "file": str(self.file)}
        if parsed.notes:
            attrs["nx5d_notes"] = list(parsed.notes)
        return xr.Dataset(data_vars, coords=coords, attrs=attrs)

    def _format(self, det: Detector, *, workers: int) -> Any:
        decode = decode_hdf5 if det.hdf5 else decode_image
        return series_format(det.frames, decode=decode, guard=self.repository.guard, workers=workers)  # fmt: skip

    def _get_raw(self) -> xr.Dataset:
        parsed = self._parsed()
        images = {}
        for det in self._detectors(parsed):
            fmt = self._format(det, workers=min(8, os.cpu_count() or 1))
            images[det.name], _ = read_series(fmt, det.frames)
        return self._dataset(parsed, images)

    def _get_lazy(self) -> xr.Dataset:
        parsed = self._parsed()
        known = self._seen.identities() if self._seen is not None else {}
        images = {}
        for det in self._detectors(parsed):
            fmt = self._format(det, workers=1)
            name = f"nx5d-fio-{self.file}-{det.name}"
            images[det.name] = lazy_series(fmt, det.frames, identities=known, chunk=16, name=name)
        return self._dataset(parsed, images)


class FioProposal(FolderProposal):
    """A folder of FIO files."""

    repository: FioRepository
    scan_class = FioScan


class FioRepository(FolderRepository, about=about):
    """FIO files: a folder of them, a folder of such folders, one file, or a pattern
    ``file:///d/{proposal}/{scan}.fio``.

    Parameters
    ----------
    timezone
        The zone of ``acquisition started at`` times (PETRA III: ``Europe/Berlin``).
    """

    proposal_class = FioProposal
    what = "FIO file"
    scan_suffix = ".fio"
    is_member = staticmethod(about.is_fio)

    def __init__(
        self,
        url: str,
        *,
        timezone: TimeZoneName = "Europe/Berlin",
    ) -> None:
        super().__init__(url)
        self.timezone = timezone
