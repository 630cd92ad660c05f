"""{root}/{proposal}/{scan}/ with counters.csv (a row per frame) and frame_NNNNN.tif: change
about.LAYOUT, _table() and _get_raw() to your format; keep _get_summary() cheap, let errors raise, and
open files through self.repository.guard (it keeps reads inside the root)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import tifffile
import xarray as xr
from nx5d_core import KeyPattern, Proposal, Repository, Scan, ScanSummary, SpiceView
from nx5d_core.fingerprint import Fingerprint, fingerprint_folder

from . import about


class FacilityScan(Scan):
    @property
    def folder(self) -> Path:
        pattern = self.repository.pattern
        assert pattern is not None  # set by FacilityRepository
        return Path(pattern.format(proposal=self.proposal.key, scan=self.key).path).parent

    def _fingerprint(self) -> Fingerprint:  # cached data is re-read when these files change
        return fingerprint_folder(self.repository.guard.folder(self.folder))

    def _table(self) -> pd.DataFrame:
        return pd.read_csv(self.repository.guard.file(self.folder / "counters.csv"))

    def _get_summary(self) -> ScanSummary:
        started = datetime.fromtimestamp((self.folder / "counters.csv").stat().st_mtime, tz=UTC)
        frames = len(self._table())
        return ScanSummary(key=self.key, type="counters+frames", num_frames=frames, time=started)

    def _get_raw(self) -> xr.Dataset:
        table = self._table()
        paths = [self.folder / f"frame_{i:05d}.tif" for i in range(len(table))]
        frames = np.stack([tifffile.imread(self.repository.guard.file(p)) for p in paths])
        counters = {name: ("frame", table[name].to_numpy()) for name in table.columns}
        return xr.Dataset({**counters, "images": (("frame", "y", "x"), frames)})

    def _cook(self, raw: xr.Dataset, spice: SpiceView) -> xr.Dataset:
        monitor = spice["norm"]["monitor"] if "norm" in spice else "monitor"
        return (raw["images"] / raw[monitor]).sum("frame").to_dataset(name="normalised")


class FacilityProposal(Proposal):
    scan_class = FacilityScan


class FacilityRepository(Repository):
    name, description, version = about.NAME, about.DESCRIPTION, about.VERSION
    url_patterns = about.URL_PATTERNS
    proposal_class = FacilityProposal

    def __init__(self, url: str, *, spice: str | None = None, allow_outside: Iterable[str] = ()) -> None:  # fmt: skip
        super().__init__(url, spice=spice, allow_outside=allow_outside)
        self.pattern = KeyPattern.parse(url if "{scan}" in url else url.rstrip("/") + about.LAYOUT)
