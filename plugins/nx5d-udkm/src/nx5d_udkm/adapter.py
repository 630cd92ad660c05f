"""UDKM repositories: ``{root}/{proposal}/{scan}/`` with manifest.dat, image#####.tiff, parameters.txt."""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterable
from datetime import datetime
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
from nx5d_recipes.rsm_model import UDKM_RSM_DEFAULTS
from pydantic import Field

from nx5d_core import (
    FileRepository,
    KeyPattern,
    Proposal,
    Scan,
    ScanSummary,
    SpiceStore,
    SpiceView,
)
from nx5d_core.caching import DROP
from nx5d_core.errors import SpecialFileError
from nx5d_core.fingerprint import MISSING, Fingerprint, fingerprint_files, fingerprint_names
from nx5d_core.logs import quiet_repeats
from nx5d_core.paths import FileIdentity, describe_mode, file_identity
from nx5d_core.scan import SNAPSHOT

from . import about
from .errors import (
    CorruptFrameError,
    FrameCountError,
    ManifestError,
    MissingFrameError,
    UdkmFormatError,
)
from .frames import FrameReader, FrameStack
from .manifest import Manifest, parse_manifest, read_manifest
from .params import parse_parameters, read_parameters

if TYPE_CHECKING:
    import xarray as xr

    from .remote import RemoteFolder

__all__ = ["UdkmProposal", "UdkmRepository", "UdkmScan", "UdkmSummary"]
logger = quiet_repeats(logging.getLogger(__name__))  # warnings given per scan

_IMAGE = re.compile(r"image(\d+)\.tiff?\Z")
Roi = tuple[int, int, int, int]


def check_roi(roi: Roi | None, shape: tuple[int, int] | None = None) -> Roi | None:
    """``roi`` if it is a non-empty region (inside ``shape`` when given), else ``ValueError``."""
    if roi is None:
        return None
    values = tuple(roi)
    if len(values) != 4 or not all(isinstance(v, int | np.integer) for v in values):
        msg = f"roi must be four integers (row_start, row_stop, col_start, col_stop), got {roi!r}"
        raise ValueError(msg)
    r0, r1, c0, c1 = (int(v) for v in values)
    if not (0 <= r0 < r1 and 0 <= c0 < c1):
        msg = f"roi {roi!r} is empty or inverted: need 0 <= row_start < row_stop and 0 <= col_start < col_stop"
        raise ValueError(msg)
    if shape is not None and (r1 > shape[0] or c1 > shape[1]):
        msg = f"roi {roi!r} reaches beyond the detector's {shape[0]}x{shape[1]} pixels"
        raise ValueError(msg)
    return (r0, r1, c0, c1)


def folder_pattern(url: str) -> str:
    """The manifest pattern for a root, a folder pattern (``.../{proposal}/{scan}[/]``) or a
    full pattern (``.../{proposal}/{scan}/manifest.dat``)."""
    if "{scan}" not in url:
        return url.rstrip("/") + "/{proposal}/{scan}/manifest.dat"
    if url.rstrip("/").endswith("{scan}"):
        return url.rstrip("/") + "/manifest.dat"
    return url


class UdkmSummary(ScanSummary):
    """UDKM summary: delays and Theta range from the manifest, time and text from parameters.txt."""

    delays: int = 0
    theta_min: float | None = None
    theta_max: float | None = None
    folder: str = ""
    missing: list[str] = Field(default_factory=list)


class UdkmRepository(FileRepository):
    """A UDKM data folder.

    Parameters
    ----------
    url
        The root folder (path or ``file://`` URL), or a full pattern ending in
        ``{proposal}/{scan}/manifest.dat``.
    reduce
        Keep every ``reduce``-th pixel in both directions in ``raw`` and ``lazy()`` (the seed's ``reduce``).
    roi
        ``(row_start, row_stop, col_start, col_stop)`` detector region kept in ``raw`` and ``lazy()``.
    timezone
        Time zone of times given without one (scan keys are local times).
    workers
        Reader threads (default: all cores).
    progress
        Progress bar while reading frames: ``None`` shows it for reads that take more than about a
        second, ``True`` from the start, ``False`` never. It is never shown when not interactive.
    block_frames
        Frames gridded at a time by the RSM cook (memory against speed; not part of the result).
    allow_outside
        Folders outside the root that symlinked files may lead to (see :class:`nx5d_core.Repository`).
    """

    data_options = ("reduce", "roi")
    name = about.NAME
    description = about.DESCRIPTION
    url_patterns = about.URL_PATTERNS
    version = about.VERSION

    def __init__(
        self,
        url: str,
        *,
        spice: SpiceStore | str | os.PathLike[str] | None = None,
        reduce: int = 1,
        roi: Roi | None = None,
        timezone: str = "Europe/Berlin",
        workers: int | None = None,
        progress: bool | None = None,
        block_frames: int = 64,
        allow_outside: Iterable[str | os.PathLike[str]] = (),
    ) -> None:
        super().__init__(url, spice=spice, allow_outside=allow_outside)
        self.progress = progress
        if block_frames < 1:
            msg = f"block_frames must be >= 1, got {block_frames}"
            raise ValueError(msg)
        self.block_frames = block_frames
        if reduce < 1:
            msg = f"reduce must be >= 1, got {reduce}"
            raise ValueError(msg)
        self.reduce = reduce
        self.roi = check_roi(roi)
        self.timezone = ZoneInfo(timezone)
        self.workers = workers
        self.pattern = KeyPattern.parse(folder_pattern(url))

    @classmethod
    def guess_can_open(cls, url: str) -> bool:
        """See :func:`nx5d_udkm.about.guess_can_open`."""
        return about.guess_can_open(url)


