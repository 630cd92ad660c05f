"""In-memory nx5d adapter: proposals -> scans -> data, from nested dicts."""

from .adapter import MemoryProposal, MemoryRepository, MemoryScan

__all__ = ["MemoryProposal", "MemoryRepository", "MemoryScan"]
__version__ = "0.1.0"
