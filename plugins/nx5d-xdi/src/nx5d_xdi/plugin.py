"""Entry point of the xdi adapter (group ``nx5d``), registered by dotted path: nothing heavy
is imported until the adapter is used."""

from nx5d_core import AdapterRegistry, hookimpl

from . import about


@hookimpl
def nx5d_register_adapters(registry: AdapterRegistry) -> None:
    """Register :class:`~nx5d_xdi.XdiRepository` as ``xdi``."""
    registry.add_described("nx5d_xdi.adapter:XdiRepository", about)
