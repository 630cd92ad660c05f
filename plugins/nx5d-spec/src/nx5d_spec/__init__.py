"""SPEC adapter for nx5d: a SPEC file is a proposal, its ``#S`` scans are scans."""

from .adapter import SpecProposal, SpecRepository, SpecScan, SpecSummary
from .errors import SpecFormatError

__all__ = ["SpecFormatError", "SpecProposal", "SpecRepository", "SpecScan", "SpecSummary"]
__version__ = "0.1.0"
