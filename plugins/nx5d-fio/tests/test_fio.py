"""The FIO adapter on files in PETRA III's layout (silx's FIO test file, which follows P08's
writer; Pilatus TIFF and Lambda NeXus detector folders as the DESY online and Sardana write them).
No real FIO file is in ../shared: the generated ones reproduce the conventions named here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest
import tifffile
from nx5d_fio import FioFormatError, FioRepository, parse_fio
from nx5d_fio.sample import frame, write_fio

import nx5d_core
from nx5d_core import Scan
from nx5d_core.errors import FormatError, MissingFrameError, OutsideRootError
from nx5d_core.testing import AdapterConformance

SILX_FIO = """
!
! Comments
!
%c
ascan omega 180.0 180.5 3:10/1 4
user username, acquisition started at Thu Dec 12 18:00:00 2021
sweep motor lag: 1.0e-03
channel 3: Detector
!
! Parameter
!
%p
channel3_exposure = 1.000000e+00
ScanName = ascan
!
! Data
!
%d
 Col 1 omega(encoder) DOUBLE
 Col 2 channel INTEGER
 Col 3 filename STRING
 Col 4 type STRING
 Col 5 unix time DOUBLE
 Col 6 enable BOOLEAN
 Col 7 time_s FLOAT
""" + "".join(
    f"      {179.998418821 + 0.05 * i:.9f}    3    {i + 1:05d}    exposure    {1576165741.20308 + i:.5f}    1    1.243\n"
    for i in range(10)
)


class TestFioConformance(AdapterConformance):
    @pytest.fixture
    def repository(self, tmp_path: Path) -> FioRepository:
        write_fio(tmp_path / "p1", number=1, pilatus=True)
        write_fio(tmp_path / "p1", number=2, points=3, lambda_=True)
        write_fio(tmp_path / "p2", number=10, points=4)
        return FioRepository(str(tmp_path))

    @pytest.fixture
    def corrupt(self) -> Callable[[Scan], None]:
        def damage(scan: Scan) -> None:
            path = scan.file  # type: ignore[attr-defined]
            path.write_text(path.read_text().replace("    3    ", "    x    ", 1))

        return damage


def test_the_conventions_of_silx_fio_test_file(tmp_path: Path) -> None:
    path = tmp_path / "p" / "eh1scan_00005.fio"
    path.parent.mkdir()
    path.write_text(SILX_FIO)
    scan = nx5d_core.open_repository(str(path), index=False)[0][0]
    raw = scan.raw
    assert raw["omega(encoder)"].dtype == np.float64
    assert float(raw["omega(encoder)"].sum()) == pytest.approx(1802.23418821)
    assert "omega(encoder)" in raw.coords  # the motor the command moves
    assert raw["channel"].dtype == np.int64
    assert raw["filename"].values.tolist()[:2] == ["00001", "00002"]  # STRING stays text
    assert bool(raw["enable"].all())
    assert raw["time_s"].dtype == np.float32
    assert scan.metadata["channel3_exposure"] == 1.0
    assert scan.metadata["ScanName"] == "ascan"
    assert scan.summary.description == "ascan omega 180.0 180.5 3:10/1 4"
    assert scan.summary.time.timestamp() == pytest.approx(1576165741.20308)  # the epoch column
    no_epoch = SILX_FIO.replace(" Col 5 unix time DOUBLE", " Col 5 counter DOUBLE")
    path.write_text(no_epoch)
    when = nx5d_core.open_repository(str(path), index=False)[0][0].summary.time
    assert when.isoformat() == "2021-12-12T18:00:00+01:00"  # Hamburg local time in December


def test_detector_frames_are_read_from_the_sibling_folders_lazily(tmp_path: Path) -> None:
    path = write_fio(tmp_path / "p", points=6, pilatus=True, lambda_=True)
    scan = nx5d_core.open_repository(str(path.parent), index=False)[0][path.stem]
    assert scan.summary.detectors == {"lambda": 6, "p100k": 6}
    raw = scan.raw
    tiffs = sorted((path.with_suffix("") / "p100k").glob("*.tif"))
    np.testing.assert_array_equal(raw["p100k"].values, np.stack([tifffile.imread(t) for t in tiffs]))  # fmt: skip
    with h5py.File(next((path.with_suffix("") / "lambda").glob("*.nxs"))) as handle:
        np.testing.assert_array_equal(raw["lambda"].values, handle["entry/instrument/detector/data"][()])  # fmt: skip
    lazy = scan.lazy()
    np.testing.assert_array_equal(lazy["p100k"][4].values, frame(4))


def test_a_missing_frame_raises_when_read_and_is_counted(tmp_path: Path) -> None:
    path = write_fio(tmp_path / "p", points=5, pilatus=True)
    (path.with_suffix("") / "p100k" / f"{path.stem}_00003.tif").unlink()
    scan = nx5d_core.open_repository(str(path.parent), index=False)[0][path.stem]
    assert scan.summary.missing_frames == {"p100k": 1}
    with pytest.raises(MissingFrameError, match="frame 3: .*_00003.tif"):
        _ = scan.raw
    lazy = scan.lazy()
    np.testing.assert_array_equal(lazy["p100k"][2].values, frame(2))
    with pytest.raises(MissingFrameError, match="_00003.tif"):
        lazy["p100k"][3].values  # noqa: B018


def test_bad_values_raise_naming_the_line_and_a_growing_file_is_complete_so_far(tmp_path: Path) -> None:  # fmt: skip
    path = tmp_path / "p" / "s_00001.fio"
    path.parent.mkdir()
    path.write_text(SILX_FIO.replace("    3    00004", "    None    00004"))
    with pytest.raises(FioFormatError, match=r"line 30: 'None' in column 2 \(channel\) is not INTEGER"):  # fmt: skip
        parse_fio(path.read_text(), where=str(path))
    path.write_text(SILX_FIO + "      180.5    3    00011")  # the writer is mid-line
    scan = nx5d_core.open_repository(str(path), index=False)[0][0]
    assert scan.raw.sizes["point"] == 10
    assert "left out" in scan.raw.attrs["nx5d_notes"][0]
    path.write_text(SILX_FIO.replace("    1    1.243\n", "    1\n", 1))
    with pytest.raises(FioFormatError, match="6 values where the %d section names 7"):
        _ = nx5d_core.open_repository(str(path), index=False)[0][0].raw


def test_nothing_outside_the_root_is_read(tmp_path: Path) -> None:
    path = write_fio(tmp_path / "root" / "p", points=3, pilatus=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    tifffile.imwrite(outside / "x.tif", frame(0))
    target = path.with_suffix("") / "p100k" / f"{path.stem}_00001.tif"
    target.unlink()
    target.symlink_to(outside / "x.tif")
    scan = nx5d_core.open_repository(str(tmp_path / "root"), index=False)["p"][path.stem]
    with pytest.raises(OutsideRootError):
        _ = scan.raw
    # a detector file whose data is an external link is refused, not followed
    lam = path.with_suffix("") / "lambda"
    lam.mkdir()
    with h5py.File(outside / "data.h5", "w") as handle:
        handle["data"] = np.zeros((3, 8, 6), "uint16")
    with h5py.File(lam / f"{path.stem}_00000.nxs", "w") as handle:
        handle["entry/instrument/detector/data"] = h5py.ExternalLink(str(outside / "data.h5"), "data")  # fmt: skip
    with pytest.raises(FormatError, match="ExternalLink"):
        _ = nx5d_core.open_repository(str(tmp_path / "root"), index=False)["p"][path.stem].summary


def test_guessed_by_content(tmp_path: Path) -> None:
    path = write_fio(tmp_path / "p", points=3)
    renamed = path.with_suffix(".dat")
    path.rename(renamed)
    assert type(nx5d_core.open_repository(str(renamed), index=False)).name == "fio"
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / "a.fio").write_text("hello\n")
    assert not nx5d_core.get_adapter("fio").guess_can_open(str(tmp_path / "q" / "a.fio"))


def test_a_missing_first_frame_still_lets_the_others_be_read(tmp_path: Path) -> None:
    path = write_fio(tmp_path / "p", points=4, pilatus=True)
    (path.with_suffix("") / "p100k" / f"{path.stem}_00000.tif").unlink()
    scan = nx5d_core.open_repository(str(path.parent), index=False)[0][path.stem]
    assert scan.summary.missing_frames == {"p100k": 1}
    lazy = scan.lazy()  # the layout comes from the first frame that is there
    np.testing.assert_array_equal(lazy["p100k"][1].values, frame(1))
    with pytest.raises(MissingFrameError, match="frame 0: .*_00000.tif"):
        _ = scan.raw
