"""Cooking many scans at once: one task per scan on a process pool or a dask.distributed cluster.

Spice views are resolved once, in the calling process (one sweep over the proposal), and shipped
with each task, so every result's provenance names exactly the records it was cooked with. Results
stream back as they finish, as ``(key, outcome)`` pairs where the outcome is the cooked Dataset (or,
with :func:`cook_many_to_files`, the file a worker wrote) or the exception; one failing scan never
cancels the others, and a scan that raises is not run again (only a task whose worker died is,
as the scheduler's ``distributed.scheduler.allowed-failures`` says).

Without ``client`` (and without ``NX5D_SCHEDULER``) a local process pool runs the tasks. The pool
stays up between calls, so its workers keep their imports (a recipe's xrayutilities takes 3 s);
it is replaced when the worker count, ``sys.path``, the environment or the installed plugins
change, and :func:`close_pool` ends it. With a ``distributed.Client`` or
``NX5D_SCHEDULER=tcp://host:port`` that cluster does the work; what runs in a worker is in
:mod:`nx5d_core.workers`.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .workers import CookHow, cook_task, cook_to_file

if TYPE_CHECKING:
    import xarray as xr

    from .scan import Scan
    from .spice.view import SpiceView

__all__ = ["SCHEDULER_ENV", "close_pool", "cook_many", "cook_many_to_files", "stack_cooked", "target_file"]  # fmt: skip
logger = logging.getLogger(__name__)

SCHEDULER_ENV = "NX5D_SCHEDULER"
Outcome = tuple[str, "xr.Dataset | BaseException"]
T = TypeVar("T")


def _views(scans: Sequence[Scan]) -> dict[int, SpiceView]:
    """Every scan's view, one sweep per proposal."""
    out: dict[int, SpiceView] = {}
    by_proposal: dict[int, list[int]] = {}
    for n, scan in enumerate(scans):
        by_proposal.setdefault(id(scan.proposal), []).append(n)
    for positions in by_proposal.values():
        proposal = scans[positions[0]].proposal
        views = proposal.spice.views([scans[n].key for n in positions])
        for n in positions:
            out[n] = views[scans[n].key]
    return out


def _label(scan: Scan, many_proposals: bool) -> str:
    return f"{scan.proposal.key}/{scan.key}" if many_proposals else scan.key


def _client(client: Any) -> Any:
    if client is not None:
        return client
    address = os.environ.get(SCHEDULER_ENV)
    if not address:
        return None
    try:
        from distributed import Client
    except ImportError:
        msg = f"{SCHEDULER_ENV}={address} needs dask.distributed: pip install 'nx5d-core[distributed]'"
        raise RuntimeError(msg) from None
    return Client(address)  # type: ignore[no-untyped-call]


def target_file(scan: Scan, folder: Path) -> Path:
    """The NeXus file :func:`cook_many_to_files` writes for ``scan``: ``PROPOSAL-SCAN.nxs``."""
    return folder / f"{scan.proposal.key}-{scan.key}.nxs"


def cook_many(
    scans: Iterable[Scan],
    *,
    client: Any = None,
    lazy: bool = False,
    recipe: str | None = None,
    progress: bool | None = None,
    workers: int | None = None,
) -> Iterator[Outcome]:
    """Cook ``scans``, one task each; yield ``(key, Dataset or exception)`` as tasks finish.

    Keys are scan keys, or ``proposal/scan`` when the scans come from several proposals.

    Parameters
    ----------
    client
        A ``distributed.Client``; default: ``$NX5D_SCHEDULER`` if set, else a local process pool.
    lazy
        Cook from ``scan.lazy()`` (dask in, dask out) and compute in the task: scans larger than
        a worker's memory stream through.
    recipe
        An installed recipe to cook with (default: each adapter's own cook step).
    progress
        A progress bar (``None``: when interactive and slower than a second).
    workers
        Processes of the local pool (default: the machine's cores).
    """
    how = CookHow(lazy=lazy, recipe=recipe)
    yield from _run(scans, client=client, progress=progress, workers=workers,
                    task=cook_task, extra=lambda scan: (how,))  # fmt: skip


def cook_many_to_files(
    scans: Iterable[Scan],
    *,
    folder: Path,
    overwrite: bool = False,
    client: Any = None,
    lazy: bool = False,
    recipe: str | None = None,
    progress: bool | None = None,
    workers: int | None = None,
) -> Iterator[tuple[str, Path | BaseException]]:
    """Cook ``scans`` as :func:`cook_many` does, each worker writing its result to
    :func:`target_file` in ``folder`` (a path the workers see); yield ``(key, path or
    exception)``. Only paths travel back. An existing file is an error for that scan
    (``FileExistsError``, the file left as it was) unless ``overwrite``.
    """
    how = CookHow(lazy=lazy, recipe=recipe)
    for key, outcome in _run(
        scans, client=client, progress=progress, workers=workers, task=cook_to_file,
        extra=lambda scan: (how, str(target_file(scan, folder)), overwrite),
    ):  # fmt: skip
        yield key, outcome if isinstance(outcome, BaseException) else Path(outcome)


