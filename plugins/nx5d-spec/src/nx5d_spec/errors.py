"""Errors of the SPEC adapter: each names the file, the line and what was expected."""

from __future__ import annotations

from nx5d_core.errors import FormatError


class SpecFormatError(FormatError):
    """A SPEC file that breaks the format where it matters (the message names file and line)."""


class SpecNoDataError(SpecFormatError):
    """A scan with no data line (aborted before its first point, or data written elsewhere)."""
