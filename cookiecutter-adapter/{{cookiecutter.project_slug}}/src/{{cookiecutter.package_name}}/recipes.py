"""A recipe of this facility: the sum of each frame inside a region of interest.

A recipe is a named processing step any scan of any adapter can be cooked with
(``scan.cook(recipe="{{ cookiecutter.adapter_name }}-roi-sum")``). Its parameters are a pydantic
model, registered as the spice type of the recipe's name; every field defaults to ``None``
("not set here"), so the recipe's ``defaults`` and the adapter's ``recipe_defaults`` fill what
a spice record leaves out. Keep this module light: import heavy packages inside the function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    import xarray as xr

NAME = "{{ cookiecutter.adapter_name }}-roi-sum"
DEFAULTS = {"signal": "images", "roi": None}


class RoiSumParams(BaseModel):
    """Which variable to sum, and where (``None`` everywhere: the whole frame)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signal: str | None = Field(None, description="variable holding the frames")
    roi: tuple[int, int, int, int] | None = Field(None, description="(row0, row1, col0, col1)")


def roi_sum(raw: xr.Dataset, params: RoiSumParams) -> xr.Dataset:
    """``roi_sum`` per frame (lazy if ``raw`` is)."""
    frames = raw[params.signal or "images"]
    _, rows, cols = frames.dims
    if params.roi is not None:
        r0, r1, c0, c1 = params.roi
        frames = frames.isel({rows: slice(r0, r1), cols: slice(c0, c1)})
    return frames.sum((rows, cols)).to_dataset(name="roi_sum")
