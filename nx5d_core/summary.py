"""The typed summary of one scan: cheap to compute, never loads bulk data."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

__all__ = ["ScanSummary", "SummaryEntry"]


class ScanSummary(BaseModel):
    """What a listing shows of a scan. Adapters may add their own fields.

    Attributes
    ----------
    key
        The scan key, the facility's own name for the scan.
    type
        The kind of scan (``"rocking"``, ``"timescan"``, ``"NXsas"``...).
    num_frames
        Number of points/frames along the scan.
    time
        Start time, timezone-aware.
    description
        One line for humans.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    key: str
    type: str
    num_frames: int = Field(ge=0)
    time: AwareDatetime | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class SummaryEntry:
    """One row of a proposal listing: the summary, or the error that reading it raised."""

    key: str
    handle: str
    summary: ScanSummary | None
    error: Exception | None

    @property
    def ok(self) -> bool:
        """True when the summary could be read."""
        return self.error is None
