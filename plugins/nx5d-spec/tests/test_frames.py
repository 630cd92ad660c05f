"""SPEC scans whose detector frames are separate image files (ESRF ccd macros: one EDF per
point; APS areaDetector: one TIFF per point), joined to the points through ``frames=``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from nx5d_images.sample import frame_data, write_series
from nx5d_spec.sample import write_spec

import nx5d_core
from nx5d_core.errors import AdapterOptionError, MissingFrameError, URLPatternError

PATTERN = "{proposal}/images/{number:03d}/img_{point:04d}.edf"


def _repository(tmp_path: Path, *, points: int = 5) -> nx5d_core.Repository:
    write_spec(tmp_path / "sample1.dat", scans=(1, 2), points=points)
    for number in (1, 2):
        write_series(tmp_path / "sample1" / "images" / f"{number:03d}", name="img", frames=points)
    return nx5d_core.open_repository(str(tmp_path / "sample1.dat"), frames=PATTERN, index=False)


def test_frames_are_joined_to_the_points_raw_and_lazy(tmp_path: Path) -> None:
    scan = _repository(tmp_path)[0]["2"]
    raw = scan.raw
    assert raw["images"].dims == ("point", "y", "x")
    assert raw["images"].shape == (5, 16, 12)
    for i in range(5):
        np.testing.assert_array_equal(raw["images"].values[i], frame_data(i))
    assert "Detector" in raw  # the counters are still there
    lazy = scan.lazy()
    np.testing.assert_array_equal(lazy["images"][3].values, frame_data(3))


def test_a_missing_frame_raises_and_is_counted(tmp_path: Path) -> None:
    repo = _repository(tmp_path)
    (tmp_path / "sample1" / "images" / "001" / "img_0002.edf").unlink()
    scan = repo[0]["1"]
    assert any("1 of 5 frame files" in n for n in scan.summary.notes)
    with pytest.raises(MissingFrameError, match=r"frame 2: .*img_0002\.edf"):
        _ = scan.raw
    lazy = scan.lazy()
    np.testing.assert_array_equal(lazy["images"][1].values, frame_data(1))
    with pytest.raises(MissingFrameError):
        lazy["images"][2].values  # noqa: B018


def test_a_frame_arriving_is_seen(tmp_path: Path) -> None:
    repo = _repository(tmp_path)
    frame = tmp_path / "sample1" / "images" / "001" / "img_0004.edf"
    frame.rename(frame.with_suffix(".tmp"))
    scan = repo[0]["1"]
    with pytest.raises(MissingFrameError):
        _ = scan.raw
    frame.with_suffix(".tmp").rename(frame)
    assert scan.raw["images"].shape[0] == 5


def test_a_bad_frames_pattern_is_refused_when_opening(tmp_path: Path) -> None:
    write_spec(tmp_path / "s.dat")
    for bad in ("{proposal}/img.edf", "{proposal}/{frame}.edf"):
        with pytest.raises((URLPatternError, AdapterOptionError), match="point"):
            nx5d_core.open_repository(str(tmp_path / "s.dat"), frames=bad, index=False)
