"""The images adapter on the real ESRF and APS files and on series written with fabio's writers.

Writers reproduced: ESRF SPEC ``ccd`` macros / LIMA (one EDF per point, ``name_NNNN.edf``,
``motor_mne``/``motor_pos`` pairs), ESRF multi-frame EDF (ID16B), Pilatus/Dectris CBF, TIFF,
ADSC SMV (``.img``); the real files are read by path from ``../shared``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import fabio
import numpy as np
import pytest
from nx5d_images import ImagesRepository, group_series
from nx5d_images.sample import frame_data, write_series

import nx5d_core
from nx5d_core import Scan
from nx5d_core.errors import (
    AdapterGuessError,
    CorruptFrameError,
    FilesChangedError,
    FrameShapeError,
    MissingFrameError,
    OutsideRootError,
)
from nx5d_core.testing import AdapterConformance


class TestImagesConformance(AdapterConformance):
    @pytest.fixture
    def repository(self, tmp_path: Path) -> ImagesRepository:
        write_series(tmp_path / "p1", name="a", frames=3)
        write_series(tmp_path / "p1", name="b", frames=2, fmt="cbf", dtype="int32")
        write_series(tmp_path / "p2", name="c", frames=4, fmt="tif")
        return ImagesRepository(str(tmp_path))

    @pytest.fixture
    def corrupt(self) -> Callable[[Scan], None]:
        def damage(scan: Scan) -> None:
            path = scan.proposal.folder / scan.series.names[-1]  # type: ignore[attr-defined]
            path.write_bytes(path.read_bytes()[:-40])

        return damage


def _real(nx5d_real_data: Path, part: str) -> Path:
    path = nx5d_real_data / part
    if not path.exists():
        pytest.skip(f"{part} is not in the real data")
    return path


def test_the_real_esrf_edf_series_and_multi_frame_file_read_as_fabio_reads_them(nx5d_real_data: Path) -> None:  # fmt: skip
    folder = _real(nx5d_real_data, "ESRF/ID19/D2H2T2")
    repo = nx5d_core.open_repository(str(folder), index=False)
    assert isinstance(repo, ImagesRepository)
    scan = repo[0]["ID19_D2H2T2"]
    files = sorted(folder.glob("*.edf"))
    expected = np.stack([fabio.open(str(f)).data for f in files])
    assert scan.summary.num_frames == len(files) == 6
    np.testing.assert_array_equal(scan.raw["images"].values, expected)
    assert scan.raw["images"].dtype == np.uint16
    assert list(scan.raw["frame_number"].values) == list(range(6))

    multi = _real(nx5d_real_data, "ESRF/ID16B/diatomee_2016-06/ID16B_diatomee.edf")
    scan = nx5d_core.open_repository(str(multi), index=False)[0][0]
    image = fabio.open(str(multi))
    expected = np.stack([image.getframe(i).data for i in range(image.nframes)])
    raw = scan.raw
    np.testing.assert_array_equal(raw["images"].values, expected)
    # motor_mne/motor_pos decoded: the rotation that changes is a coordinate, the rest attributes
    positions = [float(image.getframe(i).header["motor_pos"].split()[image.header["motor_mne"].split().index("srot")]) for i in range(6)]  # fmt: skip
    np.testing.assert_allclose(raw["srot"].values, positions)
    assert "srot" in raw.coords
    assert raw.attrs["sampy"] == pytest.approx(float(image.header["motor_pos"].split()[image.header["motor_mne"].split().index("sampy")]))  # fmt: skip
    assert scan.metadata["credit"] == "ESRF - ID16B - Julie Villanova"
    lazy = scan.lazy()
    np.testing.assert_array_equal(lazy["images"][3].values, expected[3])


def test_the_real_dark_flat_data_folder_and_the_aps_pilatus_tiff(nx5d_real_data: Path) -> None:
    folder = _real(nx5d_real_data, "ESRF/ID16/diatomee")
    proposal = nx5d_core.open_repository(str(folder), index=False)[0]
    assert list(proposal.keys()) == ["dark", "data", "flat"]
    for key in proposal:
        np.testing.assert_array_equal(proposal[key].raw["images"].values[0], fabio.open(str(folder / f"{key}.edf")).data)  # fmt: skip
    tiff = _real(nx5d_real_data, "APS/13-ID_GSECARS/pilatus_2009-02-20/Pilatus.tiff")
    scan = nx5d_core.open_repository(str(tiff), index=False)[0][0]
    assert scan.raw["images"].shape == (1, 195, 487)
    np.testing.assert_array_equal(scan.raw["images"].values[0], fabio.open(str(tiff)).data)


@pytest.mark.parametrize(("fmt", "dtype"), [("edf", "uint16"), ("edf", "float64"), ("cbf", "int32"), ("tif", "uint16"), ("img", "uint16")])  # fmt: skip
def test_each_format_reads_back_what_was_written(tmp_path: Path, fmt: str, dtype: str) -> None:
    write_series(tmp_path / "p", name="s", frames=3, fmt=fmt, dtype=dtype)
    scan = nx5d_core.open_repository(str(tmp_path / "p"), index=False)[0]["s"]
    raw = scan.raw
    assert raw["images"].dtype == np.dtype(dtype)
    for i in range(3):
        np.testing.assert_array_equal(raw["images"].values[i], frame_data(i, dtype=dtype))
    assert scan.summary.type.endswith("series")


def test_header_values_per_frame_where_they_change_and_attributes_where_not(tmp_path: Path) -> None:
    write_series(tmp_path / "p", name="s", frames=4)
    raw = nx5d_core.open_repository(str(tmp_path / "p"), index=False)[0]["s"].raw
    np.testing.assert_allclose(raw["th"].values, [0, 0.5, 1.0, 1.5])
    assert "th" in raw.coords  # the scanned motor
    np.testing.assert_allclose(raw["mon"].values, [1000, 1001, 1002, 1003])
    assert raw.attrs["tth"] == 30.0
    assert raw.attrs["title"] == "ascan th 0 2 4 1"


def test_none_in_a_header_stays_text_never_zero(tmp_path: Path) -> None:
    from fabio.edfimage import EdfImage

    for i, value in enumerate(["5", "None", "7"]):
        EdfImage(data=frame_data(i), header={"counter_mne": "det", "counter_pos": value}).write(str(tmp_path / f"s_{i:04d}.edf"))  # fmt: skip
    raw = nx5d_core.open_repository(str(tmp_path), index=False)[0]["s"].raw
    assert list(raw["det"].values) == ["5", "None", "7"]


def test_gaps_in_the_numbering_are_reported_never_filled(tmp_path: Path) -> None:
    write_series(tmp_path / "p", name="s", numbers=[1, 2, 5, 6, 9])
    scan = nx5d_core.open_repository(str(tmp_path / "p"), index=False)[0]["s"]
    assert scan.summary.num_frames == 5
    assert scan.summary.notes == ["numbers 3-4, 7-8 missing"]
    raw = scan.raw
    assert list(raw["frame_number"].values) == [1, 2, 5, 6, 9]
    assert raw.attrs["nx5d_notes"] == ["numbers 3-4, 7-8 missing"]
    assert group_series(["a_1.edf", "a_01.edf"]).keys() == {"a_1", "a_01"}  # no one counter


def test_a_truncated_edf_is_a_corrupt_frame_never_zeros(tmp_path: Path) -> None:
    paths = write_series(tmp_path / "p", name="s", frames=3)
    paths[1].write_bytes(paths[1].read_bytes()[:-30])  # fabio itself fills this with zeros
    scan = nx5d_core.open_repository(str(tmp_path / "p"), index=False)[0]["s"]
    with pytest.raises(CorruptFrameError, match=r"s_0001\.edf.*incomplete"):
        _ = scan.raw
    with pytest.raises(CorruptFrameError, match="s_0001"):
        scan.lazy()["images"][1].values  # noqa: B018
    # the decoder itself: fabio's "incomplete" complaint while it decodes is an error
    from nx5d_images.decode import decode

    with paths[1].open("rb") as stream, pytest.raises(CorruptFrameError, match="incomplete"):
        decode(stream, member=0)


def test_a_frame_of_another_shape_and_a_vanished_file_raise_naming_it(tmp_path: Path) -> None:
    paths = write_series(tmp_path / "p", name="s", frames=3)
    write_series(tmp_path / "q", name="s", frames=1, shape=(8, 8), numbers=[2])
    (tmp_path / "q" / "s_0002.edf").replace(paths[2])
    scan = nx5d_core.open_repository(str(tmp_path / "p"), index=False)[0]["s"]
    with pytest.raises(FrameShapeError, match=r"frame 2: .*s_0002\.edf is 8x8 uint16.*16x12"):
        _ = scan.raw
    write_series(tmp_path / "p", name="s", frames=3)
    lazy = scan.lazy()
    paths[1].unlink()
    with pytest.raises((MissingFrameError, FilesChangedError), match="s_0001"):
        lazy["images"][1].values  # noqa: B018


def test_a_rewritten_frame_after_lazy_raises_instead_of_mixing(tmp_path: Path) -> None:
    paths = write_series(tmp_path / "p", name="s", frames=3)
    scan = nx5d_core.open_repository(str(tmp_path / "p"), index=False)[0]["s"]
    lazy = scan.lazy()
    from fabio.edfimage import EdfImage

    EdfImage(data=frame_data(9) + 1, header={}).write(str(paths[0]))
    with pytest.raises(FilesChangedError, match="s_0000"):
        lazy["images"][0].values  # noqa: B018
    np.testing.assert_array_equal(scan.raw["images"].values[0], frame_data(9) + 1)  # not stale


def test_a_growing_series_is_seen_without_refresh(tmp_path: Path) -> None:
    write_series(tmp_path / "p", name="s", frames=2)
    proposal = nx5d_core.open_repository(str(tmp_path / "p"), index=False)[0]
    scan = proposal["s"]
    assert scan.raw.sizes["frame"] == 2
    write_series(tmp_path / "p", name="s", numbers=[2, 3])
    write_series(tmp_path / "p", name="t", frames=1)
    assert scan.raw.sizes["frame"] == 4
    assert list(proposal.keys()) == ["s", "t"]


def test_nothing_outside_the_root_is_read_and_guessing_is_by_content(tmp_path: Path) -> None:
    outside = write_series(tmp_path / "elsewhere", name="x", frames=1)[0]
    write_series(tmp_path / "root" / "p", name="s", frames=2)
    (tmp_path / "root" / "p" / "s_0002.edf").symlink_to(outside)
    scan = nx5d_core.open_repository(str(tmp_path / "root"), index=False)["p"]["s"]
    with pytest.raises(OutsideRootError):
        _ = scan.raw
    # by content: an EDF named .dat is an image; a text file named .edf is not
    odd = tmp_path / "odd"
    write_series(odd, name="frame", frames=1)
    (odd / "frame_0000.edf").replace(odd / "frame_0000.dat")
    (odd / "notes.edf").write_text("not an image\n")
    proposal = nx5d_core.open_repository(str(odd), index=False)[0]
    assert list(proposal.keys()) == ["frame"]
    text = tmp_path / "text"
    text.mkdir()
    (text / "a.edf").write_text("hello\n")
    with pytest.raises(AdapterGuessError, match="not supported"):
        nx5d_core.open_repository(str(text / "a.edf"))


def test_a_udkm_folder_of_tiffs_stays_udkm(tmp_path: Path) -> None:
    from nx5d_udkm.sample import make_repository

    root = tmp_path / "udkm"
    make_repository(root, scans={"20210205": ["091726"]}, delays=3)
    proposal = next(p for p in root.iterdir() if p.is_dir())
    assert type(nx5d_core.open_repository(str(root), index=False)).name == "udkm"
    # one scan folder alone is only images: the generic adapter reads it
    scan_folder = next(s for s in proposal.iterdir() if s.is_dir())
    assert type(nx5d_core.open_repository(str(scan_folder), index=False)).name == "images"


def _edf_block(data: np.ndarray, fields: dict[str, str]) -> bytes:
    """One EDF block as ESRF writers lay it out: the header padded to 512 bytes, then the data."""
    text = "{\n" + "".join(f"{k} = {v} ;\n" for k, v in fields.items())
    head = text.encode() + b" " * (-(len(text) + 2) % 512) + b"}\n"
    return head + data.tobytes()


def test_the_fast_edf_path_equals_fabio_big_endian_and_multi_frame(tmp_path: Path) -> None:
    frames = [frame_data(i, dtype=">i4") for i in range(3)]

    def fields(i: int, f: np.ndarray) -> dict[str, str]:
        return {
            "HeaderID": f"EH:{i + 1:06d}:000000:000000", "ByteOrder": "HighByteFirst",
            "DataType": "SignedInteger", "Dim_1": "12", "Dim_2": "16", "Size": str(f.nbytes),
            "Image": str(i + 1), "counter_mne": "mon", "counter_pos": str(10 + i),
        }  # fmt: skip

    body = b"".join(_edf_block(f, fields(i, f)) for i, f in enumerate(frames))
    path = tmp_path / "p" / "multi.edf"
    path.parent.mkdir()
    path.write_bytes(body)
    image = fabio.open(str(path))
    expected = np.stack([image.getframe(i).data for i in range(image.nframes)])
    raw = nx5d_core.open_repository(str(path), index=False)[0]["multi"].raw
    np.testing.assert_array_equal(raw["images"].values, expected)
    assert raw["images"].dtype == np.dtype("int32")  # native order
    assert list(raw["mon"].values) == [10.0, 11.0, 12.0]
    assert list(raw["edf_header_number"].values) == [1.0, 2.0, 3.0]
    path.write_bytes(body[:-10])
    with pytest.raises(CorruptFrameError, match="frame 2 is incomplete"):
        nx5d_core.open_repository(str(path), index=False)[0]["multi"].raw  # noqa: B018


def test_the_flatfield_recipe_on_the_real_id16_dark_flat_and_projection(nx5d_real_data: Path) -> None:  # fmt: skip
    folder = _real(nx5d_real_data, "ESRF/ID16/diatomee")
    proposal = nx5d_core.open_repository(str(folder), index=False)[0]
    cooked = proposal.cook(["dark", "flat", "data"], recipe="flatfield", flatfield={"dark_scan": "dark", "flat_scan": "flat"})  # fmt: skip
    dark, flat, data = (fabio.open(str(folder / f"{k}.edf")).data.astype(float) for k in ("dark", "flat", "data"))  # fmt: skip
    expected = (data - dark) / (flat - dark)
    expected[(flat - dark) <= 0] = np.nan
    np.testing.assert_allclose(cooked["corrected"].values[0], expected, rtol=1e-6)  # float32 result
    assert cooked.attrs["nx5d_scans"] == '["dark", "flat", "data"]'


def test_a_header_date_without_zone_is_read_in_the_given_zone_never_as_utc(nx5d_real_data: Path) -> None:  # fmt: skip
    multi = _real(nx5d_real_data, "ESRF/ID16B/diatomee_2016-06/ID16B_diatomee.edf")
    plain = nx5d_core.open_repository(str(multi), index=False)[0][0].summary
    assert any("has no zone" in n for n in plain.notes)  # the mtime, and it says so
    zoned = nx5d_core.open_repository(str(multi), timezone="Europe/Paris", index=False)[0][
        0
    ].summary
    assert zoned.time is not None
    assert zoned.time.isoformat() == "2016-06-13T09:29:46+02:00"
    assert not any("has no zone" in n for n in zoned.notes)


def test_tiff_frames_decode_on_the_core_fast_path_and_truncation_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    import tifffile

    from nx5d_core import tiff

    folder = tmp_path / "p"
    folder.mkdir()
    expected = [frame_data(i, shape=(40, 30), dtype="int32") for i in range(4)]
    for i, data in enumerate(expected):  # Pilatus-like int32, deflate as area detectors write it
        tifffile.imwrite(folder / f"det_{i:05d}.tif", data, compression="zlib" if i % 2 else None, rowsperstrip=8)  # fmt: skip
    calls: list[str] = []
    original = tiff.read_strips

    def spy(fd: int, layout: object, out: np.ndarray, path: Path, **kw: object) -> None:
        calls.append(Path(path).name)
        original(fd, layout, out, path, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(tiff, "read_strips", spy)
    scan = nx5d_core.open_repository(str(folder), index=False)[0]["det"]
    np.testing.assert_array_equal(scan.raw["images"].values, np.stack(expected))
    assert sorted(set(calls)) == [f"det_{i:05d}.tif" for i in range(4)]
    np.testing.assert_array_equal(scan.lazy()["images"][3].values, expected[3])

    last = folder / "det_00003.tif"
    last.write_bytes(last.read_bytes()[:-100])
    fresh = nx5d_core.open_repository(str(folder), index=False)[0]["det"]
    with pytest.raises(CorruptFrameError, match=r"det_00003\.tif"):
        _ = fresh.raw


def test_a_multi_page_tiff_is_one_scan_of_its_pages(tmp_path: Path) -> None:
    import tifffile

    pages = np.stack([frame_data(i, shape=(20, 10)) for i in range(3)])
    tifffile.imwrite(tmp_path / "stack.tif", pages, photometric="minisblack")
    scan = nx5d_core.open_repository(str(tmp_path / "stack.tif"), index=False)[0][0]
    assert scan.summary.num_frames == 3
    np.testing.assert_array_equal(scan.raw["images"].values, pages)
