"""Entry point (group ``nx5d``): registers the adapter by its dotted path and its description in
about.py, so the adapter module is imported only when it is used."""

from nx5d_core import AdapterRegistry, hookimpl

from . import about


@hookimpl
def nx5d_register_adapters(registry: AdapterRegistry) -> None:
    """Register the adapter."""
    registry.add_described(f"{__package__}.adapter:FacilityRepository", about)
