"""Small timing helpers shared by the benchmarks: medians over repeats, peak RSS in a child."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_time(func: Callable[[], object], *, repeat: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``func`` in seconds."""
    for _ in range(warmup):
        func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_times(*funcs: Callable[[], object], repeat: int = 15) -> list[float]:
    """Median wall time of each of ``funcs``, run in turn (A, B, A, B, ...) so that a burst of
    load on this shared machine falls on both sides of a ratio alike."""
    for func in funcs:
        func()
    times: list[list[float]] = [[] for _ in funcs]
    for _ in range(repeat):
        for func, spent in zip(funcs, times, strict=True):
            start = time.perf_counter()
            func()
            spent.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def report(name: str, value: float, *, unit: str = "s", target: str = "") -> None:
    """Print one result line."""
    print(f"{name:<58} {value:10.4f} {unit:<4} {target}")
