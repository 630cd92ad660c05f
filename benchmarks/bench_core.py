"""Core benchmarks: `import nx5d_core` wall time; HTML repr of a 5,000-scan proposal; what a
user waits for in a fresh process: ``lazy()`` and its first frame of the 5,187-frame UDKM scan
(next to the imports it cannot avoid: xarray and dask.array), and ``nx5d ls``/``show`` of a scan.

Run: .venv/bin/python benchmarks/bench_core.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import median_time, report


def import_time() -> None:
    def run(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - start

    base = median_time(lambda: run("pass"), repeat=7)
    ours = median_time(lambda: run("import nx5d_core"), repeat=7)
    xr = median_time(lambda: run("import xarray"), repeat=5)
    heavy = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, nx5d_core; print(sorted(m for m in ('xarray','pandas','numpy','dask','pydantic','fsspec','nx5d_memory') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    report(
        "import nx5d_core (minus bare interpreter start)", ours - base, target="target <= 0.25 s"
    )
    report("import xarray (minus bare interpreter start), for scale", xr - base)
    print(f"{'heavy modules imported by `import nx5d_core`':<58} {heavy}")


def html_repr() -> None:
    import numpy as np
    import xarray as xr
    from nx5d_memory import MemoryRepository

    data = {
        "p": {
            f"r{i}": xr.Dataset(
                {"c": ("t", np.arange(3))}, attrs={"type": "rocking", "description": f"scan {i}"}
            )
            for i in range(5000)
        }
    }

    def ours() -> None:
        repo = MemoryRepository.from_dict(data)
        html = repo["p"]._repr_html_()
        assert html.count("<tr>") == 5001

    def pandas_reference() -> None:
        repo = MemoryRepository.from_dict(data)
        repo["p"].table().to_html()

    t_ours = median_time(ours, repeat=5)
    t_ref = median_time(pandas_reference, repeat=5)
    report("HTML repr of a 5,000-scan proposal (cold caches)", t_ours, target="target < 0.5 s")
    report("same summaries through pandas DataFrame.to_html", t_ref)
    report("ratio ours / pandas", t_ours / t_ref, unit="x")


COLD = """
import sys, time
{block}
import nx5d_core
start = time.perf_counter()
lazy = nx5d_core.open_repository(sys.argv[1])["20210205"]["091726"].lazy()
opened = time.perf_counter()
lazy["images"][2000].values
print(opened - start, time.perf_counter() - opened)
"""
IMPORTS = """
import sys, time
{block}
import nx5d_core
start = time.perf_counter()
import xarray, dask.array
print(time.perf_counter() - start, 0.0)
"""
NO_SPARSE = "sys.modules['sparse'] = None  # as without tiled[server], which installs sparse and numba"


def _child(code: str, root: Path) -> tuple[float, float]:
    env = {**os.environ, "NX5D_INDEX": "off"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(root)], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), float(out[1])


def cold_first_frame() -> None:
    from bench_udkm import sample

    root = sample(5187, "zlib").parent.parent
    runs = {
        "cold": COLD.format(block=""),
        "imports": IMPORTS.format(block=""),
        "cold, no sparse": COLD.format(block=NO_SPARSE),
        "imports, no sparse": IMPORTS.format(block=NO_SPARSE),
    }
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in runs}
    for _ in range(5):  # in turn, so load falls on all alike
        for name, code in runs.items():
            times[name].append(_child(code, root))
    med = {k: (statistics.median(a for a, _ in v), statistics.median(b for _, b in v)) for k, v in times.items()}  # fmt: skip
    lazy, frame = med["cold"]
    report("fresh process: lazy() + first frame, above import nx5d_core", lazy + frame, target="target <= 0.5 s")  # fmt: skip
    report("  of which lazy() (open, imports, graph)", lazy)
    report("  of which the first frame (dask imports distributed to look for a client)", frame)
    report("  reference: import xarray + dask.array in a fresh process", med["imports"][0])
    report("  lazy() + frame / those imports", (lazy + frame) / med["imports"][0], unit="x", pair=(lazy + frame, med["imports"][0]))
    report("  without sparse installed: lazy() + first frame", sum(med["cold, no sparse"]))
    report("  without sparse installed: import xarray + dask.array", med["imports, no sparse"][0])


def cli_calls() -> None:
    from bench_udkm import sample

    root = sample(5187, "zlib").parent.parent
    nx5d = Path(sys.executable).with_name("nx5d")
    env = {**os.environ, "NX5D_INDEX": "off"}

    def run(*args: str) -> float:
        start = time.perf_counter()
        subprocess.run([str(nx5d), *args], env=env, capture_output=True, check=True)
        return time.perf_counter() - start

    base = median_time(lambda: run("--help"), repeat=5)
    t_ls = median_time(lambda: run("ls", str(root), "20210205", "091726"), repeat=5)
    t_show = median_time(lambda: run("show", str(root), "20210205", "091726"), repeat=5)
    report("nx5d ls ROOT PROPOSAL SCAN (process wall)", t_ls, target="target <= 1 s")
    report("nx5d show ROOT PROPOSAL SCAN (process wall)", t_show, target="target <= 1 s")
    report("  reference: nx5d --help (interpreter + the command's parser)", base)


if __name__ == "__main__":
    print(f"load average: {os.getloadavg()}")
    import_time()
    html_repr()
    cold_first_frame()
    cli_calls()
    print(f"load average: {os.getloadavg()}")
