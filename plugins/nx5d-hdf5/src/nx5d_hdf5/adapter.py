"""HDF5 / NeXus repositories: a file per scan, or scans as entries (groups) inside files."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import h5py
from pydantic import Field

from nx5d_core import (
    FileRepository,
    KeyPattern,
    Proposal,
    Scan,
    ScanSummary,
    TimeZoneName,
    URLPatternError,
)
from nx5d_core.errors import KeyNotFoundError
from nx5d_core.fingerprint import Fingerprint, fingerprint_files
from nx5d_core.keys import valid_keys
from nx5d_core.paths import RootGuard
from nx5d_core.scan import SNAPSHOT

from . import about
from .errors import Hdf5BusyError, Hdf5FormatError
from .groups import entry_group
from .h5io import inspect_link, open_file, open_path, read_dataset, walk_to
from .pointing import HDF5_SUFFIX as _SUFFIX
from .pointing import point_at
from .summary import read_metadata, summary_fields
from .tree import Links, class_paths, nx_class

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["Hdf5Proposal", "Hdf5Repository", "Hdf5Scan", "Hdf5Summary"]
logger = logging.getLogger(__name__)


SWMR_ATTEMPTS = 10


def growing_together(group: h5py.Group) -> bool:
    """Whether the datasets of ``group`` a SWMR writer grows (unlimited first dimension) have
    one length: a writer flushes one after the other, so a read between two flushes would give
    a signal one point longer than its axis."""
    lengths = set()

    def visit(_: str, obj: object) -> None:
        if isinstance(obj, h5py.Dataset) and obj.maxshape and obj.maxshape[0] is None and obj.ndim:
            lengths.add(obj.shape[0])

    group.visititems(visit)
    return len(lengths) <= 1


class Hdf5Summary(ScanSummary):
    """Summary from NeXus metadata; ``notes`` say what was missing or assumed."""

    file: str = ""
    entry: str = ""
    definition: str | None = None
    end_time: Any = None
    program_name: str | None = None
    scan_command: str | None = None
    signal_shape: list[int] | None = None
    dangling_links: list[str] = Field(default_factory=list)
    unwritten_frames: int = 0
    """Frames the signal declares whose storage was never written (see ``notes``)."""
    notes: list[str] = Field(default_factory=list)


class Hdf5Scan(Scan):
    """One scan: a file, or a group inside a file."""

    proposal: Hdf5Proposal
    summary_model = Hdf5Summary

    @property
    def file(self) -> Path:
        """The HDF5 file."""
        return Path(
            self.proposal.repository.pattern.format(proposal=self.proposal.key, scan=self.key).path
        )

    @property
    def group_path(self) -> str:
        """The scan's group inside :attr:`file` (``""``: the file's default entry)."""
        fragment = self.proposal.repository.pattern.format(
            proposal=self.proposal.key, scan=self.key
        ).fragment
        return (fragment or "").strip("/")

    @property
    def guard(self) -> RootGuard:
        """The repository's root guard."""
        return self.proposal.repository.guard

    @property
    def _remote_fs(self) -> Any:
        """The fsspec file system when the file is not local (S3, HTTP), else ``None``."""
        pattern = self.proposal.repository.pattern
        return None if pattern.is_local else pattern.fs

    def _fingerprint(self) -> Fingerprint:
        if self._remote_fs is not None:
            from nx5d_core.fingerprint import fingerprint_remote

            return fingerprint_remote(self._remote_fs, [str(self.file)])
        return fingerprint_files([self.file])

    def _open(self) -> contextlib.AbstractContextManager[h5py.File]:
        if self._remote_fs is not None:
            from .h5io import open_remote

            return open_remote(self._remote_fs, str(self.file))
        return open_file(self.file, guard=self.guard)

    def _open_group(self, handle: h5py.File) -> h5py.Group:
        try:
            return entry_group(handle, self.group_path, guard=self.guard)
        except KeyError:
            raise KeyNotFoundError(
                self.group_path,
                kind="group",
                where=f"{self.file} (scan {self.key!r})",
                candidates=sorted(handle),
            ) from None

    def _get_summary(self) -> Hdf5Summary:
        with self._open() as handle:
            group = self._open_group(handle)
            fields = summary_fields(group, zone=self.proposal.repository.timezone, guard=self.guard)
            return Hdf5Summary(key=self.key, file=str(self.file), entry=group.name, **fields)

    def _get_raw(self) -> xr.Dataset:
        from .nexus import build_dataset

        for attempt in range(SWMR_ATTEMPTS):
            with self._open() as handle:
                group = self._open_group(handle)
                if handle.swmr_mode and not growing_together(group):
                    time.sleep(0.02 * (attempt + 1))  # the writer is between two flushes
                    continue
                raw = build_dataset(group, path=self.file, lazy=False, guard=self.guard)
                if handle.swmr_mode:  # a writer is growing the file: what it had flushed
                    raw.attrs[SNAPSHOT] = "read while a SWMR writer was growing the file: the points it had flushed"  # fmt: skip
                return raw
        msg = f"{self.file}: its SWMR writer's growing datasets never had one length in {SWMR_ATTEMPTS} reads; read again"  # fmt: skip
        raise Hdf5BusyError(msg)

    def _get_lazy(self) -> xr.Dataset | None:
        from .nexus import build_dataset

        if self._remote_fs is not None:
            return None  # remote: the framework's delayed read of the whole scan
        with self._open() as handle:
            group = self._open_group(handle)
            return build_dataset(group, path=self.file, lazy=True, guard=self.guard)

    def _get_metadata(self) -> dict[str, Any]:
        """Every small field of the scan's group outside its data groups (instrument, sample...),
        by path; units under ``<path>@units``; the file's root attributes under ``@<name>``."""
        with self._open() as handle:
            return read_metadata(self._open_group(handle), guard=self.guard)

    def _field_paths(self) -> list[tuple[str, str]]:
        """Every dataset of the scan's group with its NeXus class path (for :meth:`find`)."""
        with self._open() as handle:
            return list(class_paths(self._open_group(handle), links=Links(self.guard)))

    def field(self, path: str) -> xr.DataArray:
        """Read one dataset by its path inside the scan's group (e.g. ``instrument/EtherCAT/data``).

        Raises
        ------
        DanglingLinkError
            If a link on the way points to a missing file or object (the message names both),
            or is a link cycle.
        OutsideRootError
            If a link on the way (external link, VDS source) leads outside the repository root.
        """
        with self._open() as handle:
            obj = walk_to(self._open_group(handle), path, guard=self.guard)
            if not isinstance(obj, h5py.Dataset):
                msg = f"{self.file}:{obj.name} is a group, not a dataset (field() reads datasets)"
                raise Hdf5FormatError(msg)
            units = obj.attrs.get("units")
            attrs = (
                {"units": units.decode() if isinstance(units, bytes) else str(units)}
                if units is not None
                else {}
            )
            import xarray as xr

            return xr.DataArray(
                read_dataset(obj), name=path.strip("/").rsplit("/", 1)[-1], attrs=attrs
            )

    def export_nexus(self, path: str | os.PathLike[str], *, cooked: bool = False) -> Path:
        """Write ``raw`` (or ``cooked``) to a NeXus file; see :func:`nx5d_hdf5.write_nexus`."""
        from .writer import write_nexus

        return write_nexus(self.cooked if cooked else self.raw, path=Path(path))


