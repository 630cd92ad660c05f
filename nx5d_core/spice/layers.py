"""Putting one set of parameters over another: the rule every layer of spice follows.

A record says only what differs from the layer below it (the recipe's defaults, the adapter's,
an earlier record). A nested mapping changes the mapping below it field by field
(``{"detector": {"distance_m": 0.52}}`` keeps the detector's other fields), unless it names
another ``kind`` (the other member of a tagged union, e.g. a linear detector over an area
detector): then it replaces it whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["layered"]


def layered(
    lower: Mapping[str, Any], upper: Mapping[str, Any], *, none_falls_through: bool
) -> dict[str, Any]:
    """``upper`` over ``lower`` (see the module docstring).

    Parameters
    ----------
    none_falls_through
        ``True`` when resolving (``None`` means "not set here": the lower value stays);
        ``False`` when editing a record (``None`` unsets the field).
    """
    out = dict(lower)
    for key, value in upper.items():
        if value is None and none_falls_through:
            continue
        below = out.get(key)
        if (
            isinstance(value, Mapping)
            and isinstance(below, Mapping)
            and value.get("kind", below.get("kind")) == below.get("kind")
        ):
            out[key] = layered(below, value, none_falls_through=none_falls_through)
        else:
            out[key] = value
    return out
