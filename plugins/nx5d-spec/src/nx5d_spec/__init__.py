"""SPEC adapter for nx5d: a SPEC file is a proposal, its ``#S`` scans are scans."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import SpecFormatError

_LAZY = {
    "SpecProposal": ".adapter",
    "SpecRepository": ".adapter",
    "SpecScan": ".adapter",
    "SpecSummary": ".adapter",
}

__all__ = [
    "SpecFormatError",
    "SpecProposal",
    "SpecRepository",
    "SpecScan",
    "SpecSummary",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """Import the heavy parts on first use: registering the plugin imports none of them."""
    module = _LAZY.get(name)
    if module is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from .adapter import SpecProposal, SpecRepository, SpecScan, SpecSummary
