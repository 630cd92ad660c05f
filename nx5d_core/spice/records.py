"""One spice record: a revision of one handle's parameters from one anchor on."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

__all__ = ["FREE_FORM", "MAX_HANDLE_LENGTH", "START", "SpiceRecord", "validate_handle"]

MAX_HANDLE_LENGTH = 200

START = ""
"""The anchor of records that apply from the start of the proposal."""

FREE_FORM = "free"
"""The explicit type for data no plugin registered a model for (any JSON object)."""


def validate_handle(handle: object) -> str:
    """``handle`` if it is a usable spice handle, else :class:`SpiceValidationError`.

    A handle is a non-empty string of at most 200 characters, without control characters and
    without leading or trailing whitespace.
    """
    from .errors import SpiceValidationError

    if not isinstance(handle, str):
        msg = f"spice handle must be a string, got {type(handle).__name__}: {handle!r}"
        raise SpiceValidationError(msg)
    if not handle.strip() or handle.strip() != handle:
        msg = f"spice handle {handle!r} is empty or has leading/trailing whitespace"
        raise SpiceValidationError(msg)
    if len(handle) > MAX_HANDLE_LENGTH:
        msg = f"spice handle of {len(handle)} characters is too long (at most {MAX_HANDLE_LENGTH})"
        raise SpiceValidationError(msg)
    if any(ord(c) < 32 or ord(c) == 127 for c in handle):
        msg = f"spice handle {handle!r} contains control characters"
        raise SpiceValidationError(msg)
    return handle


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
