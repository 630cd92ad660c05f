"""Spice benchmarks, SQLite and PostgreSQL side by side: resolving 10,000 scans x 20 handles
(target <= 0.2 s on both); single-writer and 16-writer update rates on one chain.

The PostgreSQL server is a throw-away one started here on loopback (``initdb``; skipped with the
reason when the binaries are absent). Run: .venv/bin/python benchmarks/bench_spice.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import median_time, report

WRITER = """
import sys
from nx5d_core.spice import SpiceConflictError
from nx5d_core.spice.store import open_store
store, done = open_store(sys.argv[1]), 0
while done < int(sys.argv[2]):
    head = store.heads(proposal="w")[0]
    try:
        store.write(proposal="w", handle="c", type="free", anchor="", data={"n": done}, base=head.revision)
        done += 1
    except SpiceConflictError:
        pass
"""


def writers(url: str, label: str, *, processes: int = 16, each: int = 100) -> None:
    from nx5d_core.spice.store import open_store

    store = open_store(url)
    store.write(proposal="w", handle="c", type="free", anchor="", data={"n": 0}, base=None)
    start = time.perf_counter()
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, url, str(each)]) for _ in range(processes)
    ]
    for p in procs:
        p.wait()
    elapsed = time.perf_counter() - start
    assert len(store.records(proposal="w")) == processes * each + 1
    report(
        f"{processes} writers x {each} updates, one chain ({label})",
        processes * each / elapsed,
        unit="1/s",
    )
    store.close()


def main() -> None:
    print(f"load average: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        run(str(Path(tmp) / "bench.sqlite"), "SQLite")
        writers(str(Path(tmp) / "writers.sqlite"), "SQLite")
    from nx5d_core.testing.postgres import find_binaries, running_server

    bindir, why = find_binaries()
    if bindir is None:
        print(f"PostgreSQL: skipped ({why})")
        return
    with running_server(bindir=bindir) as server:
        run(server.new_database("bench"), "PostgreSQL")
        writers(server.new_database("writers"), "PostgreSQL")
    print(f"load average: {os.getloadavg()}")


def run(url: str, label: str) -> None:
    from nx5d_memory import MemoryRepository

    from nx5d_core.spice.resolve import Resolver
    from nx5d_core.spice.store import open_store

    store = open_store(url)
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
        f"resolve 10,000 scans x 20 handles (records, one sweep; {label})",
        t_records,
        target="target <= 0.2 s",
    )
    report(
        f"same, as SpiceView objects incl. the DB read ({label})",
        t_views,
        target="target <= 0.2 s",
    )
    report("reference: linear scan over all anchors (1/10 of scans, x10)", t_naive)
    report("ratio reference / ours", t_naive / t_records, unit="x")

    n = 300
    start = time.perf_counter()
    for i in range(n):
        spice.update("h0", {"value": i}, anchor="")
    elapsed = time.perf_counter() - start
    report(f"single-writer updates per second ({label})", n / elapsed, unit="1/s")
    store.close()


if __name__ == "__main__":
    main()
