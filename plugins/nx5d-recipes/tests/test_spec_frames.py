"""The rsm recipe on a SPEC scan whose area-detector frames are separate EDF files (ESRF ccd
macros): angles from the SPEC columns, frames from the files, compared with xrayutilities."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from nx5d_images.sample import write_series
from nx5d_spec.sample import write_spec

import nx5d_core

xu = pytest.importorskip("xrayutilities")

PARAMS = {
    "energy_ev": 9000.0,
    "sample_circles": [{"axis": "x+", "angle": "Theta"}],
    "detector_circles": [{"axis": "x+", "angle": 21.0}],
    "detector": {
        "kind": "area",
        "signal": "images",
        "center_pixel": [8, 6],
        "pixel_size_m": 1e-4,
        "distance_m": 0.4,
    },
    "normalise": {"monitor": "Monitor"},
    "grid": [20, 20],
}


def test_rsm_of_a_spec_scan_with_edf_frames_equals_xrayutilities(tmp_path: Path) -> None:
    write_spec(tmp_path / "sample1.dat", scans=(1,), points=6)
    write_series(tmp_path / "sample1" / "images" / "001", name="img", frames=6)
    repo = nx5d_core.open_repository(
        str(tmp_path / "sample1.dat"),
        frames="{proposal}/images/{number:03d}/img_{point:04d}.edf",
        spice=tmp_path / "spice.sqlite",
        index=False,
    )
    proposal = repo[0]
    proposal.spice.seed("rsm", PARAMS, type="rsm", author="test")
    scan = proposal["1"]
    cooked = scan.cook(recipe="rsm")
    lazily = scan.cook(recipe="rsm", lazy=True)

    raw = scan.raw
    hxrd = xu.HXRD([1, 0, 0], [0, 0, 1], en=9000.0)
    hxrd.Ang2Q.init_area("x+", "z+", cch1=8, cch2=6, Nch1=16, Nch2=12, distance=0.4, pwidth1=1e-4, pwidth2=1e-4)  # fmt: skip
    _, qy, qz = hxrd.Ang2Q.area(raw["Theta"].values, np.full(6, 21.0))
    monitor = raw["Monitor"].values
    data = raw["images"].values.astype(float) * (monitor.mean() / monitor)[:, None, None]
    gridder = xu.FuzzyGridder2D(20, 20)
    gridder(qy, qz, data)
    covered = cooked["coverage"].values > 0
    assert covered.mean() > 0.2
    np.testing.assert_allclose(cooked["intensity"].values[covered], gridder.data[covered], rtol=1e-9)  # fmt: skip
    np.testing.assert_allclose(lazily["intensity"].values, cooked["intensity"].values, rtol=1e-12)  # fmt: skip
