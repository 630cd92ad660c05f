"""Entry point of the Bluesky adapter (group ``nx5d``), registered by dotted path: tiled is not
imported until the adapter is used."""

from nx5d_core import AdapterRegistry, hookimpl

from . import about


@hookimpl
def nx5d_register_adapters(registry: AdapterRegistry) -> None:
    """Register :class:`~nx5d_bluesky.BlueskyRepository` as ``bluesky``."""
    registry.add_described("nx5d_bluesky.adapter:BlueskyRepository", about)
