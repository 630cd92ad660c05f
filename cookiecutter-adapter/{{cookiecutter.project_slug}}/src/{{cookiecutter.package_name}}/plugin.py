"""Entry point (group ``nx5d``): registers the adapter with nx5d_core."""

from nx5d_core import AdapterRegistry, hookimpl

from .adapter import FacilityRepository


@hookimpl
def nx5d_register_adapters(registry: AdapterRegistry) -> None:
    """Register the adapter."""
    registry.add(FacilityRepository)
