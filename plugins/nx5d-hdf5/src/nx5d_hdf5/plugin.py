"""Entry point of the HDF5 adapter (group ``nx5d``)."""

from nx5d_core import AdapterRegistry, hookimpl

from .adapter import Hdf5Repository


@hookimpl
def nx5d_register_adapters(registry: AdapterRegistry) -> None:
    """Register :class:`Hdf5Repository` as ``hdf5``."""
    registry.add(Hdf5Repository)
