"""The values a cook will use, each with the layer it comes from.

A spice record says only what differs (its ``None`` fields fall through), so the record alone
is a poor answer to "what distance will this scan be cooked with?". :func:`explain` layers the
recipe's defaults, the adapter's and the record as a cook does
(:func:`~nx5d_core.recipes.resolve_params`) and names, for every field, where its value came
from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .spice.layers import layered

if TYPE_CHECKING:
    from .scan import Scan
    from .spice.view import SpiceView

__all__ = ["Parameter", "explain"]

RECIPE = "recipe default"
ADAPTER = "adapter default"


@dataclass(frozen=True)
class Parameter:
    """One field a cook uses: its dotted path, value and source."""

    path: str
    value: Any
    source: str


def explain(scan: Scan, handle: str, *, view: SpiceView | None = None) -> list[Parameter]:
    """Every field of recipe ``handle`` as ``scan`` would be cooked with it, with its source
    (``recipe default``, ``adapter default`` or the record ``r2 from 101500``).

    Raises :class:`~nx5d_core.errors.KeyNotFoundError` if no installed recipe is named
    ``handle``, and :class:`~nx5d_core.recipes.RecipeError` if the layers do not make valid
    parameters (the cook would fail the same way).
    """
    from pydantic import ValidationError

    from .recipes import RecipeError, load_recipes

    recipe = load_recipes()[handle]
    view = scan.spice if view is None else view
    layers: list[tuple[str, Mapping[str, Any]]] = [
        (RECIPE, recipe.defaults),
        (ADAPTER, scan.recipe_defaults.get(handle, {})),
    ]
    if handle in view:
        record = view.records.get(handle)
        label = "override" if record is None else f"record r{record.revision} from {record.anchor or '(start)'}"  # fmt: skip
        value = view[handle]
        plain = value.model_dump(mode="json") if hasattr(value, "model_dump") else dict(value)
        layers.append((label, plain))
    merged: dict[str, Any] = {}
    for _, data in layers:
        merged = layered(merged, data, none_falls_through=True)
    try:
        params = recipe.model.model_validate(merged)
    except ValidationError as exc:
        msg = f"recipe {handle!r} for scan {scan.key!r}: its parameters are invalid (a cook would fail): {exc}"  # fmt: skip
        raise RecipeError(msg) from None
    flat_layers = [(label, _flat(layered({}, data, none_falls_through=True))) for label, data in layers]  # fmt: skip
    out = []
    for path, value in _flat(params.model_dump(mode="json", exclude_none=True)).items():
        source = next((label for label, flat in reversed(flat_layers) if path in flat), RECIPE)
        out.append(Parameter(path=path, value=value, source=source))
    return out


def _flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"detector": {"distance_m": 0.5}}`` -> ``{"detector.distance_m": 0.5}``; ``None``
    values (not set) left out; lists are values."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out
