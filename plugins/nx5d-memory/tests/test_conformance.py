"""The in-memory adapter passes the conformance suite."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from nx5d_memory import MemoryRepository

from nx5d_core.testing import AdapterConformance


def _cook(raw: xr.Dataset, spice: object) -> xr.Dataset:
    return raw.mean()


class TestMemoryConformance(AdapterConformance):
    @pytest.fixture
    def repository(self) -> MemoryRepository:
        data = {
            p: {
                f"r{n}": xr.Dataset({"counts": ("point", np.arange(4) * n)}, attrs={"type": "test"})
                for n in (1, 2, 10)
            }
            for p in ("alpha", "bravo")
        }
        data["alpha"]["r1"] = {  # a scan with streams, as a Bluesky run has
            "primary": data["alpha"]["r1"],
            "baseline": xr.Dataset({"temperature": ("time", [290.0, 291.0])}),
        }
        return MemoryRepository.from_dict(data, name="conformance", cook=_cook)
