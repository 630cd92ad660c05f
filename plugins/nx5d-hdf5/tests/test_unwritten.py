"""Data that was never written is never read as fill-value zeros (issue 25, item 2).

The files reproduce what areaDetector's NDFileHDF5 plugin leaves when an IOC stops mid-capture
(the frame dataset is created for NumCapture frames, chunked one frame per chunk, and only the
captured frames' chunks exist), a writer that skipped a block of frames, and a dataset created
and never filled (a monitor that was configured but not recorded).
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from nx5d_hdf5.written import UnwrittenDataError, unwritten_rows

import nx5d_core

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _scan(path: Path, *, frames: int = 100, write: slice | list[slice], fill: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as handle:
        entry = handle.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        data = entry.create_group("data")
        data.attrs.update({"NX_class": "NXdata", "signal": "data", "axes": ["th", ".", "."]})
        images = data.create_dataset("data", shape=(frames, 4, 5), dtype="int32", chunks=(1, 4, 5), fillvalue=fill)  # fmt: skip
        for part in write if isinstance(write, list) else [write]:
            images[part] = 7
        data["th"] = np.linspace(0, 1, frames)
    return path


def _open(root: Path) -> nx5d_core.Scan:
    return nx5d_core.open_repository(str(root), adapter="hdf5")["p"]["s"]


def test_a_crashed_writer_gives_the_frames_it_wrote_with_a_note(tmp_path: Path) -> None:
    _scan(tmp_path / "p" / "s.nxs", write=slice(0, 60))
    scan = _open(tmp_path)
    assert scan.summary.num_frames == 60
    assert scan.summary.unwritten_frames == 40
    assert any("40 of 100 frames were never written (frames 60-99" in n for n in scan.summary.notes)
    for data in (scan.raw, scan.lazy()):
        assert data["data"].shape == (60, 4, 5)
        assert data["th"].shape == (60,)  # everything along the frames is cut alike
        assert data.attrs["nx5d_unwritten"]
    assert (scan.raw["data"].values == 7).all()  # no fill-value frame among them


def test_frames_missing_in_the_middle_are_refused_by_name(tmp_path: Path) -> None:
    _scan(tmp_path / "p" / "s.nxs", write=[slice(0, 10), slice(20, 100)], fill=-1)
    scan = _open(tmp_path)
    assert any("frames 10-19" in n for n in scan.summary.notes)  # the summary reports, never raises
    assert scan.summary.unwritten_frames == 10
    with pytest.raises(
        UnwrittenDataError, match=r"10 of 100 frames were never written \(frames 10-19"
    ):
        _ = scan.raw
    with pytest.raises(UnwrittenDataError):
        scan.lazy()


def test_a_dataset_never_written_is_left_out_and_a_signal_never_written_is_an_error(tmp_path: Path) -> None:  # fmt: skip
    path = _scan(tmp_path / "p" / "s.nxs", write=slice(0, 100))
    with h5py.File(path, "a") as handle:
        handle["entry/data"].create_dataset("monitor", shape=(100,), dtype="f8")  # never written
    raw = _open(tmp_path).raw
    assert "monitor" not in raw
    assert raw["data"].shape == (100, 4, 5)
    assert "monitor" in " ".join(raw.attrs["nx5d_unwritten"])
    _scan(tmp_path / "q" / "p" / "s.nxs", write=[])
    with pytest.raises(UnwrittenDataError, match="never written"):
        _ = _open(tmp_path / "q").raw


def test_written_zeros_are_data(tmp_path: Path) -> None:
    path = _scan(tmp_path / "p" / "s.nxs", write=slice(0, 100))
    with h5py.File(path, "a") as handle:
        handle["entry/data/data"][:] = 0  # written zeros: allocated chunks
        assert unwritten_rows(handle["entry/data/data"]) is None
        handle["entry"].create_dataset("contiguous", data=np.zeros(3))
        assert unwritten_rows(handle["entry/contiguous"]) is None
    scan = _open(tmp_path)
    assert scan.summary.num_frames == 100
    assert scan.summary.unwritten_frames == 0
    assert "nx5d_unwritten" not in scan.raw.attrs
    assert not scan.raw["data"].values.any()
