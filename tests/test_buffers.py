"""Large outputs in huge pages behave as ordinary numpy arrays and give their memory back."""

from __future__ import annotations

import gc
import mmap
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from nx5d_core import buffers

MIB = 1024 * 1024


def _rss() -> int:
    with Path("/proc/self/statm").open() as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_a_large_output_is_an_ordinary_array() -> None:
    shape = (40, 512, 512)  # 40 MiB of int32: above the huge-page threshold
    out = buffers.empty(shape, np.int32)
    assert out.shape == shape
    assert out.dtype == np.int32
    assert out.flags.c_contiguous
    assert out.flags.writeable
    out[...] = np.arange(512, dtype=np.int32)
    assert pickle.loads(pickle.dumps(out)).tolist() == out.tolist()
    copied = out.copy()
    copied[0, 0, 0] = -1
    assert out[0, 0, 0] == 0
    ds = xr.Dataset({"images": (("frame", "y", "x"), out)})
    assert int(ds["images"].sum()) == int(out.sum())
    assert float(ds.chunk({"frame": 8})["images"].mean().compute()) == pytest.approx(out.mean())
    small = buffers.empty((4, 4), np.float64)
    assert small.flags.writeable
    assert small.shape == (4, 4)


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc (Linux)")
def test_memory_is_given_back_when_the_array_goes() -> None:
    size = 128 * MIB
    gc.collect()
    baseline = _rss()
    for _ in range(10):
        out = buffers.empty((size // 4,), np.int32)
        out[...] = 1  # every page touched
        assert _rss() - baseline > size // 2
        del out
        gc.collect()
    assert _rss() - baseline < size // 4, "ten reads of 128 MiB must not accumulate"


def test_read_frames_fills_a_huge_page_output(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # fmt: skip
    from nx5d_images.sample import frame_data, write_series

    import nx5d_core

    monkeypatch.setattr(buffers, "HUGE_PAGE_MIN", 1)  # every output through the mapping
    write_series(tmp_path / "p", name="s", frames=6)
    raw = nx5d_core.open_repository(str(tmp_path / "p"), index=False)[0]["s"].raw
    base = raw["images"].values
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    assert isinstance(base, memoryview), "the frames were read into the huge-page mapping"
    assert isinstance(base.obj, mmap.mmap)
    for i in range(6):
        np.testing.assert_array_equal(raw["images"].values[i], frame_data(i))
