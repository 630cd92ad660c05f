"""Entry point of the in-memory adapter (group ``nx5d``)."""

from nx5d_core import AdapterRegistry, hookimpl

from .adapter import MemoryRepository


@hookimpl
def nx5d_register_adapters(registry: AdapterRegistry) -> None:
    """Register :class:`MemoryRepository` as ``memory``."""
    registry.add(MemoryRepository)
