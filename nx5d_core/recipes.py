"""Recipes: named processing steps with a typed spice model, registered by plugins.

A plugin implements ``nx5d_register_recipes(registry)`` and calls ``registry.add(Recipe(...))``.
The recipe's model is registered as the spice type of the recipe's name, so ``spice.seed("rsm",
{...}, type="rsm")`` is checked against it. A recipe's function is ``(raw, params, **tuning) ->
xarray.Dataset``; ``tuning`` are speed knobs that never change the result.

Parameters come in three layers, each overriding the one before: the recipe's own defaults (the
model's field defaults), the adapter's defaults for that recipe (``Scan.recipe_defaults``), and
the spice record (fields left ``None`` in a record fall through to the layers below). The
cooked result names the recipe, its version and the parameters it ran with.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from .errors import AdapterContractError, KeyNotFoundError, Nx5dError
from .ownership import Owner, Ownership
from .plugins import cached_registry, fill
from .spice.layers import layered

if TYPE_CHECKING:
    import xarray as xr

    from .spice.view import SpiceView

__all__ = [
    "Recipe",
    "RecipeError",
    "RecipeNotFoundError",
    "RecipeRegistry",
    "resolve_params",
    "run_recipe",
]
logger = logging.getLogger(__name__)


class RecipeError(Nx5dError, ValueError):
    """A recipe cannot run with what it was given (parameters, raw data); nothing is cached."""


class RecipeNotFoundError(KeyNotFoundError):
    """No installed recipe has the name asked for; the message lists the installed ones."""

    def __init__(self, key: str, *, kind: str, where: str, candidates: Iterable[str]) -> None:
        known = sorted(candidates)
        super().__init__(key, kind=kind, where=where, candidates=known)
        self.message = f"{kind} {key!r} is not installed; installed: {', '.join(known) or 'none'}"


def _import(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True, eq=False)
class Recipe:
    """One processing step.

    Parameters
    ----------
    name
        Also the spice type and the default spice handle of its parameters.
    model
        Pydantic model of the parameters (import it light: no science package at import).
    function
        ``(raw, params, **tuning) -> xarray.Dataset``, or ``"module:function"`` imported on use.
    version
        Bump it when results change; it is part of the cook cache key and the provenance.
    lazy
        The function streams dask-backed input without loading it whole.
    combine
        ``(raws, keys=..., params=...) -> Dataset`` merging several scans' raw data into one
        input (``proposal.cook([...])``); ``None``: the recipe cooks one scan at a time.
    defaults
        The recipe's own parameter defaults, the lowest layer (below the adapter's and spice's).
    """

    name: str
    model: type[BaseModel]
    function: Callable[..., xr.Dataset] | str
    version: str
    description: str = ""
    lazy: bool = False
    combine: Callable[..., xr.Dataset] | str | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    owner: Owner = field(default_factory=Owner)

    def run(self, raw: xr.Dataset, params: BaseModel, **tuning: Any) -> xr.Dataset:
        """Call the function; check it returned a Dataset."""
        import xarray as xr

        function = _import(self.function) if isinstance(self.function, str) else self.function
        result = function(raw, params, **tuning)
        if not isinstance(result, xr.Dataset):
            msg = f"recipe {self.name!r} returned {type(result).__name__}, not xarray.Dataset"
            raise AdapterContractError(msg)
        return result

    def merge(
        self, raws: Sequence[xr.Dataset], *, keys: Sequence[str], params: BaseModel
    ) -> xr.Dataset:
        """Several scans' raw data as one input, or :class:`RecipeError` if it cannot merge."""
        if self.combine is None:
            msg = (
                f"recipe {self.name!r} cooks one scan at a time; it cannot merge scans {list(keys)}"
            )
            raise RecipeError(msg)
        combine = _import(self.combine) if isinstance(self.combine, str) else self.combine
        merged: xr.Dataset = combine(raws, keys=keys, params=params)
        return merged


