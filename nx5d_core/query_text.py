"""Queries written as text, for the command line: ``type == 'ascan' and time > '2021-02-05'``.

The grammar is a small, safe subset of Python expressions (parsed with :mod:`ast`, never
evaluated): ``field OP literal`` with ``== != < <= > >=``, ``field in [literals]``,
``text('InP 333')``, ``contains(field, 'text')``, ``regex(field, 'pattern')``,
``since('2021-02-05')``, ``until('...')``, combined with ``and``, ``or`` and parentheses.
"""

from __future__ import annotations

import ast
from typing import Any

from .errors import Nx5dError
from .queries import Comparison, Contains, FullText, In, Query, Regex, TimeRange

__all__ = ["QuerySyntaxError", "parse_query"]

_OPS: dict[type[ast.cmpop], str] = {
    ast.Eq: "eq",
    ast.NotEq: "ne",
    ast.Lt: "lt",
    ast.LtE: "le",
    ast.Gt: "gt",
    ast.GtE: "ge",
}
_HELP = (
    "write e.g. \"type == 'ascan' and time > '2021-02-05'\", \"num_frames >= 100\", "
    "\"type in ['ascan', 'dscan']\", \"text('InP 333')\", \"contains(description, 'InP')\", "
    "\"regex(key, '^r1')\", \"since('2021-02-05') and until('2021-02-06')\""
)


class QuerySyntaxError(Nx5dError, ValueError):
    """The text is not a query of this grammar; the message shows the grammar."""


def _fail(text: str, why: str) -> QuerySyntaxError:
    return QuerySyntaxError(f"cannot read the query {text!r}: {why}; {_HELP}")


def _literal(node: ast.expr, text: str) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise _fail(text, f"{ast.unparse(node)!r} is not a literal (quote text values)") from None


def _field(node: ast.expr, text: str) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    raise _fail(text, f"{ast.unparse(node)!r} is not a field name")


def _call(node: ast.Call, text: str) -> Query:
    name = node.func.id if isinstance(node.func, ast.Name) else ""
    args = node.args
    if node.keywords:
        raise _fail(text, f"{name}() takes no keyword arguments")
    if name == "text" and len(args) == 1:
        return FullText(str(_literal(args[0], text)))
    if name in {"contains", "regex"} and len(args) == 2:
        field, value = _field(args[0], text), _literal(args[1], text)
        return Contains(field, value) if name == "contains" else Regex(field, str(value))
    if name in {"since", "until"} and len(args) == 1:
        bound = _literal(args[0], text)
        return TimeRange(since=bound) if name == "since" else TimeRange(until=bound)
    raise _fail(text, f"unknown function {ast.unparse(node.func)!r} or wrong arguments")


def _query(node: ast.expr, text: str) -> Query:
    if isinstance(node, ast.BoolOp):
        parts = [_query(v, text) for v in node.values]
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part if isinstance(node.op, ast.And) else combined | part
        return combined
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        op, right = node.ops[0], node.comparators[0]
        if isinstance(op, ast.In):
            values = _literal(right, text)
            if not isinstance(values, list | tuple | set):
                raise _fail(text, "'in' needs a list of values")
            return In(_field(node.left, text), values)
        if type(op) in _OPS:
            return Comparison(_OPS[type(op)], _field(node.left, text), _literal(right, text))
    if isinstance(node, ast.Compare):
        raise _fail(text, "one comparison at a time: write 'a < x and x < b'")
    if isinstance(node, ast.Call):
        return _call(node, text)
    raise _fail(text, f"{ast.unparse(node)!r} is not a condition")


def parse_query(text: str) -> Query:
    """The :class:`~nx5d_core.queries.Query` that ``text`` writes.

    Raises
    ------
    QuerySyntaxError
        ``text`` is not in the grammar (the message shows examples).
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise _fail(text, f"not an expression ({exc.msg})") from None
    return _query(tree.body, text)
