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
    assert any("1 of 5 frames are not there" in n for n in scan.summary.notes)
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


def _spec_with_image_file(path: Path, *, written_at: str, image_dir: str, points: int = 4) -> None:
    """A SPEC file as ESRF ID01's macros write it: ``#F`` where it was written and a
    ``#C imageFile`` line naming the scan's EDF series."""
    write_spec(path, scans=(7,), points=points)
    text = path.read_text(encoding="latin-1").replace(f"#F {path.name}", f"#F {written_at}")
    comment = f"#C imageFile dir[{image_dir}] prefix[ccd_] idxFmt[%04d] nextNr[20] suffix[.edf]"
    text = text.replace("#D Tue Mar 23 12:30:00 2021\n", f"#D Tue Mar 23 12:30:00 2021\n{comment}\n", 1)  # fmt: skip
    path.write_text(text, encoding="latin-1")


def test_image_file_frames_are_found_where_the_data_were_copied(tmp_path: Path) -> None:
    # written at the beamline under /data/visitor/hc1234/id01/, copied here with its images
    spec = tmp_path / "hc1234" / "spec" / "sample.spec"
    _spec_with_image_file(spec, written_at="/data/visitor/hc1234/id01/spec/sample.spec", image_dir="/data/visitor/hc1234/id01/images/sample")  # fmt: skip
    write_series(tmp_path / "hc1234" / "images" / "sample", name="ccd", frames=4, numbers=range(20, 24))  # fmt: skip
    plain = nx5d_core.open_repository(str(spec), index=False)[0]["7"]
    assert any("frames='imageFile'" in note for note in plain.summary.notes)
    assert "images" not in plain.raw
    # the images are beside the SPEC file's folder, outside the root: refused unless allowed
    refused = nx5d_core.open_repository(str(spec), frames="imageFile", index=False)[0]["7"]
    with pytest.raises(nx5d_core.errors.OutsideRootError, match="ccd_0020.edf"):
        _ = refused.raw
    images = tmp_path / "hc1234" / "images"
    scan = nx5d_core.open_repository(str(spec), frames="imageFile", allow_outside=[images], index=False)[0]["7"]  # fmt: skip
    raw = scan.raw
    assert raw["images"].shape == (4, 16, 12)
    for i in range(4):
        np.testing.assert_array_equal(raw["images"].values[i], frame_data(i))
    assert "ccd_%04d.edf from 20" in raw["images"].attrs["source"]
    np.testing.assert_array_equal(scan.lazy()["images"][2].values, frame_data(2))


def test_image_file_frames_missing_are_named(tmp_path: Path) -> None:
    spec = tmp_path / "sample.spec"
    _spec_with_image_file(spec, written_at=str(spec), image_dir=str(tmp_path / "img"))
    write_series(tmp_path / "img", name="ccd", frames=3, numbers=range(20, 23))
    scan = nx5d_core.open_repository(str(spec), frames="imageFile", index=False)[0]["7"]
    assert any("1 of 4 frames are not there" in n for n in scan.summary.notes)
    with pytest.raises(MissingFrameError, match=r"ccd_0023\.edf"):
        _ = scan.raw


def test_image_file_one_multi_frame_file_per_scan(tmp_path: Path) -> None:
    from fabio.edfimage import EdfImage

    spec = tmp_path / "sample.spec"
    _spec_with_image_file(spec, written_at=str(spec), image_dir="img", points=3)
    (tmp_path / "img").mkdir()
    image = EdfImage(data=frame_data(0))
    for i in (1, 2):
        image.append_frame(data=frame_data(i))
    image.write(str(tmp_path / "img" / "ccd_0020.edf"))
    raw = nx5d_core.open_repository(str(spec), frames="imageFile", index=False)[0]["7"].raw
    assert raw["images"].shape == (3, 16, 12)
    np.testing.assert_array_equal(raw["images"].values[2], frame_data(2))


def _area_detector_h5(path: Path, *, frames: int) -> None:
    """One HDF5 file per scan in areaDetector NDFileHDF5's default layout (``entry/data/data``)."""
    import h5py

    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.create_dataset("entry/data/data", data=np.stack([frame_data(i) for i in range(frames)]))


def test_a_file_per_scan_in_area_detector_hdf5(tmp_path: Path) -> None:
    write_spec(tmp_path / "s1.dat", scans=(1, 2), points=4)
    for number in (1, 2):
        _area_detector_h5(tmp_path / "h5" / f"s1_{number:04d}.h5", frames=4)
    repo = nx5d_core.open_repository(str(tmp_path / "s1.dat"), frames="h5/{proposal}_{number:04d}.h5", index=False)  # fmt: skip
    scan = repo[0]["2"]
    raw = scan.raw
    assert raw["images"].shape == (4, 16, 12)
    for i in range(4):
        np.testing.assert_array_equal(raw["images"].values[i], frame_data(i))
    np.testing.assert_array_equal(scan.lazy()["images"][3].values, frame_data(3))


def test_a_per_scan_hdf5_with_an_external_link_is_refused(tmp_path: Path) -> None:
    import h5py

    write_spec(tmp_path / "s1.dat", scans=(1,), points=2)
    outside = tmp_path.parent / f"{tmp_path.name}-outside.h5"
    with h5py.File(outside, "w") as f:
        f.create_dataset("data", data=np.stack([frame_data(0), frame_data(1)]))
    (tmp_path / "h5").mkdir()
    with h5py.File(tmp_path / "h5" / "s1_0001.h5", "w") as f:
        f["entry/data/data"] = h5py.ExternalLink(str(outside), "data")
    scan = nx5d_core.open_repository(str(tmp_path / "s1.dat"), frames="h5/{proposal}_{number:04d}.h5", index=False)[0]["1"]  # fmt: skip
    with pytest.raises(nx5d_core.errors.FormatError, match="ExternalLink"):
        _ = scan.raw
    outside.unlink()


def test_frames_matched_by_their_scan_no_and_point_no_headers(tmp_path: Path) -> None:
    from fabio.edfimage import EdfImage

    write_spec(tmp_path / "s1.dat", scans=(1, 2), points=3)
    folder = tmp_path / "ccd"
    folder.mkdir()
    # an image server numbers its files on its own; the headers say which scan and point
    for n, (scan_no, point_no) in enumerate([(2, 1), (1, 0), (2, 0), (1, 1), (2, 2), (1, 2)]):
        header = {"scan_no": str(scan_no), "point_no": str(point_no)}
        EdfImage(data=frame_data(10 * scan_no + point_no), header=header).write(str(folder / f"img_{n:05d}.edf"))  # fmt: skip
    repo = nx5d_core.open_repository(str(tmp_path / "s1.dat"), frames="ccd/*.edf", index=False)
    raw = repo[0]["2"].raw
    for i in range(3):
        np.testing.assert_array_equal(raw["images"].values[i], frame_data(20 + i))
    (folder / "img_00003.edf").unlink()  # scan 1, point 1
    scan = repo[0]["1"]
    assert any("1 of 3 frames are not there" in n for n in scan.summary.notes)
    with pytest.raises(MissingFrameError, match="scan_no=1 point_no=1"):
        _ = scan.raw


def test_a_star_in_the_folder_of_a_frames_pattern_is_refused(tmp_path: Path) -> None:
    write_spec(tmp_path / "s.dat")
    with pytest.raises((URLPatternError, AdapterOptionError), match="point"):
        nx5d_core.open_repository(str(tmp_path / "s.dat"), frames="*/img.edf", index=False)
