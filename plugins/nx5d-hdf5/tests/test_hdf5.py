"""HDF5 / NeXus adapter on real facility files and on generated layouts."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr
from nx5d_hdf5 import (
    DanglingLinkError,
    Hdf5FormatError,
    Hdf5Repository,
    MissingFilterError,
    write_nexus,
)

import nx5d_core

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# -- real data ----------------------------------------------------------------------------
def test_aps_pinsaxs(nx5d_real_data: Path) -> None:
    repo = nx5d_core.open_repository(
        f"file://{nx5d_real_data}/APS/9-ID-C_SAXS/{{proposal}}/nexus-example.hdf5#{{scan}}"
    )
    assert repo.name == "hdf5"
    assert repo.keys() == ["2016-06_IN625_775C"]
    scan = repo["2016-06_IN625_775C"]["entry"]
    summary = scan.summary
    assert (summary.type, summary.num_frames, summary.description) == (
        "NXsas",
        10,
        "NeXus NXsas example",
    )
    assert summary.time is not None
    assert summary.time.isoformat() == "2016-06-23T12:02:31-06:00"
    raw = scan.raw
    assert raw["frames"].dims == ("sample_times", "vertical", "horizontal")
    assert raw["frames"].shape == (10, 195, 487)
    assert raw["frames"].dtype == np.int32
    assert raw["frames"].attrs["units"] == "counts"
    assert raw["sample_times"].values.tolist() == [3, 30, 58, 86, 112, 140, 168, 196, 223, 240]
    assert raw["sample_times"].attrs["units"] == "minutes"
    assert raw["blank"].dims == ("vertical", "horizontal")
    assert raw.attrs["definition"] == "NXsas"
    meta = scan.metadata
    assert meta["instrument/monochromator/energy"] == pytest.approx(21.0, abs=1e-3)
    assert meta["instrument/monochromator/energy@units"] == "keV"
    assert meta["instrument/detector/distance"] == pytest.approx(540.8)
    assert meta["instrument/detector/x_pixel_size"] == pytest.approx(0.172)
    assert meta["instrument/source/name"] == "Advanced Photon Source Undulator A, sector 9ID-C"
    assert int(raw["frames"][0, 0, 0]) == 41


def test_sls_stxm_folder(nx5d_real_data: Path) -> None:
    repo = nx5d_core.open_repository(f"file://{nx5d_real_data}/SLS/STXM/{{proposal}}/{{scan}}.hdf5")
    proposal = repo["2021-03-16"]
    assert proposal.keys() == [
        "Focus_2021-03-16_051",
        "Sample_Image_2021-03-16_095",
        "Sample_Line_2021-03-16_096",
        "Sample_Stack_2021-03-16_128",
    ]
    shapes = {key: proposal[key].raw["data"].shape for key in proposal}
    assert shapes == {
        "Focus_2021-03-16_051": (25, 25),
        "Sample_Image_2021-03-16_095": (50, 50),
        "Sample_Line_2021-03-16_096": (81, 50),
        "Sample_Stack_2021-03-16_128": (4, 50, 50),
    }
    stack = proposal["Sample_Stack_2021-03-16_128"]
    assert stack.summary.type == "NXstxm"
    # a point detector rastered: every (energy, y, x) is a measured point of the scan
    assert stack.summary.num_frames == 4 * 50 * 50
    assert {key: proposal[key].summary.num_frames for key in shapes} == {
        "Focus_2021-03-16_051": 625,
        "Sample_Image_2021-03-16_095": 2500,
        "Sample_Line_2021-03-16_096": 4050,
        "Sample_Stack_2021-03-16_128": 10000,
    }
    assert stack.raw["sample_x"].attrs["units"] == "\u03bcm"  # the file's Greek mu
    assert stack.raw["energy"].shape == (4,)
    assert stack.raw["energy"].attrs["units"] == "eV"
    assert "counter0.data" in stack.raw


def test_dls_k11_master_with_dangling_links(
    nx5d_real_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = nx5d_core.open_repository(
        f"file://{nx5d_real_data}/DLS/K11_DIAD/{{proposal}}/{{scan}}.nxs"
    )
    scan = repo["mg32775-1"]["k11-18014"]
    summary = scan.summary
    assert summary.num_frames == 3201
    assert any("'EtherCAT' has no readable signal; using 'imaging'" in n for n in summary.notes)
    raw = scan.raw
    assert raw["data"].shape == (3201, 22, 26)
    assert raw["data"].dtype == np.uint16
    theta = raw["gts_theta_value"].values
    assert theta[0] == pytest.approx(90, abs=0.1)
    assert theta[-1] == pytest.approx(270, abs=0.1)
    keys, counts = np.unique(raw["instrument.EtherCAT.image_key"].values, return_counts=True)
    assert dict(zip(keys.tolist(), counts.tolist(), strict=True)) == {0: 3001, 1: 100, 2: 100}
    dangling = raw.attrs["nx5d_dangling_links"]
    assert any("k11-18014-EtherCAT.h5" in d and "does not exist" in d for d in dangling)
    assert any("k11-18014-detectorPanda.h5" in d for d in dangling)
    assert "dangling link(s) left out" in caplog.text
    with pytest.raises(
        DanglingLinkError, match=r"instrument/EtherCAT/data.*k11-18014-EtherCAT.h5.*does not exist"
    ):
        scan.field("instrument/EtherCAT/data")
    assert scan.field("instrument/EtherCAT/image_key").shape == (3201,)


def test_dls_lazy_is_chunk_aligned_and_pickles(nx5d_real_data: Path) -> None:
    scan = nx5d_core.open_repository(
        f"file://{nx5d_real_data}/DLS/K11_DIAD/{{proposal}}/{{scan}}.nxs"
    )["mg32775-1"]["k11-18014"]
    lazy = scan.lazy()
    assert lazy["data"].chunks is not None
    assert lazy["data"].data.chunksize[1:] == (22, 26)
    frame = lazy["data"][1234].values
    clone = pickle.loads(pickle.dumps(lazy))
    np.testing.assert_array_equal(clone["data"][1234].values, frame)
    np.testing.assert_array_equal(frame, scan.raw["data"][1234].values)
    assert pickle.loads(pickle.dumps(scan)).summary.num_frames == 3201


# -- layouts ------------------------------------------------------------------------------
def _nexus_entry(
    group: h5py.Group, *, n: int, title: str, start: str | None = "2024-05-01T10:00:00+02:00"
) -> None:
    group.attrs["NX_class"] = "NXentry"
    group.attrs["default"] = "data"
    group["title"] = title
    if start:
        group["start_time"] = start
    data = group.create_group("data")
    data.attrs.update({"NX_class": "NXdata", "signal": "counts", "axes": ["energy"]})
    data.create_dataset(
        "counts", data=np.arange(n, dtype=np.float64) ** 2, chunks=True, compression="gzip"
    )
    data["counts"].attrs["units"] = "counts"
    data["energy"] = np.linspace(7.0, 8.0, n)
    data["energy"].attrs["units"] = "keV"
    inst = group.create_group("instrument")
    inst.attrs["NX_class"] = "NXinstrument"
    inst["monitor"] = np.ones(n)


def test_scans_as_entries_in_a_file_per_proposal(tmp_path: Path) -> None:
    for proposal in ("p1", "p2"):
        with h5py.File(tmp_path / f"{proposal}.nxs", "w") as f:
            for i, name in enumerate(["scan 1", "scan.10", "scan 2"]):
                _nexus_entry(f.create_group(name), n=20 + i, title=f"{proposal} {name}")
    repo = nx5d_core.open_repository(f"file://{tmp_path}/{{proposal}}.nxs#{{scan}}")
    assert repo.keys() == ["p1", "p2"]
    assert repo["p2"].keys() == ["scan 1", "scan 2", "scan.10"]
    scan = repo["p2"]["scan.10"]
    assert scan.summary.description == "p2 scan.10"
    assert scan.summary.num_frames == 21
    assert scan.raw["counts"].dims == ("energy",)
    assert scan.raw["instrument.monitor"].dims == ("energy",)
    assert repo["p2"].handles()["scan_1"] == "scan 1"


def test_one_file_for_everything_and_file_per_scan(tmp_path: Path) -> None:
    with h5py.File(tmp_path / "all.hdf", "w") as f:
        for proposal in ("2024-05", "2024-06"):
            for scan in ("r1", "r10", "r2"):
                _nexus_entry(f.create_group(f"{proposal}/{scan}"), n=4, title=scan)
    repo = nx5d_core.open_repository(f"file://{tmp_path}/all.hdf#{{proposal}}/{{scan}}")
    assert repo.keys() == ["2024-05", "2024-06"]
    assert repo["2024-06"].keys() == ["r1", "r2", "r10"]
    assert repo["2024-06"][-1].summary.description == "r10"
    folder = tmp_path / "files" / "2024-05"
    folder.mkdir(parents=True)
    for scan in ("r1", "r2"):
        with h5py.File(folder / f"2024-05-{scan}.h5", "w") as f:
            _nexus_entry(f.create_group("entry"), n=3, title=scan, start=None)
    per_file = nx5d_core.open_repository(
        f"file://{tmp_path}/files/{{proposal}}/{{proposal}}-{{scan}}.h5"
    )
    assert per_file["2024-05"].keys() == ["r1", "r2"]
    summary = per_file["2024-05"]["r2"].summary
    assert summary.time is None
    assert "no start_time" in summary.notes


def test_plain_hdf5_opens_with_naming_rule(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    with h5py.File(folder / "s1.h5", "w") as f:
        f["images"] = np.zeros((3, 4, 5), np.uint16)
        f["motors/theta"] = np.arange(3.0)
        f["exposure"] = 0.5
    scan = nx5d_core.open_repository(f"file://{tmp_path}/{{proposal}}/{{scan}}.h5")["p"]["s1"]
    raw = scan.raw
    assert raw["images"].dims == ("images_frame", "images_y", "images_x")
    assert raw["motors.theta"].values.tolist() == [0.0, 1.0, 2.0]
    assert raw.attrs["exposure"] == 0.5
    assert scan.summary.type == "hdf5"


def test_external_links_and_virtual_datasets_are_followed_relative_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "p"
    (folder / "s1").mkdir(parents=True)
    for i in range(2):
        with h5py.File(folder / "s1" / f"part{i}.h5", "w") as f:
            f["frames"] = np.full((2, 3), i, np.int32)
    layout = h5py.VirtualLayout(shape=(2, 2, 3), dtype=np.int32)
    for i in range(2):
        layout[i] = h5py.VirtualSource(f"s1/part{i}.h5", "frames", shape=(2, 3))
    with h5py.File(folder / "s1.nxs", "w") as f:
        entry = f.create_group("entry")
        entry.attrs.update({"NX_class": "NXentry", "default": "data"})
        data = entry.create_group("data")
        data.attrs.update({"NX_class": "NXdata", "signal": "frames"})
        data.create_virtual_dataset("frames", layout)
        data["raw0"] = h5py.ExternalLink("s1/part0.h5", "/frames")
        data["gone"] = h5py.ExternalLink("s1/missing.h5", "/frames")
    monkeypatch.chdir(tmp_path.parent)
    scan = nx5d_core.open_repository(f"file://{tmp_path}/{{proposal}}/{{scan}}.nxs")["p"]["s1"]
    raw = scan.raw
    assert raw["frames"].values[:, 0, 0].tolist() == [0, 1]
    assert raw["raw0"].shape == (2, 3)
    assert "gone" not in raw
    assert any("s1/missing.h5" in d for d in raw.attrs["nx5d_dangling_links"])
    with pytest.raises(
        DanglingLinkError,
        match=r"data/gone -> s1/missing.h5:/frames \(file .*missing.h5 does not exist\)",
    ):
        scan.field("data/gone")


# -- writer ---------------------------------------------------------------------------
def test_writer_round_trip_of_raw_and_cooked(tmp_path: Path) -> None:
    from nx5d_memory import MemoryRepository

    ds = xr.Dataset(
        {
            "images": (
                ("frame", "y", "x"),
                np.arange(2 * 3 * 4, dtype=np.int32).reshape(2, 3, 4),
                {"units": "counts", "long_name": "Pilatus"},
            ),
            "monitor": ("frame", np.array([1.5, 2.5]), {"units": "ph/s"}),
        },
        coords={
            "frame": [0, 1],
            "Delay": ("frame", [-1.0, 5.0], {"units": "ps"}),
            "x": np.arange(4),
        },
        attrs={
            "scan": "091726",
            "nx5d_spice": '{"rsm": {"revision": 2}}',
            "bad_pixel_values": [-2, -1],
        },
    )
    path = write_nexus(ds, path=tmp_path / "out" / "p1" / "s1.nxs")
    back = nx5d_core.open_repository(f"file://{tmp_path}/out/{{proposal}}/{{scan}}.nxs")["p1"]["s1"]
    xr.testing.assert_identical(back.raw, ds)
    with h5py.File(path) as f:
        assert f["entry/data"].attrs["signal"] == "images"
        assert list(f["entry/data"].attrs["axes"]) == ["frame", ".", "x"]
        assert f["entry/data"].attrs["Delay_indices"].tolist() == [0]
    cooked = MemoryRepository.from_dict({"p": {"s": ds}}, cook=_double)["p"]["s"].cooked
    path2 = write_nexus(cooked, path=tmp_path / "out" / "p1" / "cooked.nxs")
    again = Hdf5Repository(f"file://{tmp_path}/out/{{proposal}}/{{scan}}.nxs")["p1"]["cooked"].raw
    xr.testing.assert_identical(again, cooked)
    assert path2.exists()
    assert not list((tmp_path / "out" / "p1").glob(".*tmp"))


def _double(raw: xr.Dataset, spice: object) -> xr.Dataset:
    return raw * 2


# -- bad input ------------------------------------------------------------------------
def _one_file_repo(tmp_path: Path, content: bytes | None = None) -> nx5d_core.Scan:
    folder = tmp_path / "p"
    folder.mkdir(exist_ok=True)
    if content is not None:
        (folder / "s.h5").write_bytes(content)
    return Hdf5Repository(f"file://{tmp_path}/{{proposal}}/{{scan}}.h5")["p"]["s"]


def test_not_an_hdf5_file(tmp_path: Path) -> None:
    scan = _one_file_repo(tmp_path, b"this is a text file\n" * 10)
    with pytest.raises(Hdf5FormatError, match=r"s.h5: not an HDF5 file \(200 bytes\)"):
        _ = scan.summary


def test_truncated_file(tmp_path: Path) -> None:
    with h5py.File(tmp_path / "full.h5", "w") as f:
        _nexus_entry(f.create_group("entry"), n=2000, title="t")
    data = (tmp_path / "full.h5").read_bytes()
    scan = _one_file_repo(tmp_path, data[: len(data) // 2])
    with pytest.raises(Hdf5FormatError, match=r"s.h5: (truncated or damaged|not an HDF5 file)"):
        _ = scan.raw


def test_missing_entry_names_what_exists(tmp_path: Path) -> None:
    with h5py.File(tmp_path / "p.nxs", "w") as f:
        _nexus_entry(f.create_group("entry1"), n=3, title="t")
    repo = Hdf5Repository(f"file://{tmp_path}/{{proposal}}.nxs#{{scan}}")
    with pytest.raises(
        nx5d_core.KeyNotFoundError, match="scan 'entry2' not found.*closest: 'entry1'"
    ):
        repo["p"]["entry2"]


def test_signal_naming_a_missing_dataset(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    with h5py.File(folder / "s.h5", "w") as f:
        _nexus_entry(f.create_group("entry"), n=3, title="t")
        f["entry/data"].attrs["signal"] = "intensity"
    scan = Hdf5Repository(f"file://{tmp_path}/{{proposal}}/{{scan}}.h5")["p"]["s"]
    with pytest.raises(
        Hdf5FormatError,
        match=r"s.h5:/entry/data: signal attribute names 'intensity', which does not exist",
    ):
        _ = scan.raw


def test_unknown_compression_filter_is_named(tmp_path: Path) -> None:
    hdf5plugin = pytest.importorskip("hdf5plugin")
    folder = tmp_path / "p"
    folder.mkdir()
    with h5py.File(folder / "s.h5", "w") as f:
        entry = f.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        data = entry.create_group("data")
        data.attrs.update({"NX_class": "NXdata", "signal": "frames"})
        data.create_dataset(
            "frames",
            data=np.arange(4000, dtype=np.uint16).reshape(4, 1000),
            chunks=(1, 1000),
            **hdf5plugin.Bitshuffle(),
        )
    ok = Hdf5Repository(f"file://{tmp_path}/{{proposal}}/{{scan}}.h5")["p"]["s"].raw
    assert int(ok["frames"][3, 999]) == 3999
    code = (
        "import nx5d_hdf5, sys\n"
        f"scan = nx5d_hdf5.Hdf5Repository('file://{tmp_path}/{{proposal}}/{{scan}}.h5')['p']['s']\n"
        "try:\n    scan.raw\nexcept nx5d_hdf5.MissingFilterError as e:\n    print(e)\n"
    )
    env = {**os.environ, "NX5D_HDF5_NO_PLUGINS": "1", "HDF5_PLUGIN_PATH": str(tmp_path / "none")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert "compressed with HDF5 filter 32008 (bitshuffle)" in out
    assert "nx5d-hdf5[compression]" in out
    assert MissingFilterError.__mro__[1] is Hdf5FormatError


def _master_linking(path: Path, data_file: str) -> None:
    """A NeXus master file whose signal is an external link to ``data_file:/frames``."""
    with h5py.File(path, "w") as f:
        entry = f.create_group("entry")
        entry.attrs.update({"NX_class": "NXentry", "default": "data"})
        data = entry.create_group("data")
        data.attrs.update({"NX_class": "NXdata", "signal": "frames"})
        data["frames"] = h5py.ExternalLink(data_file, "/frames")


def test_indexed_summary_follows_a_growing_external_detector_file(tmp_path: Path) -> None:
    """A master file written once, its detector data in a file that grows (as Eiger/Pilatus
    writers at DLS and APS do): the stored summary must follow the data file, not the master."""
    folder = tmp_path / "p"
    folder.mkdir()

    def detector(frames: int) -> None:
        with h5py.File(folder / "s1_data.h5", "w") as f:
            f["frames"] = np.zeros((frames, 4, 5), np.int32)

    detector(3)
    _master_linking(folder / "s1.nxs", "s1_data.h5")
    url = f"file://{tmp_path}/{{proposal}}/{{scan}}.nxs"
    first = nx5d_core.open_repository(url)["p"]
    assert first.summaries()[0].summary.num_frames == 3
    assert first.index_state.counts.recomputed == ["s1"]
    again = nx5d_core.open_repository(url)["p"]
    assert again.summaries()[0].summary.num_frames == 3
    assert again.index_state.counts.recomputed == []  # from the index
    detector(7)  # the master file is untouched
    later = nx5d_core.open_repository(url)["p"]
    assert later.summaries()[0].summary.num_frames == 7
    assert later.index_state.counts.recomputed == ["s1"]


def test_indexed_summary_notices_a_dangling_link_target_appearing(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    _master_linking(folder / "s1.nxs", "s1_data.h5")
    url = f"file://{tmp_path}/{{proposal}}/{{scan}}.nxs"
    entries = nx5d_core.open_repository(url)["p"].summaries()
    assert entries[0].summary is None or entries[0].summary.num_frames == 0
    with h5py.File(folder / "s1_data.h5", "w") as f:  # the detector file is written late
        f["frames"] = np.zeros((4, 2, 2), np.int32)
    later = nx5d_core.open_repository(url)["p"].summaries()
    assert later[0].summary is not None
    assert later[0].summary.num_frames == 4


def test_write_nexus_without_overwrite_leaves_an_existing_file_as_it_was(tmp_path: Path) -> None:
    first = xr.Dataset({"counts": ("x", np.arange(3.0))})
    path = write_nexus(first, path=tmp_path / "s.nxs", overwrite=False)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="exists already"):
        write_nexus(first * 2, path=path, overwrite=False)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.nxs"]  # no temporary file left
    write_nexus(first * 2, path=path)  # the default replaces, as export_nexus always did
    with h5py.File(path) as handle:
        np.testing.assert_array_equal(handle["entry/data/counts"][()], [0.0, 2.0, 4.0])


# -- large reads into huge-page outputs (issue 32) ------------------------------------------
def _mapped(array: np.ndarray) -> bool:
    import mmap

    base: object = array
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    return isinstance(base, memoryview) and isinstance(base.obj, mmap.mmap)


def test_large_reads_fill_a_huge_page_output(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, nx5d_real_data: Path
) -> None:
    from nx5d_core import buffers

    monkeypatch.setattr(buffers, "HUGE_PAGE_MIN", 1)  # every numeric read through the mapping
    real = nx5d_real_data / "APS/9-ID-C_SAXS/2016-06_IN625_775C/nexus-example.hdf5"
    with h5py.File(real, "r") as f:
        expected = f["entry/data/frames"][()]
    scan = nx5d_core.open_repository(f"file://{real.parent.parent}/{{proposal}}/nexus-example.hdf5#{{scan}}")["2016-06_IN625_775C"]["entry"]  # fmt: skip
    frames = scan.raw["frames"].values
    assert _mapped(frames), "the whole-variable read went into the huge-page mapping"
    np.testing.assert_array_equal(frames, expected)
    assert frames.dtype == expected.dtype
    part = scan.lazy()["frames"][2:5, 10:20].values  # a dask chunk read: contiguous slices
    np.testing.assert_array_equal(part, expected[2:5, 10:20])

    # compressed, chunked and big-endian, and a stepped selection (h5py's own path)
    data = np.arange(6 * 40 * 30, dtype=">f8").reshape(6, 40, 30)
    (tmp_path / "p").mkdir()
    with h5py.File(tmp_path / "p" / "s.h5", "w") as f:
        f.create_group("entry").attrs["NX_class"] = "NXentry"
        group = f.create_group("entry/data")
        group.attrs.update({"NX_class": "NXdata", "signal": "counts"})
        group.create_dataset("counts", data=data, chunks=(1, 40, 30), compression="gzip")
    raw = nx5d_core.open_repository(f"file://{tmp_path}/{{proposal}}/{{scan}}.h5")["p"]["s"].raw
    got = raw["counts"].values
    np.testing.assert_array_equal(got, data)
    assert got.dtype == data.dtype
    assert _mapped(got)
    from nx5d_hdf5.h5io import read_dataset

    with h5py.File(tmp_path / "p" / "s.h5", "r") as f:
        ds = f["entry/data/counts"]
        np.testing.assert_array_equal(read_dataset(ds, (slice(1, 4), slice(None, None, 2))), data[1:4, ::2])  # fmt: skip
        np.testing.assert_array_equal(read_dataset(ds, (2,)), data[2])
        np.testing.assert_array_equal(read_dataset(ds, (slice(3, 3),)), data[3:3])
