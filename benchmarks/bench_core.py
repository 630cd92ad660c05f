"""Core benchmarks: `import nx5d_core` wall time; HTML repr of a 5,000-scan proposal.

Run: .venv/bin/python benchmarks/bench_core.py
"""

from __future__ import annotations

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


if __name__ == "__main__":
    import_time()
    html_repr()
