"""Hook specifications of nx5d_core: only specs live here.

A plugin is a module named by an entry point in the group ``nx5d`` that implements some of these
functions, decorated with :data:`nx5d_core.hookimpl`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .recipes import RecipeRegistry
    from .registry import AdapterRegistry
    from .spice.types import SpiceTypeRegistry

hookspec = pluggy.HookspecMarker("nx5d")


@hookspec
def nx5d_register_adapters(registry: AdapterRegistry) -> None:
    """Register the plugin's adapters.

    Called once per process, the first time adapters are needed (``open_repository``,
    ``list_adapters``, ``nx5d adapters``), never at import; built-in plugins first, then the
    others in entry-point order. :func:`nx5d_core.refresh_plugins` makes it run again.

    :param registry: call ``registry.add(MyRepository)``, or, to keep listing fast,
        ``registry.add("package.module:MyRepository", name=..., description=...,
        url_patterns=..., version=..., guess="package.about:guess_can_open")``, which imports
        the module only when the adapter is used.

    Failure: anything the implementation raises (``SystemExit`` included, ``KeyboardInterrupt``
    excepted) becomes a ``RuntimeWarning`` naming the plugin; adapters it registered before
    failing stay, and the other plugins load. A name another plugin holds is settled by
    :mod:`nx5d_core.ownership` (a built-in keeps its name; two third parties lose it both).
    """


@hookspec
def nx5d_register_spice_types(registry: SpiceTypeRegistry) -> None:
    """Register pydantic models for the plugin's spice record types.

    Called once per process, the first time spice records are validated; built-in plugins
    first. Import the models inside the implementation, so that registering adapters stays
    light.

    :param registry: call ``registry.add("rsm", RsmParams)``.

    Failure: as for :func:`nx5d_register_adapters`; a clash of type names raises
    :class:`~nx5d_core.spice.errors.SpiceTypeConflictError` outside plugin loading and is settled
    with a warning while plugins load.
    """


@hookspec
def nx5d_register_recipes(registry: RecipeRegistry) -> None:
    """Register the plugin's recipes (named processing steps with a typed spice model).

    Called once per process, the first time recipes or spice types are needed; built-in plugins
    first. Each recipe's model becomes the spice type of the recipe's name. Register functions
    by ``"module:function"`` so that heavy packages load only when a recipe runs.

    :param registry: call ``registry.add(Recipe(name="rsm", model=RsmParams,
        function="my_recipes.rsm:cook", version="1"))``.

    Failure: as for :func:`nx5d_register_adapters`.
    """
