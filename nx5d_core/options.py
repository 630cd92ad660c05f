"""Typed adapter options: what ``open_repository(..., **options)``, a named config's
``options:`` and ``nx5d ... --option key=value`` may pass to an adapter.

An adapter declares its options as the keyword-only parameters of its constructor, with type
hints. They become one pydantic model per adapter class (:func:`options_model`), which checks
every construction, however it is made: an unknown name or a wrong type is an
:class:`AdapterOptionError` that names the valid options, never a raw ``TypeError``. The
checked values are kept as one frozen model instance, ``repo.options``, and the option
attributes the constructor set are read-only afterwards, so what the adapter reads and what the
cook key and the provenance record cannot differ. Options that change the data are marked in the
type hint, ``reduce: Annotated[int, ShapesData] = 1``: they are part of the cooked-result key and
of its provenance (:func:`data_options`).
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, create_model

from .errors import AdapterContractError, AdapterOptionError

if TYPE_CHECKING:
    from .repository import Repository

__all__ = [
    "AdapterOptions",
    "ShapesData",
    "TimeZoneName",
    "bind_options",
    "core_arguments",
    "data_option_names",
    "data_options",
    "options_model",
    "parse_option",
    "validate_options",
]

CORE_PARAMETERS = frozenset({"self", "url", "spice", "allow_outside"})
"""Constructor parameters every adapter has; they are not options."""


def _zone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        msg = f"{name!r} is not a time zone (give an IANA name such as 'Europe/Berlin')"
        raise ValueError(msg) from None
    return name


TimeZoneName = Annotated[str, AfterValidator(_zone)]
"""An option naming a time zone (``Europe/Paris``), checked when the repository is opened."""


class ShapesData:
    """Marks an option that changes the data (``Annotated[int, ShapesData]``): cooked results
    are keyed by it and its value is in their provenance."""


class AdapterOptions(BaseModel):
    """The base of every adapter's options model: checked, frozen, no unknown names."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, frozen=True)

    def __setattr__(self, name: str, value: Any) -> None:
        msg = f"adapter options are read-only ({name}); open the repository with other options"
        raise AttributeError(msg)

    if TYPE_CHECKING:  # each adapter's fields are made at run time

        def __getattr__(self, name: str) -> Any: ...


_MODELS: dict[type, type[AdapterOptions]] = {}


def options_model(cls: type[Repository]) -> type[AdapterOptions]:
    """The adapter's options as a frozen pydantic model, made once per class from the
    keyword-only parameters of its constructor (names, type hints, defaults).

    Raises
    ------
    AdapterContractError
        The constructor takes ``**kwargs`` or ``*args`` (its options could not be checked), or
        the class still declares the retired ``data_options`` tuple.
    """
    if cls not in _MODELS:
        _MODELS[cls] = _make_model(cls)
    return _MODELS[cls]


def _make_model(cls: type[Repository]) -> type[AdapterOptions]:
    where = f"adapter class {cls.__module__}.{cls.__qualname__}"
    if any("data_options" in vars(klass) for klass in cls.__mro__):
        msg = (
            f"{where} declares 'data_options'; mark the options that change the data in their "
            "type hint instead: reduce: Annotated[int, nx5d_core.ShapesData] = 1"
        )
        raise AdapterContractError(msg)
    init = cls.__init__
    parameters = inspect.signature(init).parameters
    hints = _option_hints(init, cls, [n for n in parameters if n not in CORE_PARAMETERS], where)
    fields: dict[str, Any] = {}
    for name, param in parameters.items():
        if param.kind in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL):
            msg = (
                f"{where}: its constructor takes {'**' if param.kind.name == 'VAR_KEYWORD' else '*'}"
                f"{name}, so its options cannot be checked; declare each option as a "
                "keyword-only parameter with a type hint"
            )
            raise AdapterContractError(msg)
        if name in CORE_PARAMETERS or param.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[name] = (hints.get(name, Any), default)
    model: type[AdapterOptions] = create_model(
        f"{cls.__name__}Options", __base__=AdapterOptions, **fields
    )
    return model


def _option_hints(init: Any, cls: type, names: list[str], where: str) -> dict[str, Any]:
    """The type hints of the option parameters ``names``, evaluated where ``init`` is defined."""
    module = sys.modules.get(cls.__module__)
    namespace = getattr(init, "__globals__", None) or (dict(vars(module)) if module else {})
    raw = getattr(init, "__annotations__", {})
    hints: dict[str, Any] = {}
    for name in names:
        hint = raw.get(name, Any)
        if isinstance(hint, str):
            try:
                hint = eval(hint, namespace)
            except Exception as exc:  # an unresolved hint would lose its ShapesData mark
                msg = f"{where}: the type hint of option {name!r} ({hint}) cannot be resolved at run time: {exc}"  # fmt: skip
                raise AdapterContractError(msg) from exc
        hints[name] = hint
    return hints


def data_option_names(cls: type[Repository]) -> tuple[str, ...]:
    """The names of the options marked :class:`ShapesData`, in declaration order."""
    fields = options_model(cls).model_fields
    return tuple(n for n, f in fields.items() if any(m is ShapesData for m in f.metadata))


def validate_options(cls: type[Repository], options: Mapping[str, Any]) -> AdapterOptions:
    """``options`` checked and converted for adapter ``cls``: the frozen options model, with
    the defaults for the options not given.

    Raises
    ------
    AdapterOptionError
        An unknown option (the message lists the valid ones), a missing required one or a
        value of the wrong type.
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
        return model.model_validate(dict(options))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        msg = f"adapter {cls.name!r}: invalid option value: {problems}"
        raise AdapterOptionError(msg) from exc


def bind_options(
    cls: type[Repository], arguments: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a constructor call's keyword ``arguments``: the arguments to call it with (the
    options given, checked and converted) and the values of all its options (defaults too)."""
    if "self" in arguments:
        msg = f"adapter {cls.name!r} has no option 'self'"
        raise AdapterOptionError(msg)
    given = {k: v for k, v in arguments.items() if k not in CORE_PARAMETERS}
    checked = validate_options(cls, given)
    values = {name: getattr(checked, name) for name in type(checked).model_fields}
    call = {**arguments, **{name: values[name] for name in given}}
    return call, values


def core_arguments(cls: type[Repository], call: dict[str, Any]) -> dict[str, Any]:
    """Take ``spice`` and ``allow_outside`` out of ``call`` where the adapter's constructor
    does not declare them: the base constructor gets them from the framework, so an adapter's
    constructor lists only its own options."""
    declared = inspect.signature(cls.__init__).parameters
    return {k: call.pop(k) for k in ("spice", "allow_outside") if k in call and k not in declared}


def data_options(repository: Repository) -> dict[str, Any]:
    """The values of the options that shape the data (:class:`ShapesData`), JSON-ready."""
    out = {}
    for name in data_option_names(type(repository)):
        value = getattr(repository.options, name)
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
