"""Queries over scan summaries, named and shaped like tiled's and databroker's query types.

``Key("type") == "ascan"``, ``Key("num_frames") > 100``, ``In("type", ["ascan", "dscan"])``,
``Contains("description", "InP")``, ``Regex("key", r"^r1\\d$")``, ``FullText("InP 333")``,
``TimeRange(since="2021-02-05", until="2021-02-06 12:00+01:00")``, ``ScanKey("r10")``, combined
with ``&`` (and ``|``). A value a scan does not have (``None``) never matches and never raises;
times are compared as instants, whatever their zone.

Mapping to tiled (``tiled.queries``): ``Key(k) == v`` -> ``Eq(k, v)``, ``!=`` -> ``NotEq``,
``<``/``<=``/``>``/``>=`` -> ``Comparison("lt"|"le"|"gt"|"ge", k, v)``, ``In`` -> ``In``,
``Contains`` -> ``Contains``, ``Regex`` -> ``Regex``, ``FullText`` -> ``FullText``; databroker's
``TimeRange(since, until)`` -> ``Comparison`` on ``time_unix``; ``ScanKey`` -> ``KeysFilter``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .summary import ScanSummary

__all__ = [
    "And",
    "Comparison",
    "Contains",
    "FullText",
    "In",
    "Key",
    "Or",
    "Query",
    "Regex",
    "ScanKey",
    "Test",
    "TimeRange",
    "as_test",
    "parse_time",
]

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
_WORD = re.compile(r"\w+", re.UNICODE)
TIME_FIELDS = frozenset({"time", "end_time"})
"""Summary fields that hold times: a comparison with text parses it at once."""


def parse_time(value: datetime | date | str, *, zone: tzinfo | None = None) -> datetime:
    """An aware datetime from a datetime, a date, ISO 8601 text (``2021-02-05``,
    ``2021-02-05 10:00+01:00``) or ``now``/``today``/``yesterday``; naive ones in ``zone``
    (default: this machine's zone)."""
    local = zone or datetime.now().astimezone().tzinfo or UTC
    if isinstance(value, str):
        text = value.strip().lower()
        now = datetime.now(local)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        named = {"now": now, "today": midnight, "yesterday": midnight - timedelta(days=1)}
        if text in named:
            return named[text]
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            msg = f"{value!r} is not a time: use ISO 8601 (2021-02-05, 2021-02-05T10:00+01:00) or now/today/yesterday"
            raise ValueError(msg) from None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value if value.tzinfo is not None else value.replace(tzinfo=local)


def _field(fields: dict[str, Any], name: str) -> Any:
    return fields.get(name)


class Query:
    """A condition on a scan's key and summary fields; combine with ``&`` and ``|``."""

    def matches(self, fields: dict[str, Any]) -> bool:
        """Whether the scan with these fields (``key`` and the summary's) matches."""
        raise NotImplementedError

    def __and__(self, other: Query) -> Query:
        return And((self, other))

    def __or__(self, other: Query) -> Query:
        return Or((self, other))


@dataclass(frozen=True)
class And(Query):
    """Every part matches."""

    parts: tuple[Query, ...]

    def matches(self, fields: dict[str, Any]) -> bool:
        return all(p.matches(fields) for p in self.parts)


@dataclass(frozen=True)
class Or(Query):
    """Some part matches."""

    parts: tuple[Query, ...]

    def matches(self, fields: dict[str, Any]) -> bool:
        return any(p.matches(fields) for p in self.parts)


def _comparable(field: Any, value: Any) -> tuple[Any, Any] | None:
    """Both sides in one comparable form, or ``None`` (never matches)."""
    if field is None or value is None:
        return None
    if isinstance(field, datetime):
        if isinstance(value, str):
            return field, parse_time(value)  # a text that is no time is the query's error
        try:
            return field, parse_time(value)
        except (ValueError, TypeError, AttributeError):
            return None
    if isinstance(field, bool) or isinstance(value, bool):
        return (field, value) if type(field) is type(value) else None
    if isinstance(field, int | float) and isinstance(value, int | float):
        return field, value
    if isinstance(field, str) and isinstance(value, str):
        return field, value
    return None


@dataclass(frozen=True)
class Comparison(Query):
    """``operator(field, value)``: ``eq``, ``ne``, ``lt``, ``le``, ``gt``, ``ge``."""

    op: str
    key: str
    value: Any

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            msg = f"comparison operator {self.op!r} on {self.key!r}: use one of {', '.join(_OPS)}"
            raise ValueError(msg)
        if self.key in TIME_FIELDS and isinstance(self.value, str):
            parse_time(self.value)  # raises naming the text: never "no scan matches"

    def matches(self, fields: dict[str, Any]) -> bool:
        pair = _comparable(_field(fields, self.key), self.value)
        if pair is None:
            return False
        try:
            return bool(_OPS[self.op](*pair))
        except TypeError:
            return False


class Key:
    """A summary field by name: ``Key("type") == "ascan"``, ``Key("num_frames") >= 10``."""

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, name: str) -> None:
        self.name = name

    def __eq__(self, value: object) -> Comparison:  # type: ignore[override]
        return Comparison("eq", self.name, value)

    def __ne__(self, value: object) -> Comparison:  # type: ignore[override]
        return Comparison("ne", self.name, value)

    def __lt__(self, value: Any) -> Comparison:
        return Comparison("lt", self.name, value)

    def __le__(self, value: Any) -> Comparison:
        return Comparison("le", self.name, value)

    def __gt__(self, value: Any) -> Comparison:
        return Comparison("gt", self.name, value)

    def __ge__(self, value: Any) -> Comparison:
        return Comparison("ge", self.name, value)


