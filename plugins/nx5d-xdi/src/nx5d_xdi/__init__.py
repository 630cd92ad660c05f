"""nx5d adapter for XDI files (XAS Data Interchange 1.x): see :mod:`nx5d_xdi.adapter`."""

from __future__ import annotations

from typing import Any

__all__ = ["XdiFormatError", "XdiRepository", "parse_xdi"]


def __getattr__(name: str) -> Any:  # the adapter imports xarray: only when it is used
    if name == "XdiRepository":
        from .adapter import XdiRepository

        return XdiRepository
    if name == "parse_xdi":
        from .parser import parse_xdi

        return parse_xdi
    if name == "XdiFormatError":
        from .parser import XdiFormatError

        return XdiFormatError
    msg = f"module 'nx5d_xdi' has no attribute {name!r}"
    raise AttributeError(msg)
