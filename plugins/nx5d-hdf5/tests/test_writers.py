"""NeXus conventions of particular writers, each in a small generated file (issue 25, item 4).

SOLEIL's older files number ``axis`` from 0 (``axis=0, primary=1`` on the axis of a 1-D signal);
pyFAI writes ``unit`` (not ``units``) on its axes; files name axes that were never written;
Diamond and ESRF writers hard-link one group (a detector, a data group) into two places.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

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
