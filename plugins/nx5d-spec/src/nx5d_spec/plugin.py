"""Entry point of the spec adapter (group ``nx5d``), registered by dotted path: nothing heavy
is imported until the adapter is used."""

from nx5d_core import AdapterRegistry, hookimpl

from . import about


@hookimpl
def nx5d_register_adapters(registry: AdapterRegistry) -> None:
    """Register :class:`~nx5d_spec.SpecRepository` as ``spec``."""
    registry.add_described("nx5d_spec.adapter:SpecRepository", about)
