"""Entry point of the images adapter (group ``nx5d``), registered by dotted path: fabio is not
imported until the adapter is used."""

from nx5d_core import AdapterRegistry, hookimpl

from . import about


@hookimpl
def nx5d_register_adapters(registry: AdapterRegistry) -> None:
    """Register :class:`~nx5d_images.ImagesRepository` as ``images``."""
    registry.add_described("nx5d_images.adapter:ImagesRepository", about)
