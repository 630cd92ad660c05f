"""SPEC adapter for nx5d: a SPEC file is a proposal, its ``#S`` scans are scans."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nx5d_core.exports import lazy_exports

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


__getattr__ = lazy_exports(__name__, _LAZY)


if TYPE_CHECKING:
    from .adapter import SpecProposal, SpecRepository, SpecScan, SpecSummary