class Hdf5Proposal(Proposal):
    """A proposal: scans are files matching the pattern, or groups inside the proposal's file."""

    repository: Hdf5Repository
    scan_class = Hdf5Scan

    def _list_scans(self) -> Iterable[str]:
        pattern = self.repository.pattern
        guard = self.repository.guard
        if pattern.scan_in_path:
            keys = pattern.list_scans(self.key, guard=guard)
            if pattern.path.endswith("{scan}"):  # files of several suffixes: keys are file names
                keys = [k for k in keys if _SUFFIX.search(k)]
            return keys
        location = pattern.format(proposal=self.key)
        parent = (location.fragment or "").strip("/")
        with open_file(Path(location.path), guard=guard) as handle:
            try:
                group = open_path(handle, parent, guard=guard)
            except KeyError:
                raise KeyNotFoundError(
                    parent,
                    kind="group",
                    where=f"{location.path} (proposal {self.key!r})",
                    candidates=sorted(handle),
                ) from None
            keys = []
            for name in group:
                candidate = f"{parent}/{name}" if parent else name
                if pattern.match_fragment(candidate, proposal=self.key) is None:
                    continue
                if inspect_link(group, name, guard=guard) is None and isinstance(
                    group[name], h5py.Group
                ):
                    keys.append(name)
            entries = [k for k in keys if nx_class(group[k]) in {"NXentry", "NXsubentry"}]
            if entries and len(entries) < len(keys):
                # a NeXus file: its scans are its entries, not other top-level groups
                logger.debug("%s: scans are the NXentry groups %s", location.path, entries)
                keys = entries
            return valid_keys(keys, kind="scan", where=f"{location.path}:/{parent}")


