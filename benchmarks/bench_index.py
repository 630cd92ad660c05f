"""The persistent summary index vs reading every summary, side by side in one run.

Generated UDKM repositories (manifest.dat + parameters.txt per scan folder, no frames) with
20,000 and 100,000 scans across 50 proposals, in the user cache folder (made once):

- open + list + summaries of all 20,000 (and 100,000) scans in a new process: no index (today's
  way), a cold index (first process), a warm index (second process);
- ``nx5d ls REPO PROPOSAL`` (interpreter start included), no index vs warm index;
- TimeRange / Key / FullText queries over 100,000 indexed scans (after the process's one
  re-validation of the listing, which is reported too).

Run: .venv/bin/python benchmarks/bench_index.py [--large 100000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import median_time, report

CHILD = """
import sys, time
t0 = time.perf_counter()
import nx5d_core
repo = nx5d_core.open_repository(sys.argv[1])
n = sum(len([e for e in p.summaries() if e.summary is not None]) for p in repo.values())
print(n, time.perf_counter() - t0)
"""


def sample(scans: int) -> Path:
    from nx5d_udkm.sample import make_listing_repository
    from platformdirs import user_cache_dir

    root = Path(user_cache_dir("nx5d")) / "bench" / f"index-v2-{scans}"
    marker = root / ".complete"
    if not marker.exists():
        print(f"generating {scans} scan folders in {root} ...", flush=True)
        start = datetime(2021, 2, 5, 0, 0, tzinfo=timezone(timedelta(hours=1)))
        make_listing_repository(
            root, proposals=50, scans=scans // 50, start=start, every=timedelta(seconds=20)
        )
        marker.write_text("")
    return root


def child(root: Path, index: str) -> float:
    env = {**os.environ, "NX5D_INDEX": index}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(root)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[1])


def ls(root: Path, proposal: str, index: str) -> float:
    env = {**os.environ, "NX5D_INDEX": index}
    nx5d = Path(sys.executable).with_name("nx5d")
    start = time.perf_counter()
    subprocess.run([nx5d, "ls", str(root), proposal], env=env, capture_output=True, check=True)
    return time.perf_counter() - start


def bench_listing(scans: int, folder: Path, *, repeat: int = 3, with_ls: bool = True) -> None:
    root = sample(scans)
    path = str(folder / f"listing-{scans}.sqlite")
    off = [child(root, "off") for _ in range(repeat)]
    cold = []
    for n in range(repeat):
        fresh = str(folder / f"cold{n}-{scans}.sqlite")
        cold.append(child(root, fresh))
    child(root, path)
    warm = [child(root, path) for _ in range(5)]
    med, t_cold, t_warm = statistics.median(off), statistics.median(cold), statistics.median(warm)
    report(f"{scans} scans, new process, no index (today)", med)
    report(f"{scans} scans, new process, cold index", t_cold)
    report("  cold / no index", t_cold / med, unit="x", target="(<= 1.2x)", pair=(t_cold, med))
    warm_target = "(<= 0.3 s)" if scans <= 20_000 else ""
    report(f"{scans} scans, second process, warm index", t_warm, target=warm_target)
    report("  no index / warm", med / t_warm, unit="x")
    if not with_ls:
        return
    proposal = min(p.name for p in root.iterdir() if p.is_dir())
    report(
        "nx5d ls REPO PROPOSAL, no index", median_time(lambda: ls(root, proposal, "off"), repeat=3)
    )
    report(
        "nx5d ls REPO PROPOSAL, warm index",
        median_time(lambda: ls(root, proposal, path), repeat=5),
        target="(<= 0.5 s)",
    )


def bench_queries(scans: int, folder: Path) -> None:
    import nx5d_core
    from nx5d_core.queries import FullText, Key, TimeRange

    root = sample(scans)
    os.environ["NX5D_INDEX"] = str(folder / "queries.sqlite")
    nx5d_core.open_repository(str(root)).search(Key("type") == "none")  # fills the index
    repo = nx5d_core.open_repository(str(root))
    start = time.perf_counter()
    repo.search(Key("type") == "none")
    report(f"{scans} scans: first search of a process (re-validates)", time.perf_counter() - start)
    queries = {
        "TimeRange (one day)": TimeRange(
            since="2021-02-20T00:00+01:00", until="2021-02-21T00:00+01:00"
        ),
        "Key type == rocking & num_frames >= 4, one day": (Key("type") == "rocking")
        & TimeRange(since="2021-02-20T00:00+01:00", until="2021-02-21T00:00+01:00"),
        "FullText 'GaN scan 4244'": FullText("GaN scan 4244"),
    }
    for name, query in queries.items():
        found = repo.search(query)
        t = median_time(lambda q=query: len(repo.search(q)), repeat=7)
        report(f"  query {name} ({len(found)} hits)", t, target="(<= 50 ms)")
    off = nx5d_core.open_repository(str(root))
    off.use_index(False)
    query = queries["FullText 'GaN scan 4244'"]
    t_off = median_time(lambda: len(off.search(query)), repeat=1, warmup=0)
    report("  the FullText query without the index (reads every summary)", t_off)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scans", type=int, default=20_000)
    parser.add_argument("--large", type=int, default=100_000)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        bench_listing(args.scans, Path(tmp))
        bench_listing(args.large, Path(tmp), repeat=1, with_ls=False)
        bench_queries(args.large, Path(tmp))
    print(f"load average: {os.getloadavg()}")
