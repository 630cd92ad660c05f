"""Hook specifications of nx5d_core: only specs live here.

A plugin is a module named by an entry point in the group ``nx5d`` that implements some of these
functions, decorated with :data:`nx5d_core.hookimpl`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .registry import AdapterRegistry
    from .spice.types import SpiceTypeRegistry

hookspec = pluggy.HookspecMarker("nx5d")


@hookspec
def nx5d_register_adapters(registry: AdapterRegistry) -> None:
    """Register adapter classes with ``registry.add(MyRepository)``."""


@hookspec
def nx5d_register_spice_types(registry: SpiceTypeRegistry) -> None:
    """Register pydantic models for spice record types with ``registry.add("rsm", RsmParams)``."""
