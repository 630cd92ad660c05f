"""One spice record: a revision of one handle's parameters from one anchor on."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

__all__ = ["FREE_FORM", "START", "SpiceRecord"]

START = ""
"""The anchor of records that apply from the start of the proposal."""

FREE_FORM = "free"
"""The explicit type for data no plugin registered a model for (any JSON object)."""


class SpiceRecord(BaseModel):
    """A stored revision. ``anchor`` is a scan key, or :data:`START` (``""``)."""

    model_config = ConfigDict(frozen=True)

    proposal: str
    handle: str
    type: str
    anchor: str
    revision: int = Field(ge=0)
    uuid: str
    parent: str | None
    author: str
    timestamp: AwareDatetime
    data: dict[str, Any]
    deleted: bool = False
