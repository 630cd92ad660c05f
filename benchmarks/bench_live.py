"""Live beamtime: what never-stale listings cost, and how soon follow() sees a new scan.

- re-validating a held 20,000-scan proposal's listing (``keys()`` on a proposal object that
  listed before: a few ``stat`` calls) vs listing it with summaries from a warm index
  (target <= 10 %);
- from the moment a writer puts the last file (the manifest) of a new scan folder in place to
  the moment ``proposal.follow()`` yields its key (target <= 1 s), with the OS watcher and with
  polling only.

Run: .venv/bin/python benchmarks/bench_live.py
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import median_time, report

SCANS = 20_000


def revalidation(folder: Path) -> None:
    from nx5d_udkm.sample import make_listing_repository

    import nx5d_core

    root = folder / "listing"
    start = datetime(2021, 2, 5, 0, 0, tzinfo=UTC)
    make_listing_repository(root, proposals=1, scans=SCANS, start=start, every=timedelta(seconds=4))
    index = folder / "index.sqlite"
    key = nx5d_core.open_repository(str(root), index=index).keys()[0]
    assert len(nx5d_core.open_repository(str(root), index=index)[key].summaries()) == SCANS  # cold

    def warm_listing() -> None:
        entries = nx5d_core.open_repository(str(root), index=index)[key].summaries()
        assert len(entries) == SCANS

    held = nx5d_core.open_repository(str(root), index=index)[key]
    held.summaries()

    def check() -> None:
        for _ in range(100):
            held.keys()

    t_list = median_time(warm_listing, repeat=3)
    t_check = median_time(check, repeat=7) / 100
    report(f"listing + summaries of {SCANS} scans from a warm index", t_list)
    report("re-validating the held listing (keys(), nothing changed)", t_check * 1e6, unit="us")
    report("  ratio", t_check / t_list * 100, unit="%", target="(target <= 10 %)")


def latency(folder: Path, *, force_polling: bool) -> list[float]:
    from nx5d_udkm.sample import make_repository

    import nx5d_core
    from nx5d_core import follow

    root = make_repository(folder / f"live-{force_polling}", scans={"p": ["000000"]}, delays=2)
    proposal = nx5d_core.open_repository(str(root), index=False)["p"]
    source = root / "p" / "000000"
    written: dict[str, float] = {}

    def writer() -> None:
        for n in range(1, 8):
            time.sleep(0.4)
            target = root / "p" / f"{n:06d}"
            target.mkdir()
            for f in sorted(source.iterdir(), key=lambda f: f.name == "manifest.dat"):
                shutil.copy(f, target / f.name)
            written[target.name] = time.monotonic()

    saved = follow.importlib.util.find_spec
    if force_polling:  # as on a network file system or object store: no OS report
        follow.importlib.util.find_spec = lambda name, *a: None if name == "watchfiles" else saved(name, *a)  # type: ignore[assignment]
    try:
        thread = threading.Thread(target=writer)
        thread.start()
        delays = []
        for key in proposal.follow(timeout=60):
            delays.append(time.monotonic() - written[key])
            if len(delays) == 7:
                break
        thread.join()
    finally:
        follow.importlib.util.find_spec = saved  # type: ignore[assignment]
    return delays


def main() -> None:
    print(f"load average: {os.getloadavg()}")
    folder = Path(tempfile.mkdtemp())
    try:
        revalidation(folder)
        for polling in (False, True):
            delays = latency(folder, force_polling=polling)
            how = "polling every 0.25 s" if polling else "OS watcher (watchfiles)"
            report(f"new scan's last file -> follow() yields it, {how} (median of 7)", statistics.median(delays), target="(target <= 1 s)")  # fmt: skip
            report("  worst of 7", max(delays))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
