"""NeXus conventions of particular writers, each in a small generated file (issue 25, item 4).

SOLEIL's older files number ``axis`` from 0 (``axis=0, primary=1`` on the axis of a 1-D signal);
pyFAI writes ``unit`` (not ``units``) on its axes; files name axes that were never written;
Diamond and ESRF writers hard-link one group (a detector, a data group) into two places.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

import nx5d_core


def _file(path: Path) -> h5py.File:
    path.parent.mkdir(parents=True, exist_ok=True)
    return h5py.File(path, "w")


def _entry(handle: h5py.File) -> tuple[h5py.Group, h5py.Group]:
    entry = handle.create_group("entry")
    entry.attrs["NX_class"] = "NXentry"
    data = entry.create_group("data")
    data.attrs["NX_class"] = "NXdata"
    return entry, data


def _scan(root: Path) -> nx5d_core.Scan:
    return nx5d_core.open_repository(str(root), adapter="hdf5")["p"]["s"]


def test_axis_numbered_from_zero_names_the_dimension(tmp_path: Path) -> None:
    with _file(tmp_path / "p" / "s.nxs") as handle:
        _, data = _entry(handle)
        data["intensity"] = np.arange(7.0)
        data["intensity"].attrs["signal"] = 1
        data["energy"] = np.linspace(7.0, 7.2, 7)
        data["energy"].attrs.update({"axis": 0, "primary": 1, "units": "keV"})
    raw = _scan(tmp_path).raw
    assert raw["intensity"].dims == ("energy",)
    np.testing.assert_allclose(raw["energy"].values, np.linspace(7.0, 7.2, 7))
    assert raw["energy"].attrs["units"] == "keV"


def test_pyfai_unit_is_units(tmp_path: Path) -> None:
    with _file(tmp_path / "p" / "s.nxs") as handle:
        _, data = _entry(handle)
        data.attrs.update({"signal": "I", "axes": ["q"]})
        data["I"] = np.ones(5)
        data["I"].attrs["interpretation"] = "spectrum"
        data["q"] = np.linspace(0.1, 5.0, 5)
        data["q"].attrs["unit"] = "q_nm^-1"
    raw = _scan(tmp_path).raw
    assert raw["I"].dims == ("q",)
    assert raw["q"].attrs["units"] == "q_nm^-1"


def test_an_axis_that_does_not_exist_is_a_note(tmp_path: Path) -> None:
    with _file(tmp_path / "p" / "s.nxs") as handle:
        _, data = _entry(handle)
        data.attrs.update({"signal": "counts", "axes": ["theta"]})
        data["counts"] = np.arange(4.0)
    scan = _scan(tmp_path)
    assert any("axes names 'theta' for dimension 0, which does not exist" in n for n in scan.summary.notes)  # fmt: skip
    assert scan.raw["counts"].dims == ("point",)


def test_a_group_hard_linked_in_two_places_is_read_not_dropped_as_a_cycle(tmp_path: Path) -> None:
    with _file(tmp_path / "p" / "s.nxs") as handle:
        entry, data = _entry(handle)
        data.attrs.update({"signal": "counts"})
        data["counts"] = np.arange(4.0)
        detector = entry.create_group("instrument/detector")
        detector["distance"] = 0.5
        detector["mode"] = "single"
        entry["sample/detector_view"] = detector  # the same group, a second name
    scan = _scan(tmp_path)
    meta = scan.metadata
    assert meta["instrument/detector/distance"] == 0.5
    assert meta["sample/detector_view/distance"] == 0.5
    assert not scan.summary.dangling_links
    assert "nx5d_dangling_links" not in scan.raw.attrs


# -- num_frames is the number of scan points (issue 25, item 3) ------------------------------


def _signal(root: Path, shape: tuple[int, ...], *, axes: list[str] | None = None, interpretation: str | None = None, pixel_axes: tuple[int, ...] = ()) -> nx5d_core.Scan:  # fmt: skip
    with _file(root / "p" / "s.nxs") as handle:
        _, data = _entry(handle)
        data.attrs["signal"] = "data"
        data["data"] = np.zeros(shape, dtype=np.float32)
        if interpretation:
            data["data"].attrs["interpretation"] = interpretation
        if axes is not None:
            data.attrs["axes"] = axes
            for n, name in enumerate(axes):
                if name != ".":
                    data[name] = np.arange(float(shape[n]))
                    if n in pixel_axes:
                        data[name].attrs["units"] = "pixels"
    return _scan(root)


def test_num_frames_counts_the_points_of_a_map(tmp_path: Path) -> None:
    # DLS p45 (GDA): a 5 x 5 map of a point detector, axes for both motors, '.' for the detector
    assert _signal(tmp_path / "a", (5, 5, 4, 4), axes=["y", "x", ".", "."]).summary.num_frames == 25  # fmt: skip
    # a 29 x 78 map of diffraction patterns (pyFAI writes interpretation="spectrum")
    assert _signal(tmp_path / "b", (29, 78, 100), interpretation="spectrum").summary.num_frames == 2262  # fmt: skip
    # STXM raster image: every pixel is a point of the scan
    assert _signal(tmp_path / "c", (50, 40), axes=["sample_y", "sample_x"]).summary.num_frames == 2000  # fmt: skip


def test_num_frames_of_images_is_the_number_of_images(tmp_path: Path) -> None:
    # a lone 2-D image is one frame, however its axes are spelled
    assert _signal(tmp_path / "a", (128, 256)).summary.num_frames == 1
    assert _signal(tmp_path / "b", (128, 256), axes=[".", "."]).summary.num_frames == 1
    assert _signal(tmp_path / "c", (128, 256), interpretation="image").summary.num_frames == 1
    # APS 9-ID-C (areaDetector NDFileNexus): 10 frames with pixel axes named
    scan = _signal(tmp_path / "d", (10, 19, 48), axes=["times", "vertical", "horizontal"], pixel_axes=(1, 2))  # fmt: skip
    assert scan.summary.num_frames == 10


def test_an_entry_without_measured_data_has_no_frames_and_no_raw(tmp_path: Path) -> None:
    from nx5d_hdf5 import Hdf5NoDataError

    with _file(tmp_path / "p" / "s.nxs") as handle:  # geometry only: an NXmx-style template
        entry = handle.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        geometry = entry.create_group("instrument/detector")
        geometry["pixel_mask"] = np.zeros((512, 512), dtype=np.int32)  # large, and not data
        geometry["distance"] = 0.3
    scan = _scan(tmp_path)
    assert scan.summary.num_frames == 0
    assert any("no measured data" in n for n in scan.summary.notes)
    with pytest.raises(Hdf5NoDataError, match="no measured data"):
        _ = scan.raw


def test_bin_edges_become_centres_and_bounds(tmp_path: Path) -> None:
    """IPNS/SNS histograms (and Mantid's NXdata): an axis of N+1 edges for N bins."""
    with _file(tmp_path / "p" / "s.nxs") as handle:
        _, data = _entry(handle)
        data["counts"] = np.arange(4.0)
        data["counts"].attrs.update({"signal": 1, "axes": "time_of_flight"})
        data["time_of_flight"] = np.array([0.0, 10.0, 20.0, 40.0, 80.0])
        data["time_of_flight"].attrs.update({"units": "microsecond", "axis": 1})
    raw = _scan(tmp_path).raw
    assert raw["counts"].dims == ("time_of_flight",)  # the dimension keeps the axis's name
    np.testing.assert_array_equal(raw["time_of_flight"].values, [5.0, 15.0, 30.0, 60.0])
    np.testing.assert_array_equal(raw["time_of_flight_bounds"].values[:, 0], [0.0, 10.0, 20.0, 40.0])  # fmt: skip
    np.testing.assert_array_equal(raw["time_of_flight_bounds"].values[:, 1], [10.0, 20.0, 40.0, 80.0])  # fmt: skip
    assert raw["time_of_flight"].attrs["units"] == "microsecond"


def _pyfai_diffmap(path: Path, *, group_axes: bool) -> None:
    """What pyFAI's diffmap writes for a 1-D integration of a slow x fast map: the integrated
    patterns ``intensity`` (slow, fast, radial, interpretation="spectrum"), a virtual ``map``
    (radial, slow, fast) over them as the signal, and an integer ``axes`` on each axis dataset
    (1-based dimension of ``map``); its axes carry ``unit``."""
    slow, fast, radial = 3, 4, 5
    with _file(path) as handle:
        _, data = _entry(handle)
        data.attrs["signal"] = "map"
        if group_axes:
            data.attrs["axes"] = ["2th", "slow", "fast"]
        patterns = np.arange(slow * fast * radial, dtype="float32").reshape(slow, fast, radial)
        data["intensity"] = patterns
        data["intensity"].attrs["interpretation"] = "spectrum"
        layout = h5py.VirtualLayout(shape=(radial, slow, fast), dtype="float32")
        source = h5py.VirtualSource(data["intensity"])
        for i in range(slow):
            for j in range(fast):
                layout[:, i, j] = source[i, j]
        data.create_virtual_dataset("map", layout, fillvalue=np.nan)
        data["map"].attrs["interpretation"] = "image"
        for name, values, number in (
            ("2th", np.linspace(1.0, 5.0, radial), 1),
            ("slow", np.arange(slow, dtype=float), 2),
            ("fast", np.arange(fast, dtype=float), 3),
        ):
            data[name] = values
            data[name].attrs.update({"axes": number, "unit": "deg", "interpretation": "scalar"})


@pytest.mark.parametrize("group_axes", [True, False], ids=["group-axes", "dataset-axes-only"])
def test_pyfai_diffmap_integer_axes_on_the_axis_datasets(tmp_path: Path, group_axes: bool) -> None:  # fmt: skip
    _pyfai_diffmap(tmp_path / "p" / "s.nxs", group_axes=group_axes)
    scan = _scan(tmp_path)
    raw = scan.raw
    assert raw["map"].dims == ("2th", "slow", "fast")
    np.testing.assert_array_equal(raw["slow"].values, np.arange(3.0))
    assert raw["2th"].attrs["units"] == "deg"
    with h5py.File(tmp_path / "p" / "s.nxs") as handle:  # the map is the patterns transposed
        patterns = handle["entry/data/intensity"][()]
    np.testing.assert_array_equal(raw["map"].values, patterns.transpose(2, 0, 1))
    # 3 x 4 points of the map, each a 5-value pattern (the virtual map only reorders them)
    assert scan.summary.num_frames == 12


def test_numeric_arrays_in_attributes_stay_arrays(tmp_path: Path) -> None:
    """NXtransformations ``vector``/``offset`` and per-axis calibration arrays (Diamond GDA, ESRF
    bliss) are arrays of numbers: they stay arrays of their type; a one-element array, as NAPI
    writes every attribute, is its value."""
    with _file(tmp_path / "p" / "s.nxs") as handle:
        entry, data = _entry(handle)
        entry.attrs["offsets"] = np.array([1.5, 2.5, 3.5])
        data.attrs.update({"signal": "counts", "axes": ["x"]})
        data["counts"] = np.arange(5.0)
        data["x"] = np.arange(5.0)
        data["x"].attrs.update({"vector": np.array([0, 0, 1], dtype="int32"), "offset": np.array([0.1, 0.2]), "gain": np.array([2.0])})  # fmt: skip
    raw = _scan(tmp_path).raw
    assert isinstance(raw.attrs["offsets"], np.ndarray)
    np.testing.assert_array_equal(raw.attrs["offsets"], [1.5, 2.5, 3.5])
    vector = raw["x"].attrs["vector"]
    assert isinstance(vector, np.ndarray)
    assert vector.dtype == np.int32
    np.testing.assert_array_equal(vector, [0, 0, 1])
    np.testing.assert_array_equal(raw["x"].attrs["offset"], [0.1, 0.2])
    assert raw["x"].attrs["gain"] == 2.0
