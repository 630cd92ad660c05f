"""Spice: the versioned, typed parameter store that feeds the cook step."""

from .backend import SpiceBackend, SpiceSpec
from .errors import (
    InvalidAnchorError,
    SpiceConflictError,
    SpiceError,
    SpiceStoreError,
    SpiceValidationError,
    UnknownSpiceHandleError,
    UnknownSpiceTypeError,
)
from .records import FREE_FORM, START, SpiceRecord
from .store import SpiceStore, open_store
from .types import SpiceTypeRegistry
from .view import SpiceView

__all__ = [
    "FREE_FORM",
    "START",
    "InvalidAnchorError",
    "SpiceBackend",
    "SpiceConflictError",
    "SpiceError",
    "SpiceRecord",
    "SpiceSpec",
    "SpiceStore",
    "SpiceStoreError",
    "SpiceTypeRegistry",
    "SpiceValidationError",
    "SpiceView",
    "UnknownSpiceHandleError",
    "UnknownSpiceTypeError",
    "open_store",
]
