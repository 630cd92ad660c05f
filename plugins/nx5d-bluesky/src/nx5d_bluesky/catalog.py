"""Which runs of a tiled container make which proposal, asked of the server.

A run's proposal is its start document's ``proposal_field`` where that is set and not empty
(event-model's schema makes ``data_session`` a text defaulting to ``""``), else its
``fallback_field`` on the same terms, else :data:`UNASSIGNED`. Each proposal is a list of
*chains* of tiled queries (all of a chain must hold; the proposal is the union of its chains),
so that listing a proposal is one search per chain, on the server.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from .errors import NotARunError

__all__ = [
    "UNASSIGNED",
    "Recount",
    "is_run",
    "narrowed",
    "proposal_chains",
    "proposal_of",
    "runs_node",
]

UNASSIGNED = "unassigned"
"""The proposal of the runs whose start document has neither the proposal field nor the fallback."""


def _set(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and value == "")


def proposal_of(start: Mapping[str, Any], *, main: str, fallback: str) -> str:
    """The proposal key of the run with start document ``start``."""
    for field in (main, fallback):
        value = start.get(field)
        if _set(value):
            return str(value)
    return UNASSIGNED


def is_run(item: Mapping[str, Any]) -> bool:
    """Whether a tiled node's item (its JSON) is a Bluesky run."""
    specs = item.get("attributes", {}).get("specs") or []
    return any(isinstance(s, Mapping) and s.get("name") == "BlueskyRun" for s in specs)


def runs_node(client: Any, *, where: str) -> Any:
    """The runs of the container ``client`` (a search for a start document with a uid).

    Raises
    ------
    NotARunError
        ``client`` is one run, or not a container.
    """
    from tiled.queries import KeyPresent

    if is_run(client.item):
        msg = f"{where} is one Bluesky run, not a container of runs: open its parent"
        raise NotARunError(msg)
    if not hasattr(client, "search") or not hasattr(client, "distinct"):
        kind = client.item.get("attributes", {}).get("structure_family", "?")
        msg = f"{where} is a tiled {kind}, not a container of Bluesky runs"
        raise NotARunError(msg)
    return client.search(KeyPresent("start.uid"))


def narrowed(node: Any, queries: list[Any]) -> Any:
    """``node`` searched with each of ``queries`` (all must hold)."""
    for query in queries:
        node = node.search(query)
    return node


def _values(node: Any, field: str) -> list[Any]:
    found = node.distinct(field)["metadata"].get(field, [])
    return [v["value"] for v in found]


def _counted(node: Any, field: str) -> tuple[list[Any], int]:
    """The distinct values of ``field`` on the runs of ``node``, and the number of runs (the
    runs without the field are counted under the value ``None``)."""
    found = node.distinct(field, counts=True)["metadata"].get(field, [])
    return [v["value"] for v in found], sum(int(v.get("count") or 0) for v in found)


def _unset_chains(field: str, values: list[Any]) -> list[list[Any]]:
    """The chains of the runs without a value for ``field`` (its distinct ``values`` on them
    known): absent, or ``""``."""
    from tiled.queries import Key, KeyPresent

    chains: list[list[Any]] = [[KeyPresent(field, exists=False)]]
    if "" in values:
        chains.append([Key(field) == ""])
    return chains


def proposal_chains(
    runs: Any, *, main: str, fallback: str
) -> tuple[dict[str, list[list[Any]]], int]:
    """Proposal key -> the chains of tiled queries (on ``runs``) whose runs it holds, and the
    number of runs."""
    from tiled.queries import Key

    main, fallback = f"start.{main}", f"start.{fallback}"
    out: dict[str, list[list[Any]]] = {}
    values, total = _counted(runs, main)
    for value in values:
        if _set(value):
            out.setdefault(str(value), []).append([Key(main) == value])
    for chain in _unset_chains(main, values):
        without = narrowed(runs, chain)
        spare = _values(without, fallback)
        for value in spare:
            if _set(value):
                out.setdefault(str(value), []).append([*chain, Key(fallback) == value])
        for rest in _unset_chains(fallback, spare):
            if len(narrowed(without, rest)):
                out.setdefault(UNASSIGNED, []).append([*chain, *rest])
    return out, total


class Recount:
    """The number of runs a listing was made from, asked again of the server at most every
    ``every`` seconds: a different number means new (or deleted) runs, so list again."""

    def __init__(self, count: Callable[[], int], *, seen: int) -> None:
        self._count = count
        self._at = time.monotonic()
        self._seen = seen

    def moved(self, *, every: float) -> bool:
        """Whether the number of runs changed (``False`` when asked within ``every`` s)."""
        if time.monotonic() - self._at < every:
            return False
        now = self._count()
        self._at = time.monotonic()
        return now != self._seen
