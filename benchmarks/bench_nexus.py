"""NeXus conventions at archive scale, side by side in one run.

- raw of a 7,201-point scan whose every dataset is stored one element per chunk (as some
  EPICS/LabVIEW writers do) vs plain h5py reading the same datasets (target <= 1.5x);
- the summary of one scan in a 100-entry file, and the summaries of all 100 (target <= 50 ms
  for one).

Run: .venv/bin/python benchmarks/bench_nexus.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _util import median_time, report

POINTS = 7201
COUNTERS = 24


def chunky(path: Path) -> list[str]:
    names = []
    with h5py.File(path, "w") as f:
        entry = f.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        entry["start_time"] = "2020-01-01T00:00:00+00:00"
        data = entry.create_group("data")
        data.attrs.update({"NX_class": "NXdata", "signal": "counts", "axes": ["th"]})
        rng = np.random.default_rng(0)
        for name in ["counts", "th", *(f"c{i}" for i in range(COUNTERS))]:
            data.create_dataset(name, data=rng.random(POINTS), chunks=(1,))
            names.append(f"entry/data/{name}")
    return names


def many_entries(path: Path, n: int = 100) -> None:
    with h5py.File(path, "w") as f:
        for i in range(n):
            entry = f.create_group(f"scan_{i:03d}")
            entry.attrs["NX_class"] = "NXentry"
            entry["title"] = f"ascan th {i}"
            entry["start_time"] = f"2020-01-01T00:{i % 60:02d}:00+00:00"
            inst = entry.create_group("instrument")
            inst.attrs["NX_class"] = "NXinstrument"
            for m in range(20):
                inst[f"motor_{m}"] = float(m)
            data = entry.create_group("data")
            data.attrs.update({"NX_class": "NXdata", "signal": "counts", "axes": ["th"]})
            data["counts"] = np.arange(101.0)
            data["th"] = np.linspace(0, 1, 101)


def main() -> None:
    import nx5d_core

    print(f"load average: {os.getloadavg()}")
    folder = Path(tempfile.mkdtemp())
    path = folder / "chunky.nxs"
    names = chunky(path)
    repo = nx5d_core.open_repository(str(path))
    scan = repo["chunky"]["entry"]

    def adapter() -> None:
        scan.refresh()
        assert scan.raw["counts"].shape == (POINTS,)

    def plain() -> None:
        with h5py.File(path, "r") as f:
            for name in names:
                f[name][()]

    t_adapter = median_time(adapter, repeat=5)
    t_plain = median_time(plain, repeat=5)
    report(f"raw, {COUNTERS + 2} datasets x {POINTS} one-element chunks", t_adapter)
    report("plain h5py reading the same datasets", t_plain)
    report("  ratio", t_adapter / t_plain, unit="x", target="(target <= 1.5x)")

    big = folder / "many.nxs"
    many_entries(big)
    proposal = nx5d_core.open_repository(str(big))["many"]

    def one() -> None:
        proposal.refresh()
        assert proposal["scan_050"].summary.num_frames == 101

    def all_of_them() -> None:
        proposal.refresh()
        assert len(proposal.summaries()) == 100

    report(
        "summary of one scan in a 100-entry file (listing included)",
        median_time(one, repeat=7),
        target="(target <= 50 ms)",
    )
    report("summaries of all 100 scans", median_time(all_of_them, repeat=3))


if __name__ == "__main__":
    main()
