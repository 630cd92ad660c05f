"""UDKM repositories: ``{root}/{proposal}/{scan}/`` with manifest.dat, image#####.tiff, parameters.txt."""

from __future__ import annotations

import contextlib
import logging
import os
from datetime import datetime
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, BinaryIO

from nx5d_core.caching import DROP
from nx5d_core.errors import SpecialFileError
from nx5d_core.exports import LazyMapping
from nx5d_core.fingerprint import (
    MISSING,
    Fingerprint,
    fingerprint_files,
    fingerprint_names,
    identity_now,
)
from nx5d_core.logs import quiet_repeats
from nx5d_core.paths import FileIdentity, describe_mode
from nx5d_core.series import Frame, FrameSeriesScan

from .errors import (
    CorruptFrameError,
    FrameCountError,
    ManifestError,
    MissingFrameError,
    UdkmFormatError,
)
from .layout import IMAGE, Roi, check_roi
from .manifest import Manifest, parse_manifest, read_manifest
from .params import parse_parameters, read_parameters
from .remote_scan import remote_names
from .scan_summary import UdkmSummary, key_time, scan_summary

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    import xarray as xr

    from nx5d_core import SpiceView
    from nx5d_core.frames import FrameFormat
    from nx5d_core.remote_folder import RemoteFolder

    from .repository import UdkmProposal

__all__ = ["UdkmScan", "UdkmSummary", "folder_of", "summary_files"]
logger = quiet_repeats(logging.getLogger(__name__))  # warnings given per scan


def folder_of(manifest: str) -> str:
    """The folder of a scan from the path of its manifest (the pattern's path), as text: one per
    listed scan, no Path objects."""
    return manifest.rpartition("/")[0] or "/"


def summary_files(folder: str) -> tuple[str, str]:
    """The files a scan's summary is read from (its fingerprint for the summary index)."""
    return (f"{folder}/manifest.dat", f"{folder}/parameters.txt")


