"""Spice benchmarks: resolving 10,000 scans x 20 handles; single-writer update rate.

Run: .venv/bin/python benchmarks/bench_spice.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import median_time, report


def main() -> None:
    from nx5d_memory import MemoryRepository

    from nx5d_core.spice import SpiceStore
    from nx5d_core.spice.resolve import Resolver

    with tempfile.TemporaryDirectory() as tmp:
        store = SpiceStore(Path(tmp) / "bench.sqlite")
        scans = {f"r{i}": [i] for i in range(1, 10_001)}
        repo = MemoryRepository("memory://bench", data={"p": scans}, spice=store)
        proposal = repo["p"]
        spice = proposal.spice
        for h in range(20):
            spice.seed(f"h{h}", {"value": h}, type="free")
            for anchor in range(500, 10_001, 500):  # 20 anchors per handle
                spice.anchor(
                    f"h{h}",
                    f"r{anchor + h}" if anchor + h <= 10_000 else f"r{anchor}",
                    {"value": anchor},
                )
        keys = proposal.keys()
        heads = store.heads(proposal="p")

        def resolve_records() -> None:
            Resolver(heads, order=proposal.scan_order).resolve_all(keys, in_order=True)

        def resolve_views() -> None:
            spice.views()

        def naive_string_order() -> (
            None
        ):  # the reference: nx5d-style scan over all anchors, string compare
            for key in keys[::10]:  # a tenth of the scans; the time is multiplied by 10 below
                for h in range(20):
                    best = None
                    for r in heads:
                        if (
                            r.handle == f"h{h}"
                            and r.anchor <= key
                            and (best is None or r.anchor > best.anchor)
                        ):
                            best = r

        t_records = median_time(resolve_records, repeat=5)
        t_views = median_time(resolve_views, repeat=3)
        t_naive = 10 * median_time(naive_string_order, repeat=1, warmup=0)
        report(
            "resolve 10,000 scans x 20 handles (records, one sweep)",
            t_records,
            target="target <= 0.2 s",
        )
        report("same, as SpiceView objects incl. the DB read", t_views, target="target <= 0.2 s")
        report("reference: linear scan over all anchors (1/10 of scans, x10)", t_naive)
        report("ratio reference / ours", t_naive / t_records, unit="x")

        n = 300
        start = time.perf_counter()
        for i in range(n):
            spice.update("h0", {"value": i}, anchor="")
        elapsed = time.perf_counter() - start
        report("single-writer updates per second (SQLite WAL, file)", n / elapsed, unit="1/s")


if __name__ == "__main__":
    main()
