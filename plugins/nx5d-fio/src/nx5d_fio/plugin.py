"""Entry point of the FIO adapter (group ``nx5d``), registered by dotted path."""

from nx5d_core import AdapterRegistry, hookimpl

from . import about


@hookimpl
def nx5d_register_adapters(registry: AdapterRegistry) -> None:
    """Register :class:`~nx5d_fio.FioRepository` as ``fio``."""
    registry.add_described("nx5d_fio.adapter:FioRepository", about)
