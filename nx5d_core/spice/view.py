"""The resolved spice parameters for one scan: read-only, typed, hashable into a cook key."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from .errors import UnknownSpiceHandleError
from .layers import layered
from .records import SpiceRecord
from .types import SpiceTypeRegistry

__all__ = ["SpiceView"]


def _plain(value: BaseModel | dict[str, Any]) -> dict[str, Any]:
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else dict(value)


ModelT = TypeVar("ModelT", bound=BaseModel)
logger = logging.getLogger(__name__)
_WARNED: set[str] = set()  # handles already warned about in this process


class SpiceView(Mapping[str, Any]):
    """Handle -> parameters (a pydantic model, or a dict for free-form records).

    ``view["rsm"].distance`` and ``view.rsm.distance`` both work. :attr:`records` names the
    stored record behind each value (``None`` for a value overridden in ``cook(...)``).
    """

    def __init__(
        self,
        *,
        scan: str,
        values: Mapping[str, BaseModel | dict[str, Any]],
        records: Mapping[str, SpiceRecord | None],
        types: SpiceTypeRegistry,
    ) -> None:
        self.scan = scan
        self._values = dict(values)
        self.records: Mapping[str, SpiceRecord | None] = dict(records)
        self._types = types
        self.defaults_used: dict[str, dict[str, Any]] = {}
        """Handles a cook asked for that no record provides, with the defaults it used instead."""
        self.explainer: Callable[[str], list[Any]] | None = None
        """Set by :attr:`Scan.spice <nx5d_core.Scan.spice>`: handle -> the values a cook of
        that scan uses, each with its source (:func:`nx5d_core.parameters.explain`); shown by
        the HTML repr. Not pickled (a view travels to workers without its scan)."""

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "explainer": None}

    @classmethod
    def empty(cls, *, scan: str, types: SpiceTypeRegistry | None = None) -> SpiceView:
        """A view with no parameters."""
        return cls(scan=scan, values={}, records={}, types=types or SpiceTypeRegistry())

    def __getitem__(self, handle: str) -> Any:
        try:
            return self._values[handle]
        except KeyError:
            raise UnknownSpiceHandleError(
                handle,
                kind="spice handle",
                where=f"the spice view of scan {self.scan!r}",
                candidates=self._values,
            ) from None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._values:
            return self._values[name]
        msg = f"spice view of scan {self.scan!r} has no handle {name!r}; handles: {', '.join(sorted(self._values)) or 'none'}"
        raise AttributeError(msg)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._values))

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._values))

    def __len__(self) -> int:
        return len(self._values)

    def get_as(self, handle: str, model: type[BaseModel]) -> BaseModel:
        """The value of ``handle`` validated as ``model`` (e.g. a default-filled parameter set)."""
        return model.model_validate(_plain(self[handle]))

    def get_or_default(self, handle: str, model: type[ModelT]) -> ModelT:
        """The value of ``handle`` as ``model``; if no record provides it, ``model()``'s defaults.

        Defaults are never used silently: they are recorded in :attr:`defaults_used` (the cooked
        result names them in its ``nx5d_spice_defaults`` attribute) and logged once per handle.
        """
        if handle in self._values:
            return model.model_validate(_plain(self[handle]))
        value = model()
        self.note_defaults(handle, value.model_dump(mode="json"))
        return value

    def note_defaults(self, handle: str, defaults: Mapping[str, Any]) -> None:
        """Record that ``handle`` was not seeded and ``defaults`` were used (logged once per handle)."""
        self.defaults_used[handle] = dict(defaults)
        if handle not in _WARNED:
            _WARNED.add(handle)
            logger.warning(
                "spice %r is not seeded for scan %r: cooking with the built-in defaults %s "
                "(seed it with proposal.spice.seed(%r, ...) to make them yours)",
                handle,
                self.scan,
                self.defaults_used[handle],
                handle,
            )

    def with_overrides(self, overrides: Mapping[str, Any]) -> SpiceView:
        """A new view where ``overrides`` replace (models) or update (dicts of fields) values."""
        values = dict(self._values)
        records = dict(self.records)
        for handle, change in overrides.items():
            record = self.records.get(handle)
            type_name = record.type if record is not None else None
            if isinstance(change, BaseModel):
                values[handle] = change
            elif isinstance(change, Mapping):
                below = _plain(values[handle]) if handle in values else {}
                merged = layered(below, change, none_falls_through=False)
                values[handle] = (
                    self._types.validate(type_name, merged, handle=handle) if type_name else merged
                )
            else:
                msg = f"override for spice {handle!r} must be a mapping of fields or a model, got {type(change).__name__}"
                raise TypeError(msg)
            records[handle] = None
        return SpiceView(scan=self.scan, values=values, records=records, types=self._types)

    def provenance(self) -> dict[str, dict[str, Any]]:
        """Handle -> ``{uuid, revision, anchor, type}`` of the records used, or ``{"override": ...}``."""
        out: dict[str, dict[str, Any]] = {}
        for handle in sorted(self._values):
            record = self.records.get(handle)
            if record is None:
                out[handle] = {"override": _plain(self._values[handle])}
            else:
                out[handle] = {
                    "uuid": record.uuid,
                    "revision": record.revision,
                    "anchor": record.anchor,
                    "type": record.type,
                }
        return out

    def fingerprint(self) -> str:
        """Hash of every value and its provenance; equal views give equal fingerprints."""
        payload = {
            h: {"value": _plain(v), "from": self.provenance()[h]} for h, v in self._values.items()
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()

    def __repr__(self) -> str:
        lines = [f"<SpiceView of scan {self.scan!r}: {len(self)} handle(s)>"]
        for handle in self:
            record = self.records.get(handle)
            source = (
                "override"
                if record is None
                else f"r{record.revision} from {record.anchor or '(start)'}"
            )
            text = json.dumps(_plain(self._values[handle]), sort_keys=True, default=str)
            lines.append(f"  {handle} ({source}): {text}")
        for handle, defaults in self.defaults_used.items():
            lines.append(f"  {handle} (built-in defaults): {json.dumps(defaults, sort_keys=True)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from ..html import spice_view_html

        return spice_view_html(self)
