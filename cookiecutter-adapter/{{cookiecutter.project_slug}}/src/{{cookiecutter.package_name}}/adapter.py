{%- if cookiecutter.layout == "frame-series" -%}
"""{root}/{proposal}/{scan}/ holding frame_NNNNN.tif: change about.LAYOUT, _frames() and
decode_frame() to your format. nx5d_core.FrameSeriesScan does the rest: the root guard, file
identities, threads, raw, lazy() and the fingerprint; a missing or damaged frame raises."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np
import tifffile
from nx5d_core import FileRepository, Frame, FrameSeriesScan, Proposal, natural_key

from . import about


class FacilityScan(FrameSeriesScan):
    def _frames(self) -> list[Frame]:  # the scan's frame files, in counter order
        pattern = self.repository.pattern
        assert pattern is not None  # set from FacilityRepository.layout
        first = Path(pattern.format(proposal=self.proposal.key, scan=self.key).path)
        folder = self.repository.guard.folder(first.parent)
        return [Frame(p) for p in sorted(folder.glob("frame_*.tif"), key=lambda p: natural_key(p.name))]  # fmt: skip

    @staticmethod
    def decode_frame(stream: BinaryIO, *, member: int) -> np.ndarray:
        return tifffile.imread(stream, key=member)


class FacilityProposal(Proposal):
    scan_class = FacilityScan


class FacilityRepository(FileRepository, about=about):
    # name, description, version, URL_PATTERNS and LAYOUT (a root folder or a full pattern,
    # so no constructor is needed) come from about.py
    proposal_class = FacilityProposal
{%- else -%}
"""{root}/{proposal}/{scan}/ with counters.csv (a row per frame) and frame_NNNNN.tif: change
about.LAYOUT, _table(), _frames() and decode_frame() to your format. nx5d_core.FrameSeriesScan
does the rest: the root guard, file identities, threads, raw, lazy() and the fingerprint; keep
_table() cheap and let errors raise; a scan still being acquired reads as its frames so far."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import tifffile
import xarray as xr
from nx5d_core import FileRepository, Frame, FrameSeriesScan, Proposal, SpiceView, split_pending

from . import about


class FacilityScan(FrameSeriesScan):
    @property
    def folder(self) -> Path:
        pattern = self.repository.pattern
        assert pattern is not None  # set from FacilityRepository.layout
        return Path(pattern.format(proposal=self.proposal.key, scan=self.key).path).parent

    def _table(self) -> pd.DataFrame:  # one row per frame
        return pd.read_csv(self.repository.guard.file(self.folder / "counters.csv"))

    def _frames(self) -> list[Frame]:
        return [Frame(self.folder / f"frame_{i:05d}.tif") for i in range(len(self._table()))]

    def _frames_and_pending(self) -> tuple[list[Frame], list[Frame]]:
        return split_pending(self._frames())  # rows whose frames are not written yet: pending

    def _extra_files(self) -> list[Path]:  # files besides the frames that raw is made from
        return [self.folder / "counters.csv"]

    @staticmethod
    def decode_frame(stream: BinaryIO, *, member: int) -> np.ndarray:
        return tifffile.imread(stream, key=member)

    def _frame_values(self, frames: Sequence[Frame]) -> tuple[dict[str, Any], dict[str, Any]]:
        table = self._table()
        n = len(frames)  # fewer than the table's rows while frames are still being written
        return {}, {name: ("frame", table[name].to_numpy()[:n]) for name in table.columns}

    def _cook(self, raw: xr.Dataset, spice: SpiceView) -> xr.Dataset:
        monitor = spice["norm"]["monitor"] if "norm" in spice else "monitor"
        return (raw["images"] / raw[monitor]).sum("frame").to_dataset(name="normalised")


class FacilityProposal(Proposal):
    scan_class = FacilityScan


class FacilityRepository(FileRepository, about=about):
    # name, description, version, URL_PATTERNS and LAYOUT (a root folder or a full pattern,
    # so no constructor is needed) come from about.py
    proposal_class = FacilityProposal
{%- endif %}
