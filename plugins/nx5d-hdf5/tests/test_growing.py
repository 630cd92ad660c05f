"""A scan file still being written by another process (issue 26, item 2): a SWMR writer's file
reads as what it has flushed, consistently, and grows at the next access; a writer without
SWMR holds the file and the read says so (never "damaged", never zeros)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from nx5d_hdf5.errors import Hdf5BusyError

import nx5d_core

WRITER = """
import sys, time
import h5py
path, points, swmr = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "swmr"
with h5py.File(path, "w", libver="latest") as f:
    entry = f.create_group("entry")
    entry.attrs["NX_class"] = "NXentry"
    data = entry.create_group("data")
    data.attrs.update({"NX_class": "NXdata", "signal": "counts", "axes": ["th"]})
    counts = data.create_dataset("counts", shape=(0,), maxshape=(None,), chunks=(8,), dtype="f8")
    th = data.create_dataset("th", shape=(0,), maxshape=(None,), chunks=(8,), dtype="f8")
    if swmr:
        f.swmr_mode = True
    print("ready", flush=True)
    for i in range(points):
        for dataset, value in ((th, 0.1 * i), (counts, 100.0 + i)):  # one after the other
            dataset.resize((i + 1,))
            dataset[i] = value
            dataset.flush()
        time.sleep(0.01)
    print("done", flush=True)
    sys.stdin.readline()  # hold the file open until told
"""


def _writer(tmp_path: Path, name: str, points: int, mode: str) -> subprocess.Popen[str]:
    """A writer process making ``p/<name>.nxs`` under ``tmp_path``, once it has created it."""
    (tmp_path / "p").mkdir()
    path = tmp_path / "p" / f"{name}.nxs"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(points), mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


@pytest.mark.slow
def test_a_swmr_writers_file_reads_as_what_it_flushed_and_grows(tmp_path: Path) -> None:
    proc = _writer(tmp_path, "live", 300, "swmr")
    try:
        scan = nx5d_core.open_repository(str(tmp_path / "p"), index=False)["p"]["live"]
        seen = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            raw = scan.raw
            counts, th = raw["counts"].values, raw["th"].values
            assert counts.shape == th.shape  # never a signal longer than its axis
            n = counts.size
            np.testing.assert_array_equal(counts, 100.0 + np.arange(n))  # never zeros
            np.testing.assert_allclose(th, 0.1 * np.arange(n))
            assert "nx5d_snapshot" in raw.attrs
            seen.append(n)
            if n == 300:
                break
            time.sleep(0.02)
        assert seen[-1] == 300
        assert seen == sorted(seen)
        assert len(set(seen)) > 2  # it was read while it grew, and each access saw the growth
    finally:
        proc.communicate("\n", timeout=30)  # let the writer close the file; pipes closed
    final = scan.raw  # the writer closed it: a plain read, the whole scan
    assert final.sizes["th"] == 300
    assert "nx5d_snapshot" not in final.attrs


@pytest.mark.slow
def test_a_file_held_by_a_writer_without_swmr_says_so(tmp_path: Path) -> None:
    proc = _writer(tmp_path, "held", 5, "plain")
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "done"
        scan = nx5d_core.open_repository(str(tmp_path / "p"), index=False)["p"]["held"]
        with pytest.raises(Hdf5BusyError, match="open for writing by another process"):
            _ = scan.raw
    finally:
        proc.communicate("\n", timeout=30)  # let the writer close the file; pipes closed
    assert scan.raw.sizes["th"] == 5  # closed: it reads
