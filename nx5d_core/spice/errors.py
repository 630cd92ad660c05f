"""Errors of the spice store."""

from __future__ import annotations

from ..errors import KeyNotFoundError, Nx5dError

__all__ = [
    "InvalidAnchorError",
    "SpiceConflictError",
    "SpiceError",
    "SpiceStoreError",
    "SpiceTypeConflictError",
    "SpiceValidationError",
    "UnknownSpiceHandleError",
    "UnknownSpiceTypeError",
]


class SpiceError(Nx5dError):
    """Base class of spice errors."""


class SpiceConflictError(SpiceError):
    """An update based on a revision that is no longer the newest one.

    Attributes
    ----------
    handle, anchor
        Which record chain.
    base
        The revision the writer started from.
    current
        The revision that is current now; retry with ``base=current`` after merging.
    """

    def __init__(
        self, *, proposal: str, handle: str, anchor: str, base: int | None, current: int | None
    ) -> None:
        self.proposal, self.handle, self.anchor = proposal, handle, anchor
        self.base, self.current = base, current
        where = f"{handle!r} at anchor {anchor or '(start)'!r} of proposal {proposal!r}"
        if base is None:
            msg = (
                f"spice {where} already exists (revision {current}); update it with base={current}"
            )
        elif current is None:
            msg = f"spice {where} has no revision {base} to update; seed or anchor it first"
        else:
            msg = (
                f"spice conflict on {where}: this update started from revision {base} but revision "
                f"{current} is current; re-read it (history/view), merge and retry with base={current}"
            )
        super().__init__(msg)


class SpiceValidationError(SpiceError, ValueError):
    """Data that its registered type rejects, or that cannot be stored faithfully."""


class SpiceTypeConflictError(SpiceError, ValueError):
    """Two models registered under one spice type name, or a reserved name taken."""


class UnknownSpiceTypeError(SpiceError, LookupError):
    """A record type that no plugin registered."""


class UnknownSpiceHandleError(KeyNotFoundError, SpiceError):
    """A handle that has no record in a proposal."""


class InvalidAnchorError(KeyNotFoundError, SpiceError):
    """An anchor that is not a scan of the proposal."""


class SpiceStoreError(SpiceError, OSError):
    """The store cannot be opened or read (e.g. a corrupt database file)."""


# the names before error names ended in Error, kept so that existing code still imports
SpiceConflict = SpiceConflictError
SpiceTypeConflict = SpiceTypeConflictError
UnknownSpiceType = UnknownSpiceTypeError
UnknownSpiceHandle = UnknownSpiceHandleError