class UdkmProposal(Proposal):
    """A proposal folder; scans in natural order of their folder names (times)."""

    repository: UdkmRepository


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
        try:
            naive = datetime.strptime(self.proposal.key + self.key, "%Y%m%d%H%M%S")
        except ValueError:
            return None
        return naive.replace(tzinfo=self.options.timezone)

    def _get_summary(self) -> UdkmSummary:
        manifest = self.manifest
        missing: list[str] = []
        try:
            params = self._parameters()
        except SpecialFileError:
            raise
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            params = {}
            missing.append(f"parameters.txt: {exc}")
            logger.warning(
                "scan %s: parameters.txt unreadable (%s); summary uses the manifest and keys",
                self.key,
                exc,
            )
        time: datetime | None = None
        if "start_time" in params:
            try:
                time = datetime.fromisoformat(params["start_time"])
                if time.tzinfo is None:
                    time = time.replace(tzinfo=self.options.timezone)
            except ValueError:
                missing.append(
                    f"parameters.txt: start_time {params['start_time']!r} is not an ISO time"
                )
        if time is None:
            time = self._key_time()
            if time is None:
                missing.append(
                    "time: no start_time in parameters.txt and the keys are not YYYYMMDD/HHMMSS"
                )
        theta = manifest.column("Theta") if manifest.has("Theta") else None
        delays = manifest.column("Delay") if manifest.has("Delay") else None
        kind = params.get("type") or (
            "delay-theta" if delays is not None and theta is not None else "scan"
        )
        return UdkmSummary(
            key=self.key,
            type=kind,
            num_frames=manifest.num_rows,
            time=time,
            description=params.get("description", ""),
            delays=0 if delays is None else int(np.unique(delays).size),
            theta_min=None if theta is None else float(theta.min()),
            theta_max=None if theta is None else float(theta.max()),
            folder=str(self.folder),
            missing=missing,
        )

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
        """The frame names of every manifest row, checked against one listing of the folder."""
        names = [f"image{n:05d}.tiff" for n in self.image_numbers()]
        on_store = {n for n in remote.listing() if _IMAGE.match(n)}
        if on_store != set(names):
            absent = sorted(set(names) - on_store)
            extra = sorted(on_store - set(names))
            msg = (
                f"{remote.url('')}: manifest.dat has {len(names)} rows but the folder has "
                f"{len(on_store)} image files; missing: {absent[:3]}; not in the manifest: {extra[:3]}"
            )
            error = (
                MissingFrameError if absent and not extra and len(absent) == 1 else FrameCountError
            )
            raise error(msg)
        return names

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
            on_disk = {e.name: e for e in entries if _IMAGE.match(e.name)}
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
        from nx5d_core.progress import progress_bar

        from .remote import decode_frame

        names = self._remote_names(remote)
        before = remote.fingerprint(self._fingerprint_names())
        shape = decode_frame(remote.read(names[0]), where=remote.url(names[0])).shape
        rows, cols = self._selection(reduce, roi)
        check_roi(roi or self.options.roi, shape)
        with progress_bar(
            total=len(names),
            unit="frame",
            desc=f"{self.proposal.key}/{self.key}",
            show=self.options.progress,
        ) as bar:
            images = remote.read_frames(names, rows=rows, cols=cols, progress=bar.update)
        self._observed = before  # compared with a fingerprint after the read, as for files
        return self._dataset(images, rows, cols, shape)

    def _lazy_remote(self, remote: RemoteFolder, chunk: int) -> xr.Dataset:
        import dask.array as da
        from dask.delayed import delayed

        from .remote import decode_frame

        names = self._remote_names(remote)
        first = decode_frame(remote.read(names[0]), where=remote.url(names[0]))
        rows, cols = self._selection(None, None)
        check_roi(self.options.roi, first.shape)
        sliced = first[rows, cols].shape
        planned = remote.fingerprint(
            names
        ).identities()  # each block checks these: never mixed frames
        blocks = [
            da.from_delayed(  # type: ignore[no-untyped-call]
                delayed(remote.read_frames)(
                    names[i : i + chunk],
                    rows=rows,
                    cols=cols,
                    expect={n: planned[n] for n in names[i : i + chunk]},
                ),
                shape=(len(names[i : i + chunk]), *sliced),
                dtype=first.dtype,
            )
            for i in range(0, len(names), chunk)
        ]
        return self._dataset(da.concatenate(blocks), rows, cols, first.shape)  # type: ignore[no-untyped-call]

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


UdkmRepository.proposal_class = UdkmProposal
UdkmProposal.scan_class = UdkmScan
