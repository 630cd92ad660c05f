"""In-memory nx5d adapter: proposals -> scans -> data, from nested dicts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nx5d_core.exports import lazy_exports

_LAZY = {
    "MemoryProposal": ".adapter",
    "MemoryRepository": ".adapter",
    "MemoryScan": ".adapter",
}

__all__ = [
    "MemoryProposal",
    "MemoryRepository",
    "MemoryScan",
]
__version__ = "0.1.0"


__getattr__ = lazy_exports(__name__, _LAZY)


if TYPE_CHECKING:
    from .adapter import MemoryProposal, MemoryRepository, MemoryScan
