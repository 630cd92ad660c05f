"""Typed adapter options: what ``open_repository(..., **options)``, a named config's
``options:`` and ``nx5d ... --option key=value`` may pass to an adapter.

An adapter declares its options as keyword-only constructor parameters with type hints (or as a
pydantic model in the class variable ``Options``); they are validated here before the adapter
is built, so an unknown name or a wrong type is an :class:`AdapterOptionError` that names the
valid options, never a raw ``TypeError``. Options that change the data (``data_options``) are
part of the cooked-result key and of its provenance.
"""

from __future__ import annotations

import inspect
import json
import sys
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from .errors import AdapterOptionError

if TYPE_CHECKING:
    from .repository import Repository

__all__ = ["data_options", "options_model", "options_snapshot", "parse_option", "validate_options"]

_CORE = {"self", "url", "spice", "allow_outside"}


_MODELS: dict[type, type[BaseModel]] = {}


def options_model(cls: type[Repository]) -> type[BaseModel]:
    """The adapter's options as a pydantic model: its ``Options`` class variable, or one made
    from the keyword-only parameters of its constructor (names, type hints, defaults)."""
    if cls not in _MODELS:
        _MODELS[cls] = _make_model(cls)
    return _MODELS[cls]


def _make_model(cls: type[Repository]) -> type[BaseModel]:
    declared = getattr(cls, "Options", None)
    if isinstance(declared, type) and issubclass(declared, BaseModel):
        return declared
    init = cls.__init__
    module = sys.modules.get(cls.__module__)
    try:
        hints = typing.get_type_hints(init, globalns=vars(module) if module else None)
    except (NameError, TypeError):
        hints = {}
    fields: dict[str, Any] = {}
    for name, param in inspect.signature(init).parameters.items():
        if name in _CORE or param.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[name] = (hints.get(name, Any), default)
    config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    model: type[BaseModel] = create_model(f"{cls.__name__}Options", __config__=config, **fields)
    return model


def validate_options(cls: type[Repository], options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` checked and converted for adapter ``cls`` (only the names given are returned).

    Raises
    ------
    AdapterOptionError
        An unknown option (the message lists the valid ones) or a value of the wrong type.
    """
    model = options_model(cls)
    known = sorted(model.model_fields)
    unknown = sorted(set(options) - set(known))
    if unknown:
        msg = (
            f"adapter {cls.name!r} has no option {', '.join(map(repr, unknown))}; its options: "
            f"{', '.join(known) or 'none'}"
        )
        raise AdapterOptionError(msg)
    try:
        validated = model.model_validate(dict(options))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        msg = f"adapter {cls.name!r}: invalid option value: {problems}"
        raise AdapterOptionError(msg) from exc
    return {name: getattr(validated, name) for name in options}


def options_snapshot(repository: Repository) -> Any:
    """A frozen object with the adapter's option values (attributes of the same names)."""
    from types import MappingProxyType, SimpleNamespace

    names = options_model(type(repository)).model_fields
    values = {n: getattr(repository, n) for n in names if hasattr(repository, n)}

    class Frozen(SimpleNamespace):
        def __setattr__(self, name: str, value: Any) -> None:
            msg = f"adapter options are read-only ({name}); open the repository with other options"
            raise AttributeError(msg)

    frozen = Frozen(**values)
    object.__setattr__(frozen, "as_dict", MappingProxyType(values))
    return frozen


def data_options(repository: Repository) -> dict[str, Any]:
    """The values of the options that shape the data (``data_options``), JSON-ready."""
    out = {}
    for name in type(repository).data_options:
        value = getattr(repository, name, None)
        out[name] = list(value) if isinstance(value, tuple) else value
    plain: dict[str, Any] = json.loads(json.dumps(out, default=str))
    return plain


def parse_option(text: str) -> tuple[str, Any]:
    """``"key=value"`` from the command line; the value is read as JSON where it is JSON."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        msg = f"--option takes key=value, got {text!r}"
        raise AdapterOptionError(msg)
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value
