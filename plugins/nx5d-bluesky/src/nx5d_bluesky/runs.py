"""A Bluesky run's summary from its start and stop documents (no event is read), and the scan
keys of a proposal's runs: ``scan_id`` in time order, a repeated one as ``N.2``, ``N.3``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from nx5d_core import ScanSummary
from nx5d_core.errors import FormatError

from .errors import NotARunError

__all__ = ["RUNNING", "BlueskySummary", "number", "run_keys", "start_of", "summary_of"]

RUNNING = "running"
"""``exit_status`` of a run without a stop document: still being written (or its writer died)."""


class BlueskySummary(ScanSummary):
    """A run: ``type`` is the plan name, ``num_frames`` the primary stream's events so far."""

    uid: str
    scan_id: int | None = None
    plan_name: str = ""
    exit_status: str = RUNNING
    num_events: dict[str, int] = Field(default_factory=dict)
    detectors: list[str] = Field(default_factory=list)
    motors: list[str] = Field(default_factory=list)
    sample: str = ""


def start_of(metadata: Mapping[str, Any], *, where: str) -> Mapping[str, Any]:
    """The start document of a run's metadata.

    Raises
    ------
    NotARunError
        The node has no start document with a uid.
    """
    start = metadata.get("start")
    if not isinstance(start, Mapping) or not start.get("uid"):
        msg = f"{where} is not a Bluesky run: its metadata has no start document (keys: {sorted(metadata)[:8]})"  # fmt: skip
        raise NotARunError(msg)
    return start


def number(value: Any) -> float | None:
    """A start-document number (``time``, ``scan_id``), or ``None`` for anything else (text, a
    bool, missing): other writers than event-model's are not held to its schema."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _names(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def summary_of(key: str, metadata: Mapping[str, Any], *, where: str) -> BlueskySummary:
    """The summary of the run with ``metadata`` (its start and, if written, stop document)."""
    start = start_of(metadata, where=where)
    stop = metadata.get("stop") if isinstance(metadata.get("stop"), Mapping) else None
    events = {str(k): int(v) for k, v in (stop or {}).get("num_events", {}).items()}
    when = number(start.get("time"))
    if when is None and start.get("time") is not None:
        msg = f"{where}: the start document's time {start.get('time')!r} is not a number of seconds"
        raise FormatError(msg)
    sample = start.get("sample", "")
    scan_id = number(start.get("scan_id"))
    return BlueskySummary(
        key=key,
        type=str(start.get("plan_name", "")),
        num_frames=events.get("primary", 0),
        time=None if when is None else datetime.fromtimestamp(when, tz=UTC),
        description=str(start.get("description", start.get("reason", ""))),
        uid=str(start["uid"]),
        scan_id=None if scan_id is None else int(scan_id),
        plan_name=str(start.get("plan_name", "")),
        exit_status=RUNNING if stop is None else str(stop.get("exit_status", "")),
        num_events=events,
        detectors=_names(start.get("detectors")),
        motors=_names(start.get("motors")),
        sample=sample.get("name", str(sample)) if isinstance(sample, Mapping) else str(sample),
    )


def run_keys(runs: list[tuple[str, Mapping[str, Any]]]) -> dict[str, str]:
    """Scan key -> uid for ``(uid, start document)`` pairs, in time order: the ``scan_id``, or
    the uid's first 8 characters without one; a repeated key gets ``.2``, ``.3``..."""

    def order(run: tuple[str, Mapping[str, Any]]) -> tuple[int, float, str]:
        when = number(run[1].get("time"))  # a run without a usable time goes last
        return (0, when, run[0]) if when is not None else (1, 0.0, run[0])

    keys: dict[str, str] = {}
    seen: dict[str, int] = {}
    for uid, start in sorted(runs, key=order):
        scan_id = number(start.get("scan_id"))
        base = str(int(scan_id)) if scan_id is not None else uid[:8]
        seen[base] = seen.get(base, 0) + 1
        keys[base if seen[base] == 1 else f"{base}.{seen[base]}"] = uid
    return keys
