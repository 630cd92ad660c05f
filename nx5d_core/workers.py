"""What runs in a worker of :func:`nx5d_core.many.cook_many`: one task per scan.

A task gets a scan (a few hundred bytes: its repository's URL and options, the keys), the spice
view the caller resolved and how to cook; it returns the cooked Dataset, or writes it to a NeXus
file on the worker and returns only the path, so large results never travel back.

dask.distributed's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which turns off
glibc's adaptive mmap threshold: every array above 128 KiB is then a fresh ``mmap`` whose pages
fault in one by one, and a numpy-heavy cook runs about 3x slower than in a plain process
(measured on the RSM recipe: 0.44 s against 1.37 s). While a cook runs, the worker keeps its
heap as a plain process does (:func:`held_heap`), also between the tasks of a queue and between
the ``cook_many`` calls of a script: a heap given back makes the next call's first task on every
worker fault its pages in again (0.5-0.8 s per worker on the RSM recipe). Once no cook has run
for ``NX5D_HEAP_HOLD`` seconds (default 30), or at once when the worker is above half its memory
limit, the worker's own setting is back and the freed memory is returned, as dask intends.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import xarray as xr

    from .scan import Scan
    from .spice.view import SpiceView

__all__ = ["HOLD_ENV", "CookHow", "cook_task", "cook_to_file", "held_heap"]
logger = logging.getLogger(__name__)

_M_TRIM_THRESHOLD = -1  # glibc malloc.h
_M_MMAP_THRESHOLD = -3
_HELD_MMAP = 32 << 20  # glibc's own ceiling for the adaptive threshold (64-bit)
_HELD_TRIM = 1 << 30
_DEFAULT_MMAP = 128 << 10
_TRIM_ENV = "MALLOC_TRIM_THRESHOLD_"


@dataclass(frozen=True)
class CookHow:
    """How each task cooks: from ``lazy()`` or ``raw``, with the adapter's cook or a recipe."""

    lazy: bool = False
    recipe: str | None = None


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """glibc, when this process runs on it and has ``mallopt`` (elsewhere: ``None``)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


class _Heap:
    """The cooks running in this process that hold the heap (threads share it), and the timer
    that gives the heap back once none has run for ``NX5D_HEAP_HOLD`` seconds."""

    lock = threading.Lock()
    holders = 0
    held = False
    release: threading.Timer | None = None


HOLD_ENV = "NX5D_HEAP_HOLD"
_HOLD_DEFAULT = 30.0
"""Seconds without a cook before the heap goes back: a worker busy with a queue of tasks, or
with one ``cook_many`` call after another, keeps its pages; an idle worker returns them."""


def _hold_seconds() -> float:
    text = os.environ.get(HOLD_ENV, "")
    try:
        seconds = float(text) if text else _HOLD_DEFAULT
    except ValueError:
        logger.warning("%s=%r is not a number of seconds: %s s", HOLD_ENV, text, _HOLD_DEFAULT)
        return _HOLD_DEFAULT
    return max(0.0, seconds)


def _memory_limit() -> int | None:
    """The memory limit of the dask worker this runs in (bytes), else ``None``."""
    try:
        from distributed import get_worker
    except ImportError:
        return None
    try:
        limit = get_worker().memory_manager.memory_limit
    except ValueError:  # not in a worker
        return None
    return int(limit) if limit else None


def _near_limit() -> bool:
    """Whether this process holds more than half its worker's memory limit (Linux ``/proc``)."""
    limit = _memory_limit()
    if limit is None:
        return False
    try:
        rss = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return False
    return rss * 2 > limit


@contextlib.contextmanager
def held_heap() -> Iterator[None]:
    """Keep freed memory for reuse while cooks run, when ``MALLOC_TRIM_THRESHOLD_`` asked
    glibc to return it at once (dask's workers do); the setting is restored, and the memory
    returned, when no cook has run for ``NX5D_HEAP_HOLD`` seconds (at once above half the
    worker's memory limit).
    """
    trim = os.environ.get(_TRIM_ENV, "")
    libc = _libc() if trim.isdigit() else None
    if libc is None:
        yield
        return
    with _Heap.lock:
        _Heap.holders += 1
        if _Heap.release is not None:
            _Heap.release.cancel()
            _Heap.release = None
        if not _Heap.held:
            libc.mallopt(_M_TRIM_THRESHOLD, _HELD_TRIM)
            libc.mallopt(_M_MMAP_THRESHOLD, _HELD_MMAP)
            _Heap.held = True
    try:
        yield
    finally:
        with _Heap.lock:
            _Heap.holders -= 1
            if _Heap.holders == 0:
                wait = 0.0 if _near_limit() else _hold_seconds()
                timer = threading.Timer(wait, _give_back, args=(libc, int(trim)))
                timer.daemon = True
                _Heap.release = timer
                timer.start()


def _give_back(libc: ctypes.CDLL, trim: int) -> None:
    """The worker's own malloc setting back and the free memory returned (no cook running)."""
    with _Heap.lock:
        if _Heap.holders or not _Heap.held:
            return
        libc.mallopt(_M_MMAP_THRESHOLD, _DEFAULT_MMAP)
        libc.mallopt(_M_TRIM_THRESHOLD, trim)
        libc.malloc_trim(0)
        _Heap.held = False
        _Heap.release = None


def cook_task(scan: Scan, view: SpiceView, how: CookHow) -> xr.Dataset:
    """One task: cook ``scan`` with the view resolved by the caller (computed, not lazy).

    Dask work inside the task runs on the worker's own threads: inside a dask.distributed
    worker it would otherwise be sent back to the scheduler as thousands of tiny tasks.
    """
    import dask

    with held_heap(), dask.config.set(scheduler="threads"):
        cooked = scan.cook(view=view, lazy=how.lazy, recipe=how.recipe)
        return cooked.compute() if how.lazy else cooked


def cook_to_file(scan: Scan, view: SpiceView, how: CookHow, target: str, overwrite: bool) -> str:
    """One task that writes: cook ``scan`` and write it as NeXus to ``target`` (a path the
    worker sees); only the path travels back.

    Raises
    ------
    FileExistsError
        ``target`` exists and ``overwrite`` is false (it is left as it was).
    """
    from nx5d_hdf5.writer import write_nexus

    cooked = cook_task(scan, view, how)
    return str(write_nexus(cooked, path=Path(target), overwrite=overwrite))
