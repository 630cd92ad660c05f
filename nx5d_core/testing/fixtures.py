"""pytest plugin (entry point ``pytest11``) with fixtures for adapter authors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REAL_DATA_ENV = "NX5D_REAL_DATA"


def find_real_data(start: Path | None = None) -> Path | None:
    """The shared real-data folder: ``$NX5D_REAL_DATA``, or ``shared/data/real`` beside a parent folder."""
    env = os.environ.get(REAL_DATA_ENV)
    if env:
        return Path(env) if Path(env).is_dir() else None
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder.parent / "shared" / "data" / "real"
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def nx5d_real_data() -> Path:
    """Path of the real beamline data; skips with the reason when it is absent."""
    found = find_real_data()
    if found is None:
        pytest.skip(
            f"real beamline data not found: set {REAL_DATA_ENV} or put shared/data/real beside the project"
        )
    return found
