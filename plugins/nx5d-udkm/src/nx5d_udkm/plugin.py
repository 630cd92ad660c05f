"""Entry point of the UDKM adapter (group ``nx5d``; it cooks with the ``rsm`` recipe of nx5d-recipes), registered by dotted path: nothing heavy
is imported until the adapter is used."""

from nx5d_core import AdapterRegistry, hookimpl

from . import about


@hookimpl
def nx5d_register_adapters(registry: AdapterRegistry) -> None:
    """Register :class:`~nx5d_udkm.UdkmRepository` as ``udkm``."""
    registry.add_described("nx5d_udkm.repository:UdkmRepository", about)
