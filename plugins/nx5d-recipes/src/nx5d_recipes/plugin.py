"""Entry point (group ``nx5d``): registers the ``rsm`` and ``flatfield`` recipes by dotted path."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nx5d_core import hookimpl

if TYPE_CHECKING:  # the recipe machinery (spice, pydantic models) loads when recipes are asked for
    from nx5d_core.recipes import RecipeRegistry

RSM_VERSION = "2"
FLATFIELD_VERSION = "1"


@hookimpl
def nx5d_register_recipes(registry: RecipeRegistry) -> None:
    """Register ``rsm`` and ``flatfield``; their functions import on first use."""
    from nx5d_core.recipes import Recipe

    from .flatfield_model import FLATFIELD_DEFAULTS, FlatFieldParams
    from .rsm_model import RSM_DEFAULTS, RsmParams

    registry.add(
        Recipe(
            name="rsm",
            model=RsmParams,
            function="nx5d_recipes.rsm:cook_rsm",
            combine="nx5d_recipes.combine:concat_frames",
            version=RSM_VERSION,
            defaults=RSM_DEFAULTS,
            description="reciprocal-space map (area, linear or point detector; xrayutilities)",
            lazy=True,
        )
    )
    registry.add(
        Recipe(
            name="flatfield",
            model=FlatFieldParams,
            function="nx5d_recipes.flatfield:cook_flatfield",
            combine="nx5d_recipes.combine:concat_frames",
            version=FLATFIELD_VERSION,
            defaults=FLATFIELD_DEFAULTS,
            description="dark/flat-field correction (NeXus image_key or named scans), ROI sums",
            lazy=True,
        )
    )
