"""Entry point of the SPEC adapter (group ``nx5d``)."""

from nx5d_core import AdapterRegistry, hookimpl


@hookimpl
def nx5d_register_adapters(registry: AdapterRegistry) -> None:
    """Register :class:`~nx5d_spec.SpecRepository` as ``spec``."""
    from .adapter import SpecRepository

    registry.add(SpecRepository)
