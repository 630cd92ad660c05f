"""Entry point of the UDKM adapter and the ``rsm`` spice type (group ``nx5d``), registered by dotted path: nothing heavy
is imported until the adapter is used."""

from nx5d_core import AdapterRegistry, hookimpl
from nx5d_core.spice import SpiceTypeRegistry

from . import about


@hookimpl
def nx5d_register_adapters(registry: AdapterRegistry) -> None:
    """Register :class:`~nx5d_udkm.UdkmRepository` as ``udkm``."""
    registry.add_described("nx5d_udkm.adapter:UdkmRepository", about)


@hookimpl
def nx5d_register_spice_types(registry: SpiceTypeRegistry) -> None:
    """Register :class:`~nx5d_udkm.RsmParams` as spice type ``rsm``."""
    from .rsm import RsmParams

    registry.add("rsm", RsmParams)
