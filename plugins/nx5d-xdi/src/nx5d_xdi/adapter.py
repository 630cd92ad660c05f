"""XDI files as a repository: a folder of XDI files is a proposal, each file a scan.

Pointing at a folder of XDI files opens it as the one proposal; a folder of such folders is a
repository; a single file is a proposal of that one scan; ``file:///d/{proposal}/{scan}`` is
the pattern form (files that are not XDI are not scans). A scan's ``raw`` holds every column
along ``point``, the energy column (named ``energy``, else column 1, as the XDI specification
puts it) as the coordinate, units from ``Column.N``; the header fields are the metadata.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import xarray as xr
from pydantic import Field

from nx5d_core import Scan, ScanSummary, TimeZoneName
from nx5d_core.fingerprint import Fingerprint, fingerprint_files
from nx5d_core.folders import FolderProposal, FolderRepository

from . import about
from .parser import XdiFile, XdiFormatError, parse_xdi

__all__ = ["XdiRepository"]

MAX_BYTES = 256 * 1024 * 1024  # an XDI file is text of a few MB; this is no XDI file


class XdiNoDataError(XdiFormatError):
    """An XDI file with a header and no data line yet."""


class XdiSummary(ScanSummary):
    """Summary from the XDI header; ``notes`` say what was missing or left out."""

    file: str = ""
    notes: list[str] = Field(default_factory=list)


class XdiScan(Scan):
    """One XDI file."""

    proposal: XdiProposal
    summary_model = XdiSummary
    layout_needs_data = True  # a text file of a few MB: the column count is in its data lines

    @property
    def file(self) -> Path:
        """The scan's file."""
        pattern = self.repository.pattern
        assert pattern is not None
        return Path(pattern.format(proposal=self.proposal.key, scan=self.key).path)

    def _fingerprint(self) -> Fingerprint:
        return fingerprint_files([self.repository.guard.file(self.file, what="an XDI file")])

    def _parsed(self) -> XdiFile:
        path = self.repository.guard.file(self.file, what="an XDI file")
        size = path.stat().st_size
        if size > MAX_BYTES:
            msg = f"{path}: {size} bytes is no XDI file (text of a few MB); not read"
            raise XdiFormatError(msg)
        return parse_xdi(path.read_text(encoding="utf-8", errors="replace"), where=str(path))

    def _time(self, parsed: XdiFile, name: str) -> tuple[datetime | None, str | None]:
        text = parsed.field(name)
        if not text:
            return None, f"no {name}"
        try:
            value = datetime.fromisoformat(text.strip())
        except ValueError:
            return None, f"{name} {text!r} is not an ISO 8601 time"
        if value.tzinfo is None:
            zone = self.proposal.repository.timezone
            if zone is None:
                return None, f"{name} {text!r} has no time zone (pass timezone='Area/City')"
            value = value.replace(tzinfo=ZoneInfo(zone))
        return value, None

    def _get_summary(self) -> XdiSummary:
        parsed = self._parsed()
        when, note = self._time(parsed, "Scan.start_time")
        notes = [*parsed.notes, *([note] if note else [])]
        element = " ".join(v for v in (parsed.field("Element.symbol"), parsed.field("Element.edge")) if v)  # fmt: skip
        description = parsed.field("Sample.name") or element or ""
        return XdiSummary(
            key=self.key,
            file=str(self.file),
            type=f"XDI/{parsed.version}",
            num_frames=int(parsed.data.shape[0]),
            time=when,
            description=description,
            notes=notes,
        )

    def _get_metadata(self) -> dict[str, Any]:
        parsed = self._parsed()
        out: dict[str, Any] = dict(parsed.fields)
        if parsed.comments:
            out["comments"] = parsed.comments
        return out

    def _get_raw(self) -> xr.Dataset:
        parsed = self._parsed()
        if parsed.data.shape[0] == 0:
            msg = f"{self.file}: an XDI header with no data line (yet)"
            raise XdiNoDataError(msg)
        names = _unique([c.name for c in parsed.columns])
        energy = next((i for i, n in enumerate(names) if n.casefold() == "energy"), 0)
        variables: dict[str, Any] = {}
        coords: dict[str, Any] = {}
        for i, (name, column) in enumerate(zip(names, parsed.columns, strict=True)):
            described = {"units": column.units} if column.units else {}
            if column.extra:
                described["xdi_column"] = column.extra
            target = coords if i == energy else variables
            target[name] = ("point", parsed.data[:, i], described)
        attrs: dict[str, Any] = {"xdi_version": parsed.version}
        for key in ("Element.symbol", "Element.edge", "Mono.d_spacing", "Facility.name", "Beamline.name"):  # fmt: skip
            value = parsed.field(key)
            if value is not None:
                attrs[key] = value
        if parsed.notes:
            attrs["nx5d_notes"] = list(parsed.notes)
        return xr.Dataset(variables, coords=coords, attrs=attrs)


def _unique(names: list[str]) -> list[str]:
    """Column names made unique (``I0``, ``I0_2``), as a Dataset needs."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


class XdiProposal(FolderProposal):
    """A folder of XDI files."""

    repository: XdiRepository
    scan_class = XdiScan


class XdiRepository(FolderRepository, about=about):
    """XDI files: a folder of them, a folder of such folders, one file, or a pattern
    ``file:///d/{proposal}/{scan}``. Times without a zone are read in ``timezone`` if given,
    else left out of the summary with a note (never labelled UTC)."""

    proposal_class = XdiProposal
    what = "XDI file"
    is_member = staticmethod(about.is_xdi)

    def __init__(
        self,
        url: str,
        *,
        timezone: TimeZoneName | None = None,
    ) -> None:
        super().__init__(url)
        self.timezone = timezone
