"""Errors of the Bluesky adapter, in nx5d's family (:class:`~nx5d_core.errors.Nx5dError`)."""

from __future__ import annotations

from nx5d_core.errors import FormatError, Nx5dError

__all__ = ["BlueskyAuthError", "ExternalFilesError", "NoEventsError", "NotARunError"]


class BlueskyAuthError(Nx5dError, PermissionError):
    """The tiled server refused the API key (or asked for one): nothing was read."""


class NotARunError(FormatError):
    """A node of the tiled server that is not a Bluesky run (no start document)."""


class NoEventsError(Nx5dError, LookupError):
    """A stream with no event written yet (a run just started, or one that failed before its
    first reading): raised instead of an empty Dataset."""


class ExternalFilesError(Nx5dError, OSError):
    """The tiled server could not read a run's external files (an area detector's HDF5, TIFF
    or NPY files the run's StreamResource or Resource documents point to): moved, deleted, or
    not readable by the server. The message names the variable and the files."""
