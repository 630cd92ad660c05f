"""Cooking many scans at once: one task per scan on a process pool or a dask.distributed cluster.

Spice views are resolved once, in the calling process (one sweep over the proposal), and shipped
with each task, so every result's provenance names exactly the records it was cooked with. Results
stream back as they finish, as ``(key, outcome)`` pairs where the outcome is the cooked Dataset or
the exception; one failing scan never cancels the others.

Without ``client`` (and without ``NX5D_SCHEDULER``) a local process pool runs the tasks; with a
``distributed.Client`` or ``NX5D_SCHEDULER=tcp://host:port`` that cluster does, with retries for
tasks whose worker died.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import xarray as xr

    from .scan import Scan
    from .spice.view import SpiceView

__all__ = ["SCHEDULER_ENV", "cook_many", "stack_cooked"]
logger = logging.getLogger(__name__)

SCHEDULER_ENV = "NX5D_SCHEDULER"
Outcome = tuple[str, "xr.Dataset | BaseException"]


@dataclass(frozen=True)
class CookHow:
    """How each task cooks: from ``lazy()`` or ``raw``, with the adapter's cook or a recipe."""

    lazy: bool = False
    recipe: str | None = None


def _cook_task(scan: Scan, view: SpiceView, how: CookHow) -> xr.Dataset:
    """One task: cook ``scan`` with the view resolved by the caller (computed, not lazy).

    Dask work inside the task runs on the worker's own threads: inside a dask.distributed
    worker it would otherwise be sent back to the scheduler as thousands of tiny tasks.
    """
    import dask

    with dask.config.set(scheduler="threads"):
        cooked = scan.cook(view=view, lazy=how.lazy, recipe=how.recipe)
        return cooked.compute() if how.lazy else cooked


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


def cook_many(
    scans: Iterable[Scan],
    *,
    client: Any = None,
    lazy: bool = False,
    recipe: str | None = None,
    progress: bool | None = None,
    workers: int | None = None,
    retries: int = 2,
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
    retries
        How often a cluster re-runs a task whose worker died.
    """
    items = list(scans)
    if not items:
        return
    views = _views(items)  # before any task starts: every result's provenance is exact
    several = len({id(s.proposal) for s in items}) > 1
    labels = [_label(s, several) for s in items]
    from .progress import progress_bar

    how = CookHow(lazy=lazy, recipe=recipe)
    bar = progress_bar(total=len(items), desc="cooking", unit="scan", show=progress)
    cluster = _client(client)
    try:
        if cluster is not None:
            yield from _on_cluster(cluster, items, views, labels, how, retries, bar)
        else:
            yield from _on_pool(items, views, labels, how, workers, bar)
    finally:
        bar.close()
        if cluster is not None and client is None:  # made here from NX5D_SCHEDULER: ours to close
            cluster.close()


_SCRIPT_HINT = (
    "the worker processes start by importing the main script: if cook_many runs from a "
    'script, call it under `if __name__ == "__main__":` (the worker log above says so when '
    "that is the cause)"
)


def _on_pool(
    items: list[Scan],
    views: dict[int, SpiceView],
    labels: list[str],
    how: CookHow,
    workers: int | None,
    bar: Any,
) -> Iterator[Outcome]:
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # no forked copies of threads and handles
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures: dict[Future[Any], int] = {
            pool.submit(_cook_task, scan, views[n], how): n for n, scan in enumerate(items)
        }
        for future in as_completed(futures):
            n = futures[future]
            bar.update(1)
            error = future.exception()
            if isinstance(error, BrokenProcessPool) and _SCRIPT_HINT not in getattr(error, "__notes__", []):  # fmt: skip
                error.add_note(_SCRIPT_HINT)
            if error is not None:
                notes = "".join(f" ({note})" for note in getattr(error, "__notes__", []))
                logger.warning("cooking %s failed: %s: %s%s", labels[n], type(error).__name__, error, notes)  # fmt: skip
                yield labels[n], error
            else:
                yield labels[n], future.result()


def _on_cluster(
    client: Any,
    items: list[Scan],
    views: dict[int, SpiceView],
    labels: list[str],
    how: CookHow,
    retries: int,
    bar: Any,
) -> Iterator[Outcome]:
    from distributed import as_completed as finished

    futures = {
        client.submit(
            _cook_task,
            scan,
            views[n],
            how,
            key=f"nx5d-cook-{labels[n]}-{id(items)}",
            retries=retries,
        ): n
        for n, scan in enumerate(items)
    }
    for future in finished(futures):  # type: ignore[no-untyped-call]
        n = futures[future]
        bar.update(1)
        if future.status == "error":
            error = future.exception()
            logger.warning("cooking %s failed: %s: %s", labels[n], type(error).__name__, error)
            yield labels[n], error
        else:
            yield labels[n], future.result()
        future.release()


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
