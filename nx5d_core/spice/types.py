"""Registered spice record types (pydantic models) and the validation that guards the store."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ValidationError

from ..ownership import Owner, Ownership
from ..plugins import cached_registry, fill, skip_plugin
from .errors import SpiceTypeConflictError, SpiceValidationError, UnknownSpiceTypeError
from .records import FREE_FORM

__all__ = ["SpiceTypeRegistry"]


def _field_errors(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(record)'}: {e['msg']}" for e in exc.errors()
    )


class SpiceTypeRegistry:
    """Type name -> pydantic model. Plugins fill it through ``nx5d_register_spice_types``."""

    def __init__(self) -> None:
        self._types: dict[str, type[BaseModel]] = {}
        self._owners: dict[str, Owner] = {}
        self.ownership = Ownership()

    def add(self, name: str, model: type[BaseModel], *, overwrite: bool = False) -> None:
        """Register ``model`` for records of type ``name``.

        Raises
        ------
        SpiceTypeConflictError
            The name is reserved, or taken by another model and ``overwrite`` is false (while
            plugins load, clashes are settled by :mod:`nx5d_core.ownership` with a warning).
        """
        if name == FREE_FORM:
            msg = f"spice type name {FREE_FORM!r} is reserved for free-form records"
            raise SpiceTypeConflictError(msg)
        if name in self.ownership.contested:
            self.ownership.contested[name].append(self.ownership.current.distribution)
            return
        old = self._types.get(name)
        if old is not None and old is not model:
            replace = self.ownership.settle(
                kind="spice type",
                name=name,
                old=self._owners.get(name, Owner()),
                overwrite=overwrite,
                error=SpiceTypeConflictError,
            )
            if not replace:
                if name in self.ownership.contested:
                    del self._types[name]
                return
        self._types[name] = model
        self._owners[name] = self.ownership.current

    def view(self) -> Mapping[str, type[BaseModel]]:
        """Read-only view of the registered types."""
        return MappingProxyType(self._types)

    def model(self, name: str) -> type[BaseModel] | None:
        """The model for ``name``; ``None`` for the free-form type; error for unknown names."""
        if name == FREE_FORM:
            return None
        try:
            return self._types[name]
        except KeyError:
            contested = self.ownership.contested_message(kind="spice type", name=name)
            if contested is not None:
                raise SpiceTypeConflictError(contested) from None
            known = ", ".join(sorted(self._types)) or "none"
            msg = (
                f"spice type {name!r} is not registered (registered: {known}); install the plugin "
                f"that defines it, or store the data as the free-form type {FREE_FORM!r}"
            )
            raise UnknownSpiceTypeError(msg) from None

    def validate(
        self, name: str, data: Mapping[str, Any] | BaseModel, *, handle: str
    ) -> BaseModel | dict[str, Any]:
        """Validate ``data`` as type ``name``; raise :class:`SpiceValidationError` naming the field."""
        model = self.model(name)
        if model is None:
            if isinstance(data, BaseModel):
                data = data.model_dump(mode="json")
            if not isinstance(data, Mapping):
                msg = (
                    f"spice {handle!r}: free-form data must be a mapping, got {type(data).__name__}"
                )
                raise SpiceValidationError(msg)
            return dict(data)
        try:
            return model.model_validate(data.model_dump() if isinstance(data, BaseModel) else data)
        except ValidationError as exc:
            msg = f"spice {handle!r} of type {name!r} is invalid: {_field_errors(exc)}"
            raise SpiceValidationError(msg) from exc

    def serialise(
        self, name: str, data: Mapping[str, Any] | BaseModel, *, handle: str
    ) -> dict[str, Any]:
        """Validate and return JSON-ready data that reads back equal, or raise before anything is written."""
        try:
            return self._serialise(name, data, handle=handle)
        except RecursionError:
            msg = f"spice {handle!r} of type {name!r} is nested too deeply to be stored; nothing written"
            raise SpiceValidationError(msg) from None

    def _serialise(
        self, name: str, data: Mapping[str, Any] | BaseModel, *, handle: str
    ) -> dict[str, Any]:
        value = self.validate(name, data, handle=handle)
        plain = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
        try:
            text = json.dumps(plain, allow_nan=False, sort_keys=True)
        except (TypeError, ValueError) as exc:
            msg = (
                f"spice {handle!r} of type {name!r} cannot be stored: {exc}. Declare a type for it "
                "(e.g. a list of floats instead of a numpy array) or leave out NaN/inf"
            )
            raise SpiceValidationError(msg) from exc
        back = json.loads(text)
        again = self.validate(name, back, handle=handle)
        if not _equal(again, value):
            msg = f"spice {handle!r} of type {name!r} does not read back equal after storing; nothing written"
            raise SpiceValidationError(msg)
        return dict(back)


def _equal(a: object, b: object) -> bool:
    if isinstance(a, BaseModel) and isinstance(b, BaseModel):
        return _equal(a.model_dump(), b.model_dump())
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@cached_registry
def load_spice_types() -> SpiceTypeRegistry:
    """Every spice type: each plugin's ``nx5d_register_spice_types``, and the parameter model of
    every installed recipe under the recipe's name; loaded once."""
    from ..recipes import load_recipes

    registry = fill("nx5d_register_spice_types", SpiceTypeRegistry())
    registry.ownership.loading = True  # a recipe's model is the spice type of its name
    try:
        for name, recipe in load_recipes().view().items():
            registry.ownership.current = recipe.owner
            try:
                registry.add(name, recipe.model)
            except BaseException as exc:  # noqa: BLE001 - reported, the other types stay
                skip_plugin(f"the spice type of recipe {name!r} ({recipe.owner}) could not be registered", exc)  # fmt: skip
    finally:
        registry.ownership.loading = False
        registry.ownership.current = Owner()
    return registry
