"""The in-memory adapter: every proposal and scan comes from a nested dict.

Scan values are :class:`xarray.Dataset` objects, or any data that numpy can hold (wrapped as the
variable ``value``), or a dict of streams ``{"primary": ..., "baseline": ...}`` (a Bluesky run's
shape; ``primary`` is the raw data). An optional ``cook(raw, spice)`` function gives the cook step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any

import numpy as np
import xarray as xr
from pydantic import SkipValidation

from nx5d_core import Proposal, Repository, Scan, ScanSummary, SpiceView
from nx5d_core.errors import FormatError

from . import about

CookFunction = Callable[[xr.Dataset, SpiceView], Any]


def as_dataset(value: Any) -> xr.Dataset:
    """A Dataset as it is; anything else as the variable ``value``."""
    if isinstance(value, xr.Dataset):
        return value
    if isinstance(value, xr.DataArray):
        return value.to_dataset(name=value.name or "value")
    return xr.Dataset({"value": xr.DataArray(np.asarray(value))})


class MemoryScan(Scan):
    """One scan of a :class:`MemoryRepository`; attrs ``type``, ``time``, ``description`` feed the summary."""

    proposal: MemoryProposal

    def _value(self) -> Any:
        return self.proposal.repository.data[self.proposal.key][self.key]

    def _streams(self) -> Mapping[str, Any] | None:
        value = self._value()
        return value if isinstance(value, Mapping) and not isinstance(value, xr.Dataset) else None

    def _dataset(self) -> xr.Dataset:
        streams = self._streams()
        if streams is None:
            return as_dataset(self._value())
        if "primary" not in streams:
            msg = f"{self._where()}: a scan given as streams needs 'primary', got {sorted(streams)}"
            raise FormatError(msg)
        return as_dataset(streams["primary"])

    def _list_streams(self) -> list[str]:
        streams = self._streams()
        return [] if streams is None else [str(k) for k in streams if k != "primary"]

    def _get_stream(self, name: str, *, lazy: bool) -> xr.Dataset:
        streams = self._streams()
        assert streams is not None
        data = as_dataset(streams[name])
        return data.chunk() if lazy else data.copy()

    def _get_summary(self) -> ScanSummary:
        ds = self._dataset()
        frames = next(iter(ds.sizes.values()), 1) if ds.sizes else 1
        time = ds.attrs.get("time")
        return ScanSummary(
            key=self.key,
            type=str(ds.attrs.get("type", "memory")),
            num_frames=int(frames),
            time=datetime.fromisoformat(time) if isinstance(time, str) else time,
            description=str(ds.attrs.get("description", "")),
        )

    def _get_raw(self) -> xr.Dataset:
        return self._dataset().copy()

    def _get_lazy(self) -> xr.Dataset:
        return self._dataset().chunk()

    def _cook(self, raw: xr.Dataset, spice: SpiceView) -> xr.Dataset:
        cook = self.proposal.repository.cook_function
        if cook is None:
            return super()._cook(raw, spice)
        return as_dataset(cook(raw, spice))


class MemoryProposal(Proposal):
    """One proposal of a :class:`MemoryRepository`."""

    repository: MemoryRepository
    scan_class = MemoryScan

    def _list_scans(self) -> Iterable[str]:
        return list(self.repository.data[self.key])


class MemoryRepository(Repository, about=about):
    """Proposals and scans held in memory.

    Parameters
    ----------
    url
        A name for the repository, ``memory://<name>``.
    data
        ``{proposal: {scan: Dataset-or-data}}``, held as it is: what is added to it later is listed.
    cook
        Optional ``cook(raw, spice) -> Dataset-or-data`` used by every scan.
    """

    proposal_class = MemoryProposal

    def __init__(
        self,
        url: str = "memory://",
        *,
        data: Annotated[Mapping[str, Mapping[str, Any]], SkipValidation],  # held, not copied
        cook: CookFunction | None = None,
    ) -> None:
        super().__init__(url)
        self.data = data
        self.cook_function = cook

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Mapping[str, Any]],
        *,
        name: str = "memory",
        cook: CookFunction | None = None,
    ) -> MemoryRepository:
        """Build a repository called ``memory://<name>`` from nested dicts."""
        return cls(f"memory://{name}", data=data, cook=cook)

    def _list_proposals(self) -> Iterable[str]:
        return list(self.data)
