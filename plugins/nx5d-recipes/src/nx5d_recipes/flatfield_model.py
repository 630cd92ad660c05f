"""Parameters of the ``flatfield`` recipe (spice type ``flatfield``); fields left ``None`` fall
through to :data:`FLATFIELD_DEFAULTS` and the adapter's defaults."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FLATFIELD_DEFAULTS", "FlatFieldParams"]


class FlatFieldParams(BaseModel):
    """Which frames are darks and flats, and an optional region to sum."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    signal: str | None = Field(None, description="variable holding the frames")
    image_key: str | None = Field(
        None,
        description="variable of NeXus NXtomo image_key per frame: 0 projection, 1 flat, 2 dark, 3 invalid",
    )
    dark_scan: str | None = Field(
        None, description="scan whose frames are darks (several scans cooked together)"
    )
    flat_scan: str | None = Field(
        None, description="scan whose frames are flats (several scans cooked together)"
    )
    roi: tuple[int, int, int, int] | None = Field(
        None, description="(row0, row1, col0, col1) summed per corrected frame, ends excluded"
    )


FLATFIELD_DEFAULTS: dict[str, Any] = {"signal": "data", "image_key": "image_key"}
"""The recipe's own defaults (the lowest layer)."""
