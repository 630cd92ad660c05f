"""tiled queries -> nx5d queries, so a plain tiled client searches the summary index.

``Eq``/``NotEq``/``Comparison``/``In``/``NotIn``/``Contains``/``Regex``/``FullText``/
``KeysFilter`` map onto :mod:`nx5d_core.queries`; comparisons on ``time_unix`` become time
comparisons (instants). :class:`TimeRange` (ISO 8601 times, with or without a zone) is
registered with tiled under the name ``nx5d_time_range``: import it on the client to send it.
Databroker's own ``TimeRange`` (bluesky-tiled-plugins) holds the name ``time_range``: tiled's
query registry is one per process, and a user of both imports both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tiled.query_registration import register
from tiled.utils import UnsupportedQueryType

from .. import queries as q

__all__ = ["TimeRange", "translate"]


@register(name="nx5d_time_range")
@dataclass
class TimeRange:
    """Scans whose start time is in ``[since, until)``; times in ISO 8601 (a zone, or ``timezone``)."""

    since: str | None = None
    until: str | None = None
    timezone: str | None = None

    def encode(self) -> dict[str, Any]:
        return {"since": self.since, "until": self.until, "timezone": self.timezone}

    @classmethod
    def decode(
        cls, *, since: str | None = None, until: str | None = None, timezone: str | None = None
    ) -> TimeRange:
        return cls(since=since or None, until=until or None, timezone=timezone or None)


def _instant(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        msg = f"time_unix {value!r} is not a time (seconds since 1970): {exc}"
        raise ValueError(msg) from None


def translate(query: Any) -> q.Query:
    """The nx5d query for a tiled query; :class:`UnsupportedQueryType` for others.

    Raises
    ------
    tiled.queries.QueryValueError
        The query's values are not valid (a bad pattern, time, operator or number): tiled
        answers 400 with the message.
    """
    from tiled.queries import QueryValueError

    try:
        return _translate(query)
    except (ValueError, TypeError, OverflowError, LookupError) as exc:
        if isinstance(exc, QueryValueError | UnsupportedQueryType):
            raise
        msg = f"{type(query).__name__} query: {exc}"
        raise QueryValueError(msg) from exc


def _translate(query: Any) -> q.Query:
    from tiled import queries as tq

    if isinstance(query, TimeRange):
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(query.timezone) if query.timezone else None
        return q.TimeRange(since=query.since, until=query.until, timezone=zone)
    if isinstance(query, tq.FullText):
        return q.FullText(query.text)
    if isinstance(query, tq.KeysFilter):
        from .tree import framework_key

        return q.ScanKey(*(framework_key(k) for k in query.keys))
    if isinstance(query, tq.Eq | tq.NotEq | tq.Comparison):
        op = (
            "eq"
            if isinstance(query, tq.Eq)
            else "ne"
            if isinstance(query, tq.NotEq)
            else str(query.operator.value)
        )
        if query.key == "time_unix":
            if isinstance(query.value, bool) or not isinstance(query.value, int | float):
                msg = f"time_unix is compared with a number of seconds, got {query.value!r}"
                raise ValueError(msg)
            if op in {"ge", "gt"}:
                return _strict(q.TimeRange(since=_instant(query.value)), op, query.value)
            if op in {"le", "lt"}:  # TimeRange's end is excluded: one microsecond past it
                end = _instant(query.value) + timedelta(microseconds=1)
                return _strict(q.TimeRange(until=end), op, query.value)
        return q.Comparison(op, query.key, query.value)
    if isinstance(query, tq.In):
        return q.In(query.key, query.value)
    if isinstance(query, tq.NotIn):
        return _Not(q.In(query.key, query.value))
    if isinstance(query, tq.Contains):
        return q.Contains(query.key, query.value)
    if isinstance(query, tq.Regex):
        return q.Regex(query.key, query.pattern, case_sensitive=query.case_sensitive)
    raise UnsupportedQueryType(type(query).__name__)


@dataclass(frozen=True)
class _TimeUnix(q.Query):
    """The exact bound of a ``time_unix`` comparison (a TimeRange's ends are since <= t < until)."""

    op: str
    value: float

    def matches(self, fields: dict[str, Any]) -> bool:
        time = fields.get("time")
        if not isinstance(time, datetime):
            return False
        stamp = time.timestamp()
        return {
            "ge": stamp >= self.value,
            "gt": stamp > self.value,
            "le": stamp <= self.value,
            "lt": stamp < self.value,
        }[self.op]


def _strict(base: q.Query, op: str, value: Any) -> q.Query:
    return q.And((base, _TimeUnix(op, float(value))))


@dataclass(frozen=True)
class _Not(q.Query):
    part: q.Query

    def matches(self, fields: dict[str, Any]) -> bool:
        return not self.part.matches(fields)
