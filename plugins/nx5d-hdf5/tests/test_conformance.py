"""The HDF5 adapter passes the conformance suite (generated files and the real SLS folder)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest
from nx5d_hdf5 import Hdf5Repository

from nx5d_core import Scan
from nx5d_core.testing import AdapterConformance


class TestHdf5Conformance(AdapterConformance):
    @pytest.fixture
    def repository(self, tmp_path: Path) -> Hdf5Repository:
        for proposal in ("p1", "p2"):
            with h5py.File(tmp_path / f"{proposal}.nxs", "w") as f:
                for scan in ("r1", "r2", "r10"):
                    entry = f.create_group(scan)
                    entry.attrs.update({"NX_class": "NXentry", "default": "data"})
                    entry["start_time"] = "2024-05-01T10:00:00+02:00"
                    data = entry.create_group("data")
                    data.attrs.update(
                        {"NX_class": "NXdata", "signal": "frames", "axes": ["theta", ".", "."]}
                    )
                    data.create_dataset(
                        "frames",
                        data=np.arange(5 * 6 * 7, dtype=np.int32).reshape(5, 6, 7),
                        chunks=(1, 6, 7),
                    )
                    data["theta"] = np.linspace(10, 11, 5)
        return Hdf5Repository(f"file://{tmp_path}/{{proposal}}.nxs#{{scan}}")

    @pytest.fixture
    def corrupt(self) -> Callable[[Scan], None]:
        def damage(scan: Scan) -> None:
            path = scan.file  # type: ignore[attr-defined]
            path.write_bytes(path.read_bytes()[:2048])

        return damage


class TestRealSlsConformance(AdapterConformance):
    @pytest.fixture
    def repository(self, nx5d_real_data: Path) -> Hdf5Repository:
        return Hdf5Repository(f"file://{nx5d_real_data}/SLS/STXM/{{proposal}}/{{scan}}.hdf5")
