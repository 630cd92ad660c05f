"""Entry point (group ``nx5d``): registers the adapter by its dotted path and its description in
about.py, so the adapter module is imported only when it is used, and the facility's recipe."""

from nx5d_core import AdapterRegistry, hookimpl
from nx5d_core.recipes import Recipe, RecipeRegistry

from . import about


@hookimpl
def nx5d_register_adapters(registry: AdapterRegistry) -> None:
    """Register the adapter."""
    registry.add_described(f"{__package__}.adapter:FacilityRepository", about)


@hookimpl
def nx5d_register_recipes(registry: RecipeRegistry) -> None:
    """Register the facility's recipe (``nx5d recipes`` lists it)."""
    from .recipes import DEFAULTS, NAME, RoiSumParams

    registry.add(
        Recipe(
            name=NAME,
            model=RoiSumParams,
            function=f"{__package__}.recipes:roi_sum",
            version="1",
            description="sum of each frame inside a region of interest",
            lazy=True,
            defaults=DEFAULTS,
        )
    )