class RecipeRegistry:
    """Recipes by name; plugins call :meth:`add`."""

    def __init__(self) -> None:
        self._recipes: dict[str, Recipe] = {}
        self.ownership = Ownership()

    def add(self, recipe: Recipe, *, overwrite: bool = False) -> None:
        """Register ``recipe`` (a clash of names is settled like adapter names)."""
        if not (isinstance(recipe.model, type) and issubclass(recipe.model, BaseModel)):
            msg = f"recipe {recipe.name!r}: model must be a pydantic model class"
            raise AdapterContractError(msg)
        owner = self.ownership.current
        if recipe.name in self.ownership.contested:
            self.ownership.contested[recipe.name].append(owner.distribution)
            return
        old = self._recipes.get(recipe.name)
        if old is not None and old is not recipe:
            replace = self.ownership.settle(
                kind="recipe",
                name=recipe.name,
                old=old.owner,
                overwrite=overwrite,
                error=RecipeError,
            )
            if not replace:
                if recipe.name in self.ownership.contested:
                    del self._recipes[recipe.name]
                return
        self._recipes[recipe.name] = (
            dataclasses.replace(recipe, owner=owner) if self.ownership.loading else recipe
        )

    def view(self) -> Mapping[str, Recipe]:
        """Read-only view of the registered recipes."""
        return MappingProxyType(self._recipes)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._recipes))

    def __getitem__(self, name: str) -> Recipe:
        try:
            return self._recipes[name]
        except KeyError:
            contested = self.ownership.contested_message(kind="recipe", name=name)
            if contested is not None:
                raise RecipeError(contested) from None
            raise RecipeNotFoundError(
                name, kind="recipe", where="the installed recipes", candidates=self._recipes
            ) from None


def _set_fields(value: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
    """The fields a record sets: ``None`` means "not set here" and falls through."""
    plain = value.model_dump(mode="json") if isinstance(value, BaseModel) else dict(value)
    return {k: v for k, v in plain.items() if v is not None}


def resolve_params(
    *,
    recipe: Recipe,
    view: SpiceView,
    handle: str,
    defaults: Mapping[str, Any] | None = None,
) -> BaseModel:
    """The parameters for one cook: the recipe's defaults < the adapter's ``defaults`` < the
    spice record (its ``None`` fields fall through; nested fields change the ones below them:
    :func:`~nx5d_core.spice.layers.layered`)."""
    below = layered(recipe.defaults, defaults or {}, none_falls_through=True)
    if handle in view:
        below = layered(below, _set_fields(view[handle]), none_falls_through=True)
    else:
        view.note_defaults(handle, json.loads(json.dumps(below, default=str)))
    try:
        return recipe.model.model_validate(below)
    except ValidationError as exc:
        msg = f"recipe {recipe.name!r} for scan {view.scan!r}: spice {handle!r} with the adapter's defaults is invalid: {exc}"
        raise RecipeError(msg) from None


def recipe_attrs(*, recipe: Recipe, params: BaseModel) -> dict[str, str]:
    """Provenance of a recipe's result: its name, version, owner and the parameters it used."""
    return {
        "nx5d_recipe": recipe.name,
        "nx5d_recipe_version": recipe.version,
        "nx5d_recipe_from": recipe.owner.distribution,
        "nx5d_recipe_params": params.model_dump_json(exclude_none=True),
    }


def run_recipe(
    name: str,
    *,
    raw: xr.Dataset,
    view: SpiceView,
    defaults: Mapping[str, Any] | None = None,
    handle: str | None = None,
    **tuning: Any,
) -> xr.Dataset:
    """Cook ``raw`` with the installed recipe ``name``; the result's attrs name recipe and params.

    This is what ``Scan._cook`` calls for an adapter's default recipe; an adapter's own
    ``_cook`` may call it for any recipe.
    """
    recipe = load_recipes()[name]
    params = resolve_params(recipe=recipe, view=view, handle=handle or name, defaults=defaults)
    result = recipe.run(raw, params, **tuning)
    return result.assign_attrs(recipe_attrs(recipe=recipe, params=params))


@cached_registry
def load_recipes() -> RecipeRegistry:
    """Every installed recipe (each plugin's ``nx5d_register_recipes``), loaded once."""
    return fill("nx5d_register_recipes", RecipeRegistry())