@dataclass(frozen=True)
class In(Query):
    """The field is one of ``values``."""

    key: str
    values: tuple[Any, ...]

    def __init__(self, key: str, values: Iterable[Any]) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "values", tuple(values))

    def matches(self, fields: dict[str, Any]) -> bool:
        field = _field(fields, self.key)
        return field is not None and field in self.values


@dataclass(frozen=True)
class Contains(Query):
    """A text field contains ``value`` (case-insensitive), or a list field holds it."""

    key: str
    value: Any

    def matches(self, fields: dict[str, Any]) -> bool:
        field = _field(fields, self.key)
        if isinstance(field, str) and isinstance(self.value, str):
            return self.value.casefold() in field.casefold()
        if isinstance(field, list | tuple):
            return self.value in field
        return False


@dataclass(frozen=True)
class Regex(Query):
    """A text field matches the regular expression ``pattern`` (``re.search``)."""

    key: str
    pattern: str
    case_sensitive: bool = True

    def __post_init__(self) -> None:
        try:
            re.compile(self.pattern)
        except (re.error, TypeError) as exc:
            msg = f"Regex on {self.key!r}: {self.pattern!r} is not a regular expression ({exc})"
            raise ValueError(msg) from None

    def matches(self, fields: dict[str, Any]) -> bool:
        field = _field(fields, self.key)
        if field is None:
            return False
        flags = 0 if self.case_sensitive else re.IGNORECASE
        return re.search(self.pattern, str(field), flags) is not None


@dataclass(frozen=True)
class FullText(Query):
    """Every word of ``text`` starts a word of the scan's text fields (case-insensitive):
    ``FullText("InP 333")`` finds "InP (333) rocking curve"."""

    text: str
    fields: tuple[str, ...] = ("key", "type", "description", "comments", "notes", "file")

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or not _WORD.findall(self.text):
            msg = f"FullText needs at least one word to look for, got {self.text!r}"
            raise ValueError(msg)

    def matches(self, fields: dict[str, Any]) -> bool:
        words: set[str] = set()
        for name in self.fields:
            value = fields.get(name)
            parts = value if isinstance(value, list | tuple) else [value]
            for part in parts:
                if part is not None:
                    words.update(w.casefold() for w in _WORD.findall(str(part)))
        wanted = [w.casefold() for w in _WORD.findall(self.text)]
        return all(any(word.startswith(w) for word in words) for w in wanted)


class TimeRange(Query):
    """The scan's ``time`` lies in [``since``, ``until``); either bound may be left out. Bounds
    are datetimes or text (:func:`parse_time`); a scan without a time never matches."""

    def __init__(
        self,
        since: datetime | date | str | None = None,
        until: datetime | date | str | None = None,
        *,
        timezone: tzinfo | None = None,
    ) -> None:
        self.since = None if since is None else parse_time(since, zone=timezone)
        self.until = None if until is None else parse_time(until, zone=timezone)

    def matches(self, fields: dict[str, Any]) -> bool:
        when = fields.get("time")
        if not isinstance(when, datetime) or when.tzinfo is None:
            return False
        if self.since is not None and when < self.since:
            return False
        return not (self.until is not None and when >= self.until)

    def __repr__(self) -> str:
        return f"TimeRange(since={self.since!r}, until={self.until!r})"


@dataclass(frozen=True)
class ScanKey(Query):
    """The scan's key is one of ``keys``."""

    keys: tuple[str, ...]

    def __init__(self, *keys: str) -> None:
        object.__setattr__(self, "keys", tuple(keys))

    def matches(self, fields: dict[str, Any]) -> bool:
        return fields.get("key") in self.keys


Test = Callable[[str, "ScanSummary"], bool]
"""A ``(key, summary) -> bool`` test of one scan."""


def as_test(query: Query | Callable[[ScanSummary], bool]) -> Test:
    """A ``(key, summary) -> bool`` test from a query object or a predicate over the summary."""
    if isinstance(query, Query):
        q = query
        return lambda key, summary: q.matches({**summary.model_dump(), "key": key})
    if callable(query):
        predicate = query
        return lambda key, summary: bool(predicate(summary))
    msg = f"search takes a query (nx5d_core.queries) or a predicate over the summary, got {query!r}"
    raise TypeError(msg)
