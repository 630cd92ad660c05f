"""A scan folder whose frames are still arriving (issue 26, item 2): the manifest is there, the
last rows' frames are not (or the newest is half written). Each read gives the complete frames
so far, says how many rows it left out, and the next read sees the frames that came."""

from __future__ import annotations

import re
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from nx5d_udkm.errors import UdkmFormatError
from nx5d_udkm.sample import make_repository

import nx5d_core
from nx5d_core.errors import CorruptFrameError, FilesChangedError


def _scan(tmp_path: Path) -> tuple[nx5d_core.Scan, Path, list[Path]]:
    root = make_repository(tmp_path / "udkm", scans={"20210205": ["091726"]}, delays=2)
    source = root / "20210205" / "091726"
    target = root / "20210205" / "101500"
    target.mkdir()
    frames = sorted(source.glob("image*.tiff"))
    for f in source.iterdir():
        if not f.name.startswith("image"):
            shutil.copy(
                f, target / f.name
            )  # the manifest and parameters first, as a copy by name order does not
    proposal = nx5d_core.open_repository(str(root), index=False)["20210205"]
    return proposal["101500"], source, frames


def test_frames_arriving_one_by_one_read_as_the_complete_ones_so_far(tmp_path: Path) -> None:
    scan, source, frames = _scan(tmp_path)
    target = scan.folder  # type: ignore[attr-defined]
    expected = np.stack([nx5d_core.open_repository(str(source.parents[1]), index=False)["20210205"]["091726"].raw["images"].values])[0]  # fmt: skip
    shutil.copy(frames[0], target / frames[0].name)

    def copy() -> None:
        for f in frames[1:]:
            time.sleep(0.01)
            shutil.copy(f, target / f.name)

    writer = threading.Thread(target=copy)
    writer.start()
    sizes = []
    changed: list[str] = []  # the reads that raised: which file and why
    damaged: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            raw = scan.raw
        except FilesChangedError as exc:
            changed.append(str(exc))
            continue
        except CorruptFrameError as exc:
            damaged.append(str(exc))
            continue
        n = raw.sizes["frame"]
        np.testing.assert_array_equal(raw["images"].values, expected[:n])  # complete frames only
        np.testing.assert_array_equal(raw["Theta"].values, scan.manifest.column("Theta")[:n])  # type: ignore[attr-defined]
        if n < len(frames):
            assert f"{len(frames) - n} of {len(frames)} frames left out" in raw.attrs["nx5d_incomplete"]  # fmt: skip
        sizes.append(n)
        if n == len(frames):
            break
        time.sleep(0.005)
    writer.join()
    # only once every frame is there may a read raise, and only for the last frame: read in the
    # moment between its data and its mode (shutil.copy), a complete scan changed while it was
    # read; read before its data, a complete scan has an empty frame. A newer frame changing or
    # half written while later ones are pending is left out instead.
    assert all(re.search(rf"while raw was read: {re.escape(frames[-1].name)}; nothing", c) for c in changed), changed
    assert all(frames[-1].name in d and frames[-2].name not in d for d in damaged), damaged
    assert sizes[-1] == len(frames), sizes  # every frame seen once it was there: no stale read
    assert sizes == sorted(sizes)
    assert "nx5d_incomplete" not in scan.raw.attrs


def test_the_newest_frame_half_written_is_left_out_and_a_gap_still_raises(tmp_path: Path) -> None:
    scan, _, frames = _scan(tmp_path)
    target = scan.folder  # type: ignore[attr-defined]
    for f in frames[:10]:
        shutil.copy(f, target / f.name)
    (target / frames[10].name).write_bytes(frames[10].read_bytes()[:100])  # being written
    raw = scan.raw
    assert raw.sizes["frame"] == 10
    assert "image00010.tiff on" in raw.attrs["nx5d_incomplete"]
    shutil.copy(frames[10], target / frames[10].name)
    assert scan.raw.sizes["frame"] == 11  # the next access sees it complete
    (target / frames[5].name).unlink()  # a frame lost in the middle is no scan in progress
    with pytest.raises(UdkmFormatError, match="missing: image00005.tiff"):
        _ = scan.raw
