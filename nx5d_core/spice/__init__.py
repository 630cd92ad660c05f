"""Spice: the versioned, typed parameter store that feeds the cook step."""

from .errors import (
    InvalidAnchorError,
    SpiceConflict,
    SpiceError,
    SpiceStoreError,
    SpiceValidationError,
    UnknownSpiceHandle,
    UnknownSpiceType,
)
from .records import FREE_FORM, START, SpiceRecord
from .store import SpiceStore, open_store
from .types import SpiceTypeRegistry
from .view import SpiceView

__all__ = [
    "FREE_FORM",
    "START",
    "InvalidAnchorError",
    "SpiceConflict",
    "SpiceError",
    "SpiceRecord",
    "SpiceStore",
    "SpiceStoreError",
    "SpiceTypeRegistry",
    "SpiceValidationError",
    "SpiceView",
    "UnknownSpiceHandle",
    "UnknownSpiceType",
    "open_store",
]
