"""UDKM repositories: ``{root}/{proposal}/{scan}/`` with manifest.dat, image#####.tiff, parameters.txt."""

from __future__ import annotations

import contextlib
import logging
import os
from datetime import datetime
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
from nx5d_recipes.rsm_model import UDKM_RSM_DEFAULTS

from nx5d_core import (
    Scan,
    SpiceView,
)
from nx5d_core.caching import DROP
from nx5d_core.errors import SpecialFileError
from nx5d_core.fingerprint import MISSING, Fingerprint, fingerprint_files, fingerprint_names
from nx5d_core.logs import quiet_repeats
from nx5d_core.paths import FileIdentity, describe_mode, file_identity
from nx5d_core.scan import SNAPSHOT

from .errors import (
    CorruptFrameError,
    FrameCountError,
    ManifestError,
    MissingFrameError,
    UdkmFormatError,
)
from .frames import FrameReader, FrameStack
from .layout import IMAGE, Roi, check_roi
from .manifest import Manifest, parse_manifest, read_manifest
from .params import parse_parameters, read_parameters
from .remote_scan import lazy_remote, read_remote, remote_names
from .scan_summary import UdkmSummary, key_time, scan_summary

if TYPE_CHECKING:
    import xarray as xr

    from .remote import RemoteFolder
    from .repository import UdkmProposal

__all__ = ["UdkmScan", "UdkmSummary"]
logger = quiet_repeats(logging.getLogger(__name__))  # warnings given per scan