class UdkmScan(FrameSeriesScan):
    """One scan folder: a frame series whose frames and per-frame values the manifest lists."""

    proposal: UdkmProposal
    summary_model = UdkmSummary
    image_attrs = MappingProxyType({"units": "counts", "bad_pixel_values": [-2, -1]})

    @cached_property
    def folder(self) -> Path:
        """The scan's folder."""
        return Path(self._folder_text)

    @cached_property
    def _folder_text(self) -> str:
        pattern = self.proposal.repository.pattern
        return folder_of(pattern.format(proposal=self.proposal.key, scan=self.key).path)

    @cached_property
    def _remote(self) -> RemoteFolder | None:
        """The scan folder on a remote file system (S3, HTTP...), or ``None`` when local."""
        pattern = self.proposal.repository.pattern
        if pattern.is_local:
            return None
        from nx5d_core.remote_folder import RemoteFolder

        return RemoteFolder(pattern.fs, self._folder_text)

    @cached_property
    def manifest(self) -> Manifest:
        """The parsed manifest.dat (cached)."""
        remote = self._remote
        if remote is not None:
            url = remote.url("manifest.dat")
            try:
                raw = remote.read("manifest.dat")
            except FileNotFoundError:
                msg = f"manifest not found: {url}"
                raise ManifestError(msg) from None
            identity = remote.listing().get("manifest.dat", MISSING)
            return parse_manifest(raw, path=Path(url), identity=identity)
        guard = self.proposal.repository.guard
        return read_manifest(guard.file(self.folder / "manifest.dat", what="the manifest"))

    def _parameters(self) -> dict[str, str]:
        """parameters.txt, local or remote (errors name the file)."""
        remote = self._remote
        if remote is not None:
            url = remote.url("parameters.txt")
            return parse_parameters(remote.read("parameters.txt"), path=url)
        path = self.proposal.repository.guard.file(
            self.folder / "parameters.txt", what="parameters.txt"
        )
        return read_parameters(path)

    _observes_reads = True  # read() records every file's identity as it reads it

    def _fingerprint_names(self) -> list[str]:
        names = ["manifest.dat", "parameters.txt"]
        with contextlib.suppress(UdkmFormatError, OSError):  # a broken manifest raises on read
            names += [f"image{n:05d}.tiff" for n in self.image_numbers()]
        return names

    def _fingerprint(self) -> Fingerprint:
        if self._remote is not None:
            return self._remote.fingerprint(self._fingerprint_names())
        folder = self.proposal.repository.guard.folder(self.folder)
        return fingerprint_names(folder, self._fingerprint_names())

    def _summary_fingerprint(self) -> Fingerprint:
        # the summary reads the manifest and parameters.txt only: two stats per listed scan
        if self._remote is not None:
            return self._remote.fingerprint(["manifest.dat", "parameters.txt"])
        return fingerprint_files(summary_files(self._folder_text))

    _caches = {"manifest": DROP, "_remote": DROP}  # noqa: RUF012 - the cached_property, with the base's caches

    # -- summary -----------------------------------------------------------------------
    def _key_time(self) -> datetime | None:
        return key_time(self)

    def _get_summary(self) -> UdkmSummary:
        return scan_summary(self)

    def _get_metadata(self) -> dict[str, Any]:
        """parameters.txt (``parameters/<key>``, text as written) and the manifest's columns."""
        out: dict[str, Any] = {"folder": str(self.folder)}
        out.update({f"parameters/{k}": v for k, v in self._parameters().items()})
        manifest = self.manifest
        out["manifest/columns"] = [c.header for c in manifest.columns]
        out["manifest/rows"] = manifest.num_rows
        return out

    # -- frames ------------------------------------------------------------------------
    def image_numbers(self) -> np.ndarray:
        """The manifest's ``ImageNumber`` column as integers (else 0, 1, ...), checked."""
        import numpy as np

        manifest = self.manifest
        if not manifest.has("ImageNumber"):
            return np.arange(manifest.num_rows)
        column = manifest.column("ImageNumber")
        bad = np.flatnonzero(~np.isfinite(column) | (column != np.round(column)) | (column < 0))
        if bad.size:
            msg = (
                f"{manifest.path}: line {bad[0] + 2}: ImageNumber {float(column[bad[0]])} is not a "
                "non-negative whole number"
            )
            raise ManifestError(msg)
        numbers = column.astype(np.int64)
        unique, counts = np.unique(numbers, return_counts=True)
        if unique.size != numbers.size:
            dupe = int(unique[counts > 1][0])
            lines = [int(i) + 2 for i in np.flatnonzero(numbers == dupe)]
            msg = f"{manifest.path}: lines {lines}: ImageNumber {dupe} appears more than once"
            raise ManifestError(msg)
        return numbers

    def image_paths(self) -> list[Path]:
        """The image file of every manifest row (by ``ImageNumber``, else by row) whose frame is
        on disk, after checking the folder (see :meth:`_frames_and_pending`)."""
        return self._checked_paths()[0]

    def _checked_paths(self) -> tuple[list[Path], list[Path]]:
        """The frames on disk and the last rows' frames not written yet, after checking the folder.

        Every file must be a regular file inside the repository root (symlinks are followed only
        inside it); a folder or FIFO named like a frame is an error naming it. Only the last rows'
        frames may be missing (a scan being acquired or copied in); a gap is an error.
        """
        guard = self.proposal.repository.guard
        shown = self.folder
        folder = guard.folder(shown)
        paths = [shown / f"image{n:05d}.tiff" for n in self.image_numbers()]
        with os.scandir(folder) as entries:
            on_disk = {e.name: e for e in entries if IMAGE.match(e.name)}
        expected = {p.name for p in paths}
        not_yet: list[Path] = []
        present = [p.name in on_disk for p in paths]
        if on_disk.keys() < expected and present[0] and present == sorted(present, reverse=True):
            k = present.index(False)
            paths, not_yet = paths[:k], paths[k:]
            expected = {p.name for p in paths}
        if on_disk.keys() != expected:
            absent = sorted(expected - on_disk.keys())
            extra = sorted(on_disk.keys() - expected)
            detail = []
            if absent:
                detail.append(
                    f"missing: {', '.join(absent[:3])}{' ...' if len(absent) > 3 else ''}"
                )
            if extra:
                detail.append(
                    f"not in the manifest: {', '.join(extra[:3])}{' ...' if len(extra) > 3 else ''}"
                )
            error = (
                MissingFrameError if absent and not extra and len(absent) == 1 else FrameCountError
            )
            msg = f"{shown}: manifest.dat has {len(paths)} rows but the folder has {len(on_disk)} image files; {'; '.join(detail)}"
            raise error(msg)
        for index, path in enumerate(paths):
            entry = on_disk[path.name]
            if entry.is_symlink():
                guard.file(path, what=f"frame {index}")
            elif not entry.is_file():
                kind = describe_mode(entry.stat().st_mode)
                msg = f"frame {index}: {path} is {kind}, not an image file; refused"
                raise (UdkmFormatError if entry.is_dir() else SpecialFileError)(msg)
        return paths, not_yet

    # -- the frame series ------------------------------------------------------------------
    def _frames(self) -> list[Frame]:
        return self._frames_and_pending()[0]  # local or remote

    def _frames_and_pending(self) -> tuple[list[Frame], list[Frame]]:
        if self._remote is not None:  # every row's frame must be listed there
            return [Frame(self.folder / n) for n in remote_names(self, self._remote)], []
        paths, not_yet = self._checked_paths()
        return [Frame(p) for p in paths], [Frame(p) for p in not_yet]

    def _remote_folder(self, fs: Any, frames: Sequence[Frame]) -> RemoteFolder:
        assert self._remote is not None  # only asked for when the repository is remote
        return self._remote

    @staticmethod
    def decode_frame(stream: BinaryIO, *, member: int) -> np.ndarray:
        """One single-page TIFF (the remote reads; local ones use :class:`FrameReader`)."""
        import tifffile

        try:
            with tifffile.TiffFile(stream) as tif:
                if len(tif.pages) != 1:
                    msg = f"{len(tif.pages)} pages; one frame per file is expected"
                    raise CorruptFrameError(msg)
                return tif.pages[0].asarray()
        except (tifffile.TiffFileError, ValueError, EOFError) as exc:
            msg = f"not a readable TIFF frame: {exc}"
            raise CorruptFrameError(msg) from None

    def _format(self, frames: Sequence[Frame], *, workers: int) -> FrameFormat:
        from .frames import FrameReader

        return FrameReader.from_first(frames[0].path, workers=workers)  # reads into the buffer

    def _file_key(self, path: Path) -> str:
        return path.name  # as _fingerprint names the scan folder's files

    def _extra_files(self) -> list[Path]:
        return [self.folder / "manifest.dat", self.folder / "parameters.txt"]

    def _extra_observed(self) -> list[tuple[str, FileIdentity]]:
        # the manifest as it was parsed (the frames and values come from that text)
        return [("manifest.dat", self.manifest.identity), ("parameters.txt", identity_now(self.folder / "parameters.txt"))]  # fmt: skip

    def _selection(self, reduce: int | None = None, roi: Roi | None = None) -> tuple[slice, slice]:
        options = self.options
        step = reduce or options.reduce
        r0, r1, c0, c1 = check_roi(roi if roi is not None else options.roi) or (None,) * 4
        return slice(r0, r1, step), slice(c0, c1, step)

    def _frame_values(self, frames: Sequence[Frame]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The manifest's columns along ``frame`` (Delay and Theta as coordinates)."""
        n = len(frames)  # fewer than the manifest's rows while frames are still coming
        coords: dict[str, Any] = {}
        data_vars: dict[str, Any] = {}
        manifest = self.manifest
        for i, col in enumerate(manifest.columns):
            unit = col.unit or {"Delay": "ps", "Theta": "deg"}.get(col.name, "")
            attrs = {"units": unit, "long_name": col.header} if unit else {"long_name": col.header}
            (coords if col.name in {"Delay", "Theta"} else data_vars)[col.name] = ("frame", manifest.values[:n, i], attrs)  # fmt: skip
        return coords, data_vars

    def _series_attrs(self) -> dict[str, Any]:
        return {"folder": str(self.folder)}

    def read(self, *, reduce: int | None = None, roi: Roi | None = None) -> xr.Dataset:
        """Read the scan now, keeping only every ``reduce``-th pixel inside ``roi`` (not cached)."""
        return self._read_now(*self._selection(reduce, roi))

    # -- cook --------------------------------------------------------------------------
    default_recipe = "rsm"
    recipe_defaults = MappingProxyType(
        {"rsm": LazyMapping("nx5d_recipes.rsm_model:UDKM_RSM_DEFAULTS")}
    )

    def _run_recipe(self, name: str, *, raw: xr.Dataset, view: SpiceView) -> xr.Dataset:
        from nx5d_core.recipes import run_recipe

        tuning = {"block_frames": self.options.block_frames} if name == "rsm" else {}
        return run_recipe(
            name, raw=raw, view=view, defaults=self.recipe_defaults.get(name), **tuning
        )
