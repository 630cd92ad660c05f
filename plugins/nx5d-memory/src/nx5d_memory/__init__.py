"""In-memory nx5d adapter: proposals -> scans -> data, from nested dicts."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
    from .adapter import MemoryProposal, MemoryRepository, MemoryScan
