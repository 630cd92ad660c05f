"""Entry point of the UDKM adapter (group ``nx5d``): the adapter and the ``rsm`` spice type."""

from nx5d_core import AdapterRegistry, hookimpl
from nx5d_core.spice import SpiceTypeRegistry

from .adapter import UdkmRepository
from .rsm import RsmParams


@hookimpl
def nx5d_register_adapters(registry: AdapterRegistry) -> None:
    """Register :class:`UdkmRepository` as ``udkm``."""
    registry.add(UdkmRepository)


@hookimpl
def nx5d_register_spice_types(registry: SpiceTypeRegistry) -> None:
    """Register :class:`RsmParams` as spice type ``rsm``."""
    registry.add("rsm", RsmParams)
