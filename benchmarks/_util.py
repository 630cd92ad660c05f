"""Small timing helpers shared by the benchmarks: medians over repeats, peak RSS in a child."""

from __future__ import annotations

import os
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path


def compiled_bytecode() -> None:
    """Write the bytecode of nx5d_core and the plugins, as an installed package has it.

    Fresh-process measures (a listing, ``nx5d ls``, a cold ``lazy()``) otherwise time the
    compilation of every module where the environment sets ``PYTHONDONTWRITEBYTECODE`` (these
    machines do): 0.05-0.1 s per process that a user's installation never pays.
    """
    import compileall

    here = Path(__file__).resolve().parent.parent
    for folder in [here / "nx5d_core", *sorted(here.glob("plugins/*/src"))]:
        compileall.compile_dir(folder, quiet=1)


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


RESULTS: list[tuple[str, str, float, str, str, str]] = []
"""Every reported result of this process: (benchmark, measure, value, unit, target, what a ratio
compares: ``"ours vs reference"`` or '')."""
CURRENT = ""
"""The benchmark running now (set by run_all.py)."""
_TARGET = re.compile(r"(<=|>=|<|>)\s*([0-9.]+)\s*(x|ms|s|%)?")
_SCALE = {"ms": 1e-3, "s": 1.0}


def target_met(value: float, unit: str, target: str) -> str:
    """``"met"``, ``"NOT met"`` or ``""`` (no numeric target) for ``value`` against ``target``."""
    found = _TARGET.search(target)
    if found is None:
        return ""
    op, bound_text, bound_unit = found.groups()
    bound = float(bound_text)
    if bound_unit in _SCALE and unit in _SCALE:
        bound *= _SCALE[bound_unit] / _SCALE[unit]
    ok = {"<=": value <= bound, "<": value < bound, ">=": value >= bound, ">": value > bound}[op]
    return "met" if ok else "NOT met"


def _seconds(value: float) -> str:
    return f"{value * 1e3:.1f} ms" if value < 1 else f"{value:.2f} s"


def report(
    name: str,
    value: float,
    *,
    unit: str = "s",
    target: str = "",
    pair: tuple[float, float] | None = None,
) -> None:
    """Print one result line (and keep it for the summary table of run_all.py); a ratio passes
    ``pair``: the two times it divides, ours first, shown beside it in the table."""
    print(f"{name:<58} {value:10.4f} {unit:<4} {target}")
    compared = "" if pair is None else f"{_seconds(pair[0])} vs {_seconds(pair[1])}"
    RESULTS.append((CURRENT, name, value, unit, target, compared))


def summary_table() -> str:
    """Every result with a target: measure, value, target, met, and the load seen."""
    load = os.getloadavg()
    rows = [r for r in RESULTS if r[4]]
    lines = [f"summary: {len(rows)} results with a target (load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f})"]  # fmt: skip
    lines.append(f"{'benchmark':<16} {'measure':<58} {'value':>10} {'unit':<4} {'met':<8} {'target':<20} ours vs reference")  # fmt: skip
    for bench, name, value, unit, target, compared in rows:
        lines.append(f"{bench:<16} {name.strip()[:58]:<58} {value:10.4f} {unit:<4} {target_met(value, unit, target):<8} {target:<20} {compared}")  # fmt: skip
    return "\n".join(lines)


compiled_bytecode()  # every benchmark imports this module before it measures anything
