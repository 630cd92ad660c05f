"""Each test sees the HDF5 adapter's once-per-file warnings afresh."""

from __future__ import annotations

import pytest
from nx5d_hdf5 import groups


@pytest.fixture(autouse=True)
def _fresh_warnings() -> None:
    groups._WARNED.clear()
