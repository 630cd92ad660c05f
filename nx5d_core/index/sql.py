"""Queries (:mod:`nx5d_core.queries`) as SQL over the index, with the same answers.

A query becomes a ``WHERE`` clause where SQL can give exactly the answer Python gives: comparisons
on the key, type, description, frame count and time columns; numeric comparisons on any summary
field (JSON numbers only, so text or booleans never compare with numbers); ``TimeRange`` on the
time as an instant; ``FullText`` through FTS5 on the words Python would find. What cannot be
translated (text comparisons on adapter fields that may hold times, ``Or`` of such parts, custom
query classes) is left as a residue that Python checks on the rows SQL returned.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from ..queries import (
    _WORD,
    And,
    Comparison,
    Contains,
    FullText,
    In,
    Or,
    Query,
    Regex,
    ScanKey,
    TimeRange,
    parse_time,
)

__all__ = ["Translation", "translate"]

_TEXT_COLUMNS = {"key": "key", "type": "type", "description": "description"}
_SQL_OPS = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_NEVER: tuple[str, list[Any]] = ("0", [])


@dataclass(frozen=True)
class Translation:
    """``where`` with its ``params``, and the part Python must still check (or ``None``)."""

    where: str
    params: list[Any]
    residue: Query | None


def _json_path(key: str) -> str:
    return '$."' + key.replace('"', '""') + '"'


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _comparison(q: Comparison) -> tuple[str, list[Any]] | None:
    op = _SQL_OPS.get(q.op)
    if op is None:
        return None
    if q.value is None:
        return _NEVER
    if isinstance(q.value, float) and not math.isfinite(q.value):
        return None  # NaN and infinities: Python's answer, not SQLite's
    if q.key == "time":
        try:
            instant = parse_time(q.value)
        except (ValueError, TypeError, AttributeError):
            return _NEVER
        return f"time_unix {op} ?", [instant.timestamp()]
    if q.key in _TEXT_COLUMNS:
        if not isinstance(q.value, str):
            return _NEVER
        return f"{_TEXT_COLUMNS[q.key]} {op} ?", [q.value]
    if q.key == "num_frames":
        return (f"num_frames {op} ?", [q.value]) if _number(q.value) else _NEVER
    if _number(q.value):
        path = _json_path(q.key)
        return (
            f"(json_type(summary, ?) IN ('integer', 'real') AND json_extract(summary, ?) {op} ?)",
            [path, path, q.value],
        )
    return None


def _in(q: In) -> tuple[str, list[Any]] | None:
    if q.key in _TEXT_COLUMNS:
        values: list[Any] = [v for v in q.values if isinstance(v, str)]
        column = _TEXT_COLUMNS[q.key]
    elif q.key == "num_frames":  # Python's ``in`` compares with ==: True == 1, 2.0 == 2
        values = [v for v in q.values if _number(v) or isinstance(v, bool)]
        values = [int(v) if isinstance(v, bool) else v for v in values]
        column = "num_frames"
    else:
        return None
    if not values:
        return _NEVER
    return f"{column} IN ({', '.join('?' * len(values))})", values


def _contains(q: Contains) -> tuple[str, list[Any]] | None:
    if q.key not in _TEXT_COLUMNS:
        return None
    if not isinstance(q.value, str):
        return _NEVER
    return f"instr(casefold({_TEXT_COLUMNS[q.key]}), ?) > 0", [q.value.casefold()]


def _full_text(q: FullText) -> tuple[str, list[Any]] | None:
    if q.fields != FullText.fields:
        return None
    words = [w.casefold() for w in _WORD.findall(q.text)]
    if not words:
        return "1", []
    match = " AND ".join('"' + w.replace('"', '""') + '"*' for w in words)
    return "id IN (SELECT rowid FROM scan_words WHERE scan_words MATCH ?)", [match]


def _part(q: Query) -> tuple[str, list[Any]] | None:
    """SQL for ``q`` as a whole, or ``None``."""
    if isinstance(q, Comparison):
        return _comparison(q)
    if isinstance(q, In):
        return _in(q)
    if isinstance(q, Contains):
        return _contains(q)
    if isinstance(q, Regex):
        if q.key not in _TEXT_COLUMNS:
            return None
        flags = 0 if q.case_sensitive else re.IGNORECASE
        try:
            re.compile(q.pattern, flags)
        except re.error:
            return None  # Python raises the pattern's error
        return f"nx5d_regexp(?, ?, {_TEXT_COLUMNS[q.key]})", [q.pattern, int(flags)]
    if isinstance(q, FullText):
        return _full_text(q)
    if isinstance(q, TimeRange):
        clauses, params = ["time_unix IS NOT NULL"], []
        if q.since is not None:
            clauses.append("time_unix >= ?")
            params.append(q.since.timestamp())
        if q.until is not None:
            clauses.append("time_unix < ?")
            params.append(q.until.timestamp())
        return " AND ".join(clauses), params
    if isinstance(q, ScanKey):
        if not q.keys:
            return _NEVER
        return f"key IN ({', '.join('?' * len(q.keys))})", list(q.keys)
    if isinstance(q, And | Or):
        parts = [_part(p) for p in q.parts]
        if any(p is None for p in parts):
            return None  # all or nothing: Python answers the whole combination
        done = [p for p in parts if p is not None]
        joiner, empty = (" OR ", "0") if isinstance(q, Or) else (" AND ", "1")
        return joiner.join(f"({w})" for w, _ in done) or empty, [x for _, ps in done for x in ps]
    return None


def translate(query: Query) -> Translation:
    """The SQL for as much of ``query`` as SQL answers exactly, and the residue for Python."""
    parts = list(query.parts) if isinstance(query, And) else [query]
    clauses: list[str] = []
    params: list[Any] = []
    residue: list[Query] = []
    for part in parts:
        sql = _part(part)
        if sql is None:
            residue.append(part)
        else:
            clauses.append(f"({sql[0]})")
            params.extend(sql[1])
    rest = None if not residue else residue[0] if len(residue) == 1 else And(tuple(residue))
    return Translation(" AND ".join(clauses) or "1", params, rest)