class UdkmScan(Scan):
    """One scan folder."""

    proposal: UdkmProposal
    summary_model = UdkmSummary
    _not_yet: tuple[Path, ...] = ()
    """Frames of the manifest's last rows not on disk yet, at the last read (left out)."""

    @cached_property
    def folder(self) -> Path:
        """The scan's folder."""
        return Path(self._folder_text)

    @cached_property
    def _folder_text(self) -> str:
        pattern = self.proposal.repository.pattern
        path = pattern.format(proposal=self.proposal.key, scan=self.key).path
        return path.rpartition("/")[0] or "/"  # str, not Path: one per listed scan, kept cheap

    @cached_property
    def _remote(self) -> RemoteFolder | None:
        """The scan folder on a remote file system (S3, HTTP...), or ``None`` when local."""
        pattern = self.proposal.repository.pattern
        if pattern.is_local:
            return None
        from .remote import RemoteFolder

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
        folder = self._folder_text
        return fingerprint_files([f"{folder}/manifest.dat", f"{folder}/parameters.txt"])

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

    def _remote_names(self, remote: RemoteFolder) -> list[str]:
        return remote_names(self, remote)

    def image_paths(self) -> list[Path]:
        """The image file of every manifest row (by ``ImageNumber``, else by row), after checking the folder.

        Every file must be a regular file inside the repository root (symlinks are followed only
        inside it); a folder or FIFO named like a frame is an error naming it.
        """
        guard = self.proposal.repository.guard
        shown = self.folder
        folder = guard.folder(shown)
        paths = [shown / f"image{n:05d}.tiff" for n in self.image_numbers()]
        with os.scandir(folder) as entries:
            on_disk = {e.name: e for e in entries if IMAGE.match(e.name)}
        expected = {p.name for p in paths}
        self._not_yet = ()
        present = [p.name in on_disk for p in paths]
        if on_disk.keys() < expected and present[0] and present == sorted(present, reverse=True):
            # the last rows' frames are not on disk yet (a scan being acquired or copied in):
            # the complete points are the scan so far; the others are said and read once there
            k = present.index(False)
            self._not_yet = tuple(paths[k:])
            paths = paths[:k]
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
        return paths

    def _selection(self, reduce: int | None, roi: Roi | None) -> tuple[slice, slice]:
        options = self.options
        step = reduce or options.reduce
        region = roi if roi is not None else options.roi
        r0, r1, c0, c1 = check_roi(region) or (None, None, None, None)
        return slice(r0, r1, step), slice(c0, c1, step)

    def _dataset(self, images: Any, rows: slice, cols: slice, shape: tuple[int, int]) -> xr.Dataset:
        import xarray as xr

        manifest = self.manifest
        n = int(images.shape[0])  # fewer than the manifest's rows while frames are still coming
        coords: dict[str, Any] = {
            "frame": np.arange(n),
            "y": np.arange(shape[0])[rows],
            "x": np.arange(shape[1])[cols],
        }
        data_vars: dict[str, Any] = {}
        for i, col in enumerate(manifest.columns):
            unit = col.unit or {"Delay": "ps", "Theta": "deg"}.get(col.name, "")
            var = (
                "frame",
                manifest.values[:n, i],
                {"units": unit, "long_name": col.header} if unit else {"long_name": col.header},
            )
            (coords if col.name in {"Delay", "Theta"} else data_vars)[col.name] = var
        data_vars["images"] = (
            ("frame", "y", "x"),
            images,
            {"units": "counts", "bad_pixel_values": [-2, -1]},
        )
        attrs: dict[str, Any] = {"proposal": self.proposal.key, "scan": self.key, "folder": str(self.folder)}  # fmt: skip
        if n < manifest.num_rows:
            attrs["nx5d_incomplete"] = (
                f"{manifest.num_rows - n} of {manifest.num_rows} manifest rows left out: their "
                f"frames ({self._not_yet[0].name} on) are not on disk yet"
            )
        return xr.Dataset(data_vars, coords=coords, attrs=attrs)

    def _read_remote(self, remote: RemoteFolder, reduce: int | None, roi: Roi | None) -> xr.Dataset:
        return read_remote(self, remote, reduce, roi)

    def _lazy_remote(self, remote: RemoteFolder, chunk: int) -> xr.Dataset:
        return lazy_remote(self, remote, chunk)

    def read(self, *, reduce: int | None = None, roi: Roi | None = None) -> xr.Dataset:
        """Read the scan now, keeping only every ``reduce``-th pixel inside ``roi`` (not cached)."""
        from nx5d_core.progress import progress_bar

        if self._remote is not None:
            return self._read_remote(self._remote, reduce, roi)

        params = self.folder / "parameters.txt"
        try:
            params_identity = file_identity(params.stat())
        except OSError:
            params_identity = MISSING
        paths = self.image_paths()
        reader = FrameReader.from_first(paths[0], workers=self.options.workers)
        rows, cols = self._selection(reduce, roi)
        check_roi(roi or self.options.roi, reader.template.shape)
        seen: list[FileIdentity | None] = [None] * len(paths)
        progress = self.options.progress
        with progress_bar(
            total=len(paths), unit="frame", desc=f"{self.proposal.key}/{self.key}", show=progress
        ) as bar:
            try:
                images = reader.read(paths, rows=rows, cols=cols, progress=bar.update, seen=seen)
            except CorruptFrameError as exc:
                if not self._not_yet or len(paths) < 2 or str(paths[-1]) not in str(exc):
                    raise
                # the newest frame, the later ones not there yet: still being written
                self._not_yet = (paths[-1], *self._not_yet)
                paths, seen = paths[:-1], seen[:-1]
                images = reader.read(paths, rows=rows, cols=cols, progress=bar.update, seen=seen)
        observed = [
            ("manifest.dat", self.manifest.identity),
            ("parameters.txt", params_identity),
            *((p.name, identity or MISSING) for p, identity in zip(paths, seen, strict=True)),
            # never equal to a real identity: while frames are missing, each access reads again
            # (a frame arriving just before this line must not make the short read look whole)
            *((p.name, NOT_READ) for p in self._not_yet),
        ]
        self._observed = Fingerprint(tuple(observed))
        dataset = self._dataset(images, rows, cols, reader.template.shape)
        if self._not_yet and all(
            identity is not None and _identity_now(p) == identity
            for p, identity in zip(paths, seen, strict=True)
        ):  # every frame read is as it was read: frames arriving meanwhile do not spoil the read
            dataset.attrs[SNAPSHOT] = "read while frames were arriving: the complete frames so far"
        return dataset

    def _get_raw(self) -> xr.Dataset:
        return self.read()

    def _get_lazy(self, *, chunk: int = 64) -> xr.Dataset:
        import dask.array as da

        if self._remote is not None:  # small blocks: one frame costs a few requests, not 64
            return self._lazy_remote(self._remote, min(chunk, 8))
        paths = self.image_paths()
        reader = FrameReader.from_first(paths[0], workers=1)
        rows, cols = self._selection(None, None)
        check_roi(self.options.roi, reader.template.shape)
        files = self._seen.identities() if self._seen is not None else None
        identities = None if files is None else [files.get(p.name) for p in paths]
        stack = FrameStack(paths, reader, rows=rows, cols=cols, identities=identities)
        images = da.from_array(  # type: ignore[no-untyped-call]
            stack,
            chunks=(chunk, *stack.shape[1:]),
            name=f"udkm-{self.folder}-{rows}-{cols}",
            meta=np.empty((0, 0, 0), stack.dtype),
        )
        return self._dataset(images, rows, cols, reader.template.shape)

    # -- cook --------------------------------------------------------------------------
    default_recipe = "rsm"
    recipe_defaults = MappingProxyType({"rsm": UDKM_RSM_DEFAULTS})

    def _run_recipe(self, name: str, *, raw: xr.Dataset, view: SpiceView) -> xr.Dataset:
        from nx5d_core.recipes import run_recipe

        tuning = {"block_frames": self.options.block_frames} if name == "rsm" else {}
        return run_recipe(
            name, raw=raw, view=view, defaults=self.recipe_defaults.get(name), **tuning
        )


NOT_READ: FileIdentity = (-1, -1, -1, -1)
"""The identity recorded for a frame left out of a read (not there yet, or half written)."""


def _identity_now(path: Path) -> FileIdentity:
    try:
        return file_identity(path.stat())
    except OSError:
        return MISSING