class Hdf5Repository(FileRepository, about=about):
    """HDF5/NeXus files reached through a URL pattern, or a file or folder pointed at.

    Patterns: ``file:///d/{proposal}/{scan}.h5`` (file per scan),
    ``file:///d/{proposal}.nxs#{scan}`` (entries in a file per proposal),
    ``file:///d.hdf#{proposal}/{scan}`` (one file). Without a pattern (see
    :mod:`nx5d_hdf5.pointing`): a file is a proposal whose entries are scans, a folder of HDF5
    files a proposal whose files are scans, a folder of such folders a repository. Naive times
    are read in ``timezone``.
    """

    proposal_class = Hdf5Proposal

    def __init__(
        self,
        url: str,
        *,
        timezone: TimeZoneName = "UTC",
    ) -> None:
        super().__init__(url)
        self._pointed_folder: str | None = None
        if "{" not in url:
            pointed = point_at(Path(url.removeprefix("file://")), strict=False)
            if pointed is None:
                msg = (
                    f"{url!r} is not an HDF5 file nor a folder of HDF5 files (or of folders of "
                    "them); give a pattern such as 'file:///data/{proposal}/{scan}.h5'"
                )
                raise URLPatternError(msg)
            url, self.only_proposal = pointed.pattern, pointed.only_proposal
            self._pointed_folder = (
                str(Path(url.split("{proposal}", 1)[0]) / pointed.only_proposal)
                if pointed.scans_are_files and pointed.only_proposal is not None
                else None
            )
        self.pattern = KeyPattern.parse(url)
        self.timezone = ZoneInfo(timezone)

    @classmethod
    def guess_can_open(cls, url: str) -> bool:
        """See :func:`nx5d_hdf5.about.guess_can_open`."""
        return about.guess_can_open(url)

    def _boundary(self) -> str:
        return self._pointed_folder or super()._boundary()

    def _list_proposals(self) -> Iterable[str]:
        if self.only_proposal is not None:
            location = self.pattern.format(proposal=self.only_proposal)
            self.guard.resolve(location.path)
            return [self.only_proposal]
        if "{proposal}" in self.pattern.path:
            return self.pattern.list_proposals(guard=self.guard)
        # proposals are groups inside the one file: the fragment reads <parent>/{proposal}/...
        fragment = self.pattern.fragment or ""
        parent = fragment.split("{proposal}", 1)[0].strip("/")
        with open_file(Path(self.pattern.path), guard=self.guard) as handle:
            group = open_path(handle, parent, guard=self.guard)
            names = [
                name
                for name in group
                if inspect_link(group, name, guard=self.guard) is None
                and isinstance(group[name], h5py.Group)
            ]
            return valid_keys(names, kind="proposal", where=f"{self.pattern.path}:/{parent}")
