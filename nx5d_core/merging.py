"""Several scans cooked into one result: the parameters must agree, provenance names them all."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .options import data_options
from .recipes import RecipeError, recipe_attrs, resolve_params

if TYPE_CHECKING:
    import xarray as xr
    from pydantic import BaseModel

    from .proposal import Proposal
    from .scan import Scan

__all__ = ["cook_together"]


def _recipe_name(scans: Sequence[Scan], recipe: str | None) -> str:
    if recipe is not None:
        return recipe
    names = {type(s).default_recipe for s in scans}
    if len(names) == 1 and None not in names:
        return str(names.pop())
    msg = f"scans {[s.key for s in scans]} have no common default recipe; name one: recipe=..."
    raise RecipeError(msg)


def _differences(first: BaseModel, other: BaseModel) -> list[str]:
    a, b = first.model_dump(mode="json"), other.model_dump(mode="json")
    return sorted(k for k in a if a[k] != b.get(k))


def cook_together(
    proposal: Proposal,
    keys: Sequence[str],
    *,
    recipe: str | None = None,
    lazy: bool = False,
    overrides: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Merge the raw data of ``keys`` (in the given order) and cook them with one recipe.

    Each scan's parameters are resolved from its own spice view (with ``overrides``); they must
    be equal, else :class:`~nx5d_core.recipes.RecipeError` names the scans and fields that
    differ. The result's ``nx5d_scans`` lists the scans and ``nx5d_spice`` each scan's records.
    Not cached: the caller keeps the result.
    """
    from .recipes import load_recipes

    if not keys:
        msg = f"proposal {proposal.key!r}: name at least one scan to cook"
        raise RecipeError(msg)
    if len(set(keys)) != len(keys):
        msg = f"proposal {proposal.key!r}: scans named twice in {list(keys)}"
        raise RecipeError(msg)
    scans = [proposal[k] for k in keys]
    name = _recipe_name(scans, recipe)
    chosen = load_recipes()[name]
    views = [s.spice.with_overrides(overrides) if overrides else s.spice for s in scans]
    params = [
        resolve_params(
            recipe=chosen, view=view, handle=name, defaults=type(scan).recipe_defaults.get(name)
        )
        for scan, view in zip(scans, views, strict=True)
    ]
    for scan, other in zip(scans[1:], params[1:], strict=True):
        fields = _differences(params[0], other)
        if fields:
            msg = (
                f"scans {keys[0]!r} and {scan.key!r} resolve different {name!r} parameters "
                f"({', '.join(fields)}); cook them apart, or give them one spice record"
            )
            raise RecipeError(msg)
    raws = [s.lazy() if lazy else s.raw for s in scans]
    merged = chosen.merge(raws, keys=list(keys), params=params[0])
    result = chosen.run(merged, params[0])
    repo = proposal.repository
    attrs = {
        **recipe_attrs(recipe=chosen, params=params[0]),
        "nx5d_scans": json.dumps(list(keys)),
        "nx5d_proposal": proposal.key,
        "nx5d_repository": repo.url,
        "nx5d_adapter": repo.name,
        "nx5d_adapter_version": repo.version,
        "nx5d_spice": json.dumps(
            {s.key: v.provenance() for s, v in zip(scans, views, strict=True)}, sort_keys=True
        ),
        "nx5d_spice_store": repo.spice_store.display,
        "nx5d_options": json.dumps(data_options(repo), sort_keys=True),
    }
    defaults = {
        s.key: v.defaults_used for s, v in zip(scans, views, strict=True) if v.defaults_used
    }
    if defaults:
        attrs["nx5d_spice_defaults"] = json.dumps(defaults, sort_keys=True)
    return result.assign_attrs(attrs)