def _run(
    scans: Iterable[Scan],
    *,
    client: Any,
    progress: bool | None,
    workers: int | None,
    task: Callable[..., T],
    extra: Callable[[Scan], tuple[Any, ...]],
) -> Iterator[tuple[str, T | BaseException]]:
    """``task(scan, view, *extra(scan))`` for every scan, on the pool or the cluster."""
    items = list(scans)
    if not items:
        return
    views = _views(items)  # before any task starts: every result's provenance is exact
    several = len({id(s.proposal) for s in items}) > 1
    labels = [_label(s, several) for s in items]
    calls = [(scan, views[n], *extra(scan)) for n, scan in enumerate(items)]
    from .progress import progress_bar

    bar = progress_bar(total=len(items), desc="cooking", unit="scan", show=progress)
    cluster = _client(client)
    try:
        if cluster is not None:
            outcomes = _on_cluster(cluster, task, calls, labels, tag=id(items))
        else:
            outcomes = _on_pool(task, calls, workers)
        for n, outcome in outcomes:
            bar.update(1)
            if isinstance(outcome, BaseException):
                notes = "".join(f" ({note})" for note in getattr(outcome, "__notes__", []))
                logger.warning("cooking %s failed: %s: %s%s", labels[n], type(outcome).__name__, outcome, notes)  # fmt: skip
            yield labels[n], outcome
    finally:
        bar.close()
        if cluster is not None and client is None:  # made here from NX5D_SCHEDULER: ours to close
            cluster.close()


_SCRIPT_HINT = (
    "the worker processes start by importing the main script: if cook_many runs from a "
    'script, call it under `if __name__ == "__main__":` (the worker log above says so when '
    "that is the cause)"
)


class _Pool:
    """The local process pool kept between calls, with what it was started under."""

    executor: ProcessPoolExecutor | None = None
    started_under: tuple[Any, ...] = ()


def _conditions(workers: int | None) -> tuple[Any, ...]:
    """What spawned workers took from this process when they started: a change means stale
    workers (a plugin installed since, another ``sys.path``, another environment)."""
    from .plugins import plugins_generation

    return (workers, tuple(sys.path), tuple(sorted(os.environ.items())), plugins_generation())


def close_pool() -> None:
    """End the local process pool of :func:`cook_many` (it also ends when Python exits)."""
    if _Pool.executor is not None:
        _Pool.executor.shutdown(wait=True, cancel_futures=True)
    _Pool.executor = None


atexit.register(close_pool)


def _pool(workers: int | None) -> ProcessPoolExecutor:
    import multiprocessing

    now = _conditions(workers)
    if _Pool.executor is not None and _Pool.started_under != now:
        logger.info("starting a new process pool: the workers, environment or plugins changed")
        close_pool()
    if _Pool.executor is None:
        context = multiprocessing.get_context("spawn")  # no forked copies of threads and handles
        _Pool.executor = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        _Pool.started_under = now
    return _Pool.executor


def _on_pool(
    task: Callable[..., T], calls: list[tuple[Any, ...]], workers: int | None
) -> Iterator[tuple[int, T | BaseException]]:
    pool = _pool(workers)
    futures: dict[Future[T], int] = {}
    try:
        for n, args in enumerate(calls):
            futures[pool.submit(task, *args)] = n
        for future in as_completed(futures):
            error = future.exception()
            if isinstance(error, BrokenProcessPool):
                close_pool()  # a dead pool is not reused
                if _SCRIPT_HINT not in getattr(error, "__notes__", []):
                    error.add_note(_SCRIPT_HINT)
            yield futures[future], (future.result() if error is None else error)
    finally:
        for future in futures:  # the caller stopped early: the rest is not wanted
            future.cancel()


def _on_cluster(
    client: Any,
    task: Callable[..., T],
    calls: list[tuple[Any, ...]],
    labels: list[str],
    *,
    tag: int,
) -> Iterator[tuple[int, T | BaseException]]:
    from distributed import as_completed as finished

    futures = {
        client.submit(task, *args, key=f"nx5d-cook-{labels[n]}-{tag}", retries=0): n
        for n, args in enumerate(calls)
    }
    try:
        for future in finished(futures):  # type: ignore[no-untyped-call]
            n = futures[future]
            if future.status == "error":
                yield n, future.exception()
            else:
                yield n, future.result()
            future.release()
    finally:
        client.cancel([f for f in futures if f.status == "pending"])


def stack_cooked(outcomes: Iterable[Outcome], *, dim: str = "scan") -> xr.Dataset:
    """The successful results stacked along ``dim`` (coordinate: the keys, in the order given).

    Raises
    ------
    ValueError
        Nothing succeeded, or results differ in variables or shapes (the message names them).
    """
    import xarray as xr

    done = [(key, result) for key, result in outcomes if isinstance(result, xr.Dataset)]
    if not done:
        msg = "no cooked result to stack: every scan failed (or none was given)"
        raise ValueError(msg)
    first_key, first = done[0]
    shape = {name: var.shape for name, var in first.data_vars.items()}
    for key, result in done[1:]:
        other = {name: var.shape for name, var in result.data_vars.items()}
        if other != shape:
            msg = (
                f"cooked results do not stack along {dim!r}: scan {first_key!r} has {shape}, "
                f"scan {key!r} has {other}"
            )
            raise ValueError(msg)
    stacked = xr.concat(
        [r.drop_attrs(deep=False) for _, r in done], dim=dim, coords="minimal", compat="override"
    )
    stacked = stacked.assign_coords({dim: [k for k, _ in done]})
    provenance = {
        k: {a: str(v) for a, v in r.attrs.items() if a.startswith("nx5d_")} for k, r in done
    }
    stacked.attrs["nx5d_scans"] = ",".join(k for k, _ in done)
    stacked.attrs["nx5d_provenance"] = json.dumps(provenance, sort_keys=True)
    return stacked
