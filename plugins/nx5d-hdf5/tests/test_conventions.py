"""NeXus as facilities write it: one generated file per convention, and the real files.

Each convention is a row of CASES: how the file marks its signal and axes (the writer that does
it in the wild is named), and the Dataset a scientist expects from it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import xarray as xr

import nx5d_core
from nx5d_core.errors import KeyNotFoundError

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
N = 61


def _entry(f: h5py.File, name: str = "entry") -> h5py.Group:
    entry = f.create_group(name)
    entry.attrs["NX_class"] = "NXentry"
    entry["title"] = "th scan"
    entry["start_time"] = "2014-03-05T10:00:00+01:00"
    return entry


def _data(entry: h5py.Group) -> h5py.Group:
    data = entry.create_group("data")
    data.attrs["NX_class"] = "NXdata"
    return data


def niac2014(f: h5py.File) -> None:
    """signal/axes on the NXdata group (NeXus >= 2014: nexusformat, h5py writers, Bluesky suitcase)."""
    data = _data(_entry(f))
    data.attrs.update({"signal": "counts", "axes": ["th"], "th_indices": 0})
    data["counts"], data["th"] = np.arange(N) * 2.0, np.linspace(10, 11, N)
    data["monitor"] = np.ones(N)


def dataset_signal_int(f: h5py.File) -> None:
    """signal=1 (int) and axes on the dataset (NeXus <= 1.3 NAPI; APS 34-ID 2009)."""
    data = _data(_entry(f))
    data["counts"] = np.arange(N) * 2.0
    data["counts"].attrs.update({"signal": np.int32(1), "axes": "th"})
    data["th"], data["monitor"] = np.linspace(10, 11, N), np.ones(N)


def dataset_signal_bytes(f: h5py.File) -> None:
    """signal="1" as bytes, axes as "[th]" (the NeXus manual's writer_1_3 example, old IDL/NAPI)."""
    data = _data(_entry(f))
    data["counts"] = np.arange(N) * 2.0
    data["counts"].attrs.update({"signal": np.bytes_(b"1"), "axes": np.bytes_(b"[th]")})
    data["th"], data["monitor"] = np.linspace(10, 11, N), np.ones(N)


def axis_attributes(f: h5py.File) -> None:
    """no signal; axis="1", primary="1" on the positioner (older GDA files at Diamond)."""
    data = _data(_entry(f))
    data["th"] = np.linspace(10, 11, N)
    data["th"].attrs.update({"axis": np.bytes_(b"1"), "primary": np.bytes_(b"1")})
    data["counts"], data["monitor"] = np.arange(N) * 2.0, np.ones(N)


def nothing(f: h5py.File) -> None:
    """an NXdata group with no signal, axes, axis or primary anywhere (hand-written files)."""
    data = _data(_entry(f))
    data["th"], data["counts"], data["monitor"] = (
        np.linspace(10, 11, N),
        np.arange(N) * 2.0,
        np.ones(N),
    )


CASES: dict[str, tuple[Callable[[h5py.File], None], list[str], str]] = {
    # writer, dims of counts, coordinate expected
    "niac2014": (niac2014, ["th"], "th"),
    "dataset-int": (dataset_signal_int, ["th"], "th"),
    "dataset-bytes": (dataset_signal_bytes, ["th"], "th"),
    "axis-primary": (axis_attributes, ["th"], "th"),
    "nothing": (nothing, ["point"], ""),
}


def _scan(path: Path) -> nx5d_core.Scan:
    repo = nx5d_core.open_repository(str(path))
    return repo[repo.only_proposal or ""][-1]


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_convention_gives_the_scan(tmp_path: Path, case: str) -> None:
    write, dims, coord = CASES[case]
    path = tmp_path / f"{case}.nxs"
    with h5py.File(path, "w") as f:
        write(f)
    scan = _scan(path)
    raw = scan.raw
    assert list(raw["counts"].dims) == dims
    np.testing.assert_array_equal(raw["counts"].values, np.arange(N) * 2.0)
    assert list(raw["monitor"].dims) == dims
    if coord:
        assert coord in raw.coords
        np.testing.assert_allclose(raw[coord].values, np.linspace(10, 11, N))
    else:
        np.testing.assert_allclose(raw["th"].values, np.linspace(10, 11, N))
    assert not any(d.startswith("dim_") for d in raw.dims)
    assert scan.summary.num_frames == N
    assert scan.summary.time is not None
    table = scan.table()
    assert len(table) == N


def test_old_and_new_writer_files_give_identical_datasets(nx5d_real_data: Path) -> None:
    base = nx5d_real_data.parent / "nexus-conventions"
    if not base.is_dir():
        pytest.skip(f"shared NeXus convention files not found at {base}")
    old = _scan(base / "writer_1_3" / "writer_1_3.h5").raw
    new = _scan(base / "writer_1_3" / "writer_1_3__niac2014.h5").raw
    xr.testing.assert_identical(old, new)
    assert old["counts"].dims == ("two_theta",)
    assert old["two_theta"].attrs["units"] == "degrees"
    assert old["counts"].attrs["units"] == "counts"
    assert len(old["two_theta"]) == 31


def test_aps_34id_old_signal_attribute(nx5d_real_data: Path) -> None:
    scan = _scan(nx5d_real_data / "APS/34-ID_microdiffraction/2009-02-12/ID34_not_complete.h5")
    raw = scan.raw
    assert raw["data"].dims == ("y", "x")
    assert raw["data"].shape == (100, 60)
    assert int(raw["data"].max()) > 0
    summary = scan.summary
    assert summary.signal_shape == [100, 60]
    assert summary.time is not None
    assert summary.time.year == 2009
    assert "data.data" not in raw


def test_dls_p45_positions_come_out_despite_dangling_detectors(nx5d_real_data: Path) -> None:
    scan = _scan(nx5d_real_data / "DLS/p45/2017/p45-1168.nxs")
    raw = scan.raw
    assert raw.sizes["stagey_value_set"] == 5
    assert raw.sizes["stagex_value_set"] == 5
    assert raw["stagex_value"].shape == (5, 5)
    assert raw["stagex_value"].dims == ("stagey_value_set", "stagex_value_set")
    assert np.ptp(raw["stagex_value"].values) > 0
    summary = scan.summary
    assert summary.num_frames == 25  # a 5 x 5 map: 25 points
    assert summary.dangling_links == raw.attrs["nx5d_dangling_links"]
    assert any("mic/data" in p for p in summary.dangling_links)


def test_summary_and_raw_report_the_same_links(nx5d_real_data: Path) -> None:
    scan = _scan(nx5d_real_data / "DLS/K11_DIAD/mg32775-1/k11-18014.nxs")
    assert scan.summary.dangling_links == scan.raw.attrs["nx5d_dangling_links"]


def test_vds_missing_source_is_dangling_not_zeros(tmp_path: Path) -> None:
    layout = h5py.VirtualLayout(shape=(N,), dtype=float)
    layout[:] = h5py.VirtualSource("gone.h5", "counts", shape=(N,))
    path = tmp_path / "vds.nxs"
    with h5py.File(path, "w") as f:
        niac2014(f)
        f["entry/data"].create_virtual_dataset("i0", layout, fillvalue=0)
    raw = _scan(path).raw
    assert "i0" not in raw
    assert any("gone.h5" in p for p in raw.attrs["nx5d_dangling_links"])


def test_latin1_units_survive(tmp_path: Path) -> None:
    path = tmp_path / "latin.nxs"
    with h5py.File(path, "w") as f:
        niac2014(f)
        f["entry/data/th"].attrs["units"] = np.bytes_("°".encode("latin-1"))
        f["entry/sample_x"] = 1.5
        f["entry/sample_x"].attrs["units"] = np.bytes_("µm".encode("latin-1"))
    scan = _scan(path)
    assert scan.raw["th"].attrs["units"] == "°"
    assert scan.metadata["sample_x@units"] == "µm"


def test_utf8_text_stays_utf8(tmp_path: Path) -> None:
    path = tmp_path / "utf8.nxs"
    with h5py.File(path, "w") as f:
        niac2014(f)
        f["entry/data/th"].attrs["units"] = np.bytes_("Å⁻¹".encode())
    assert _scan(path).raw["th"].attrs["units"] == "Å⁻¹"


def test_chunk_per_element_file_reads_right(tmp_path: Path) -> None:
    path = tmp_path / "chunky.nxs"
    with h5py.File(path, "w") as f:
        data = _data(_entry(f))
        data.attrs.update({"signal": "counts", "axes": ["th"]})
        data.create_dataset("counts", data=np.arange(N) * 2.0, chunks=(1,))
        data.create_dataset("th", data=np.linspace(10, 11, N), chunks=(1,))
    raw = _scan(path).raw
    np.testing.assert_array_equal(raw["counts"].values, np.arange(N) * 2.0)


def test_entry_names_with_spaces_and_dots(tmp_path: Path) -> None:
    path = tmp_path / "odd.nxs"
    with h5py.File(path, "w") as f:
        for name in ("scan 1", "scan.2", "3"):
            entry = _entry(f, name)
            data = _data(entry)
            data.attrs.update({"signal": "counts"})
            data["counts"] = np.arange(3)
    proposal = nx5d_core.open_repository(str(path))["odd"]
    assert proposal.keys() == ["3", "scan 1", "scan.2"]
    assert [int(proposal[k].raw["counts"].sum()) for k in proposal] == [3, 3, 3]


def test_dataset_level_metadata_in_summary_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "meta.nxs"
    with h5py.File(path, "w") as f:
        niac2014(f)
        f["entry/program_name"] = "GDA 9.2"
        f["entry/scan_command"] = "scan th 10 11 0.0166"
        f.attrs["file_time"] = "2014-03-05T09:59:00+01:00"
    scan = _scan(path)
    s = scan.summary
    assert (s.program_name, s.scan_command, s.description) == (
        "GDA 9.2",
        "scan th 10 11 0.0166",
        "th scan",
    )
    meta = scan.metadata
    assert meta["program_name"] == "GDA 9.2"
    assert meta["start_time"] == "2014-03-05T10:00:00+01:00"
    assert meta["@file_time"] == "2014-03-05T09:59:00+01:00"


@pytest.mark.parametrize(
    ("spelling", "where"),
    [("start_date", "dataset"), ("date", "dataset"), ("start_time", "entry-attr"),
     ("file_time", "root-attr")],
)  # fmt: skip
def test_start_time_under_other_spellings(tmp_path: Path, spelling: str, where: str) -> None:
    path = tmp_path / "t.nxs"
    with h5py.File(path, "w") as f:
        niac2014(f)
        del f["entry/start_time"]
        value = "2019-07-01T08:00:00+02:00"
        target: Any = {"dataset": f["entry"], "entry-attr": f["entry"].attrs, "root-attr": f.attrs}[
            where
        ]
        target[spelling] = value
    summary = _scan(path).summary
    assert summary.time is not None
    assert summary.time.isoformat() == "2019-07-01T08:00:00+02:00"


def test_find_by_name_class_path_and_alias(tmp_path: Path) -> None:
    path = tmp_path / "find.nxs"
    with h5py.File(path, "w") as f:
        niac2014(f)
        inst = f["entry"].create_group("instrument")
        inst.attrs["NX_class"] = "NXinstrument"
        mono = inst.create_group("mono")
        mono.attrs["NX_class"] = "NXmonochromator"
        mono["energy"] = 12.4
        src = inst.create_group("source")
        src.attrs["NX_class"] = "NXsource"
        src["energy"] = 6.0
        src["lifetime"] = 3.0
        f["entry/sample_temperature"] = 300.0
        f["entry/en"] = 12.3
    scan = _scan(path)
    assert scan.find("energy") == ["instrument/mono/energy", "instrument/source/energy"]
    assert scan.find("NXmonochromator/energy") == ["instrument/mono/energy"]
    assert scan.find("mono/energy") == ["instrument/mono/energy"]
    with pytest.raises(KeyNotFoundError, match="field 'temperature' not found.*closest"):
        scan.find("temperature")  # no substring hits such as sample_temperature or lifetime
    scan.repository.aliases = {"energy": ["NXmonochromator/energy", "en"]}  # type: ignore[misc]
    assert scan.find("energy") == ["instrument/mono/energy", "instrument/source/energy", "en"]
    scan.repository.aliases = {"photon_energy": ["NXmonochromator/energy", "en"]}  # type: ignore[misc]
    assert scan.find("photon_energy") == ["instrument/mono/energy", "en"]


def test_pointing_at_a_file_a_folder_and_a_folder_of_folders(tmp_path: Path) -> None:
    for proposal in ("p1", "p2"):
        (tmp_path / "repo" / proposal).mkdir(parents=True)
        for scan in ("s1", "s2", "s10"):
            with h5py.File(tmp_path / "repo" / proposal / f"{scan}.nxs", "w") as f:
                niac2014(f)
    one_file = nx5d_core.open_repository(str(tmp_path / "repo" / "p1" / "s10.nxs"))
    assert one_file.keys() == ["s10"]
    assert one_file["s10"].keys() == ["entry"]
    folder = nx5d_core.open_repository(str(tmp_path / "repo" / "p1"))
    assert folder.keys() == ["p1"]
    assert folder["p1"].keys() == ["s1", "s2", "s10"]
    repo = nx5d_core.open_repository(str(tmp_path / "repo"))
    assert repo.keys() == ["p1", "p2"]
    assert repo["p2"].keys() == ["s1", "s2", "s10"]
    assert repo["p2"]["s10"].summary.num_frames == N


def test_warnings_are_logged_once_per_file(
    nx5d_real_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    scan = _scan(nx5d_real_data / "DLS/p45/2017/p45-1168.nxs")
    with caplog.at_level("WARNING", logger="nx5d_hdf5"):
        _ = scan.summary
        _ = scan.raw
        scan.lazy()
        scan.refresh()
        _ = scan.raw
    warned = [r for r in caplog.records if "dangling link(s) left out" in r.getMessage()]
    assert len(warned) == 1


def test_plain_hdf5_files_count_frames_from_their_largest_dataset(nx5d_real_data: Path) -> None:
    folder = nx5d_real_data / "DLS/K11_DIAD/mg32775-1/k11-18014"
    for name in ("k11-18014-imaging.h5", "k11-18014-pcompPanda.h5"):
        summary = _scan(folder / name).summary
        assert summary.num_frames == 3201
        assert any("largest dataset" in n for n in summary.notes)
