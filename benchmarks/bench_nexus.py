"""NeXus conventions at archive scale, side by side in one run.

- raw of a 7,201-point scan whose every dataset is stored one element per chunk (as some
  EPICS/LabVIEW writers do) vs plain h5py reading the same datasets (target <= 1.5x);
- the summary of one scan in a 100-entry file, and the summaries of all 100 (target <= 50 ms
  for one);
- open + raw of small real NeXus scans (``shared/data``) vs plain h5py opening the file and
  reading the datasets ``raw`` holds (target <= 1.5x).

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
from _util import interleaved_times, median_time, report

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


def read_with_h5py(path: Path, names: list[str]) -> None:
    """The reference: plain h5py opening ``path`` and reading ``names``."""
    with h5py.File(path, "r") as f:
        for name in names:
            f[name][()]


def side_by_side(label: str, adapter: object, plain: object, *, repeat: int) -> None:
    """Time the adapter's way and h5py's, print both and their ratio."""
    t_adapter, t_plain = interleaved_times(adapter, plain, repeat=repeat)  # type: ignore[arg-type]
    report(label, t_adapter)
    report("  plain h5py opening it and reading the same datasets", t_plain)
    report("  ratio", t_adapter / t_plain, unit="x", target="(target <= 1.5x)", pair=(t_adapter, t_plain))


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

    side_by_side(
        f"raw, {COUNTERS + 2} datasets x {POINTS} one-element chunks",
        adapter,
        lambda: read_with_h5py(path, names),
        repeat=5,
    )

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
    small_real_files()


def small_real_files() -> None:
    import nx5d_core
    from nx5d_core.testing.fixtures import find_real_data

    real = find_real_data(Path(__file__).parent)
    if real is None:
        print("small real NeXus files: shared/data/real not found, skipped")
        return
    for relative in (
        "../nexus-conventions/writer_1_3/writer_1_3__niac2014.h5",
        "APS/9-ID-C_SAXS/2016-06_IN625_775C/nexus-example.hdf5",
        "SLS/STXM/2021-03-16/Sample_Line_2021-03-16_096.hdf5",
    ):
        path = (real / relative).resolve()
        if not path.is_file():
            continue
        scan = nx5d_core.open_repository(str(path), index=False)[path.stem]
        scan = scan[scan.keys()[0]]
        read = [f"{scan.summary.entry}/{n}" for n in _paths_read(scan)]

        def adapter(p: Path = path) -> None:
            proposal = nx5d_core.open_repository(str(p), index=False)[p.stem]
            _ = proposal[proposal.keys()[0]].raw

        entry = str(scan.summary.entry)
        t_adapter, t_plain, t_walk = interleaved_times(
            adapter,
            lambda p=path, names=read: read_with_h5py(p, names),
            lambda p=path, e=entry, n=read: walk_with_h5py(p, e, n),
            repeat=21,
        )
        report(f"open + raw of {path.name} ({len(read)} datasets)", t_adapter)
        report("  plain h5py opening it and reading the same datasets", t_plain)
        report("  ratio", t_adapter / t_plain, unit="x", target="(target <= 1.5x)", pair=(t_adapter, t_plain))
        report("  plain h5py visiting the entry's objects, then reading them", t_walk)
        report("  ratio to that", t_adapter / t_walk, unit="x")


def walk_with_h5py(path: Path, entry: str, names: list[str]) -> None:
    """What a reader that is not told the paths does: visit every object of the entry (h5py's
    ``visititems``, as silx and nexusformat do) to find the datasets, then read them."""
    with h5py.File(path, "r") as f:
        shapes: dict[str, object] = {}
        f[entry].visititems(lambda n, o: shapes.update({n: getattr(o, "shape", None)}))
        for name in names:
            f[name][()]


def _paths_read(scan: object) -> list[str]:
    """The datasets of the scan's entry that raw reads: its variables' sources (by name) and the
    entry's own fields it keeps as attributes."""
    with h5py.File(scan.file, "r") as f:  # type: ignore[attr-defined]
        entry = f[scan.summary.entry]  # type: ignore[attr-defined]
        raw = scan.raw  # type: ignore[attr-defined]
        found = [k for k in raw.attrs if "@" not in k and isinstance(entry.get(k), h5py.Dataset)]
        names = {str(n).rsplit(".", 1)[-1] for n in raw.variables}

        def visit(name: str, obj: object) -> None:
            if isinstance(obj, h5py.Dataset) and name.rsplit("/", 1)[-1] in names:
                found.append(name)

        entry.visititems(visit)
        return found


if __name__ == "__main__":
    main()
