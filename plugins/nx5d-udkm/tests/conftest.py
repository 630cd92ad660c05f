"""Small generated UDKM repositories for the tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from nx5d_udkm.sample import make_repository


@pytest.fixture(scope="session")
def udkm_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only repository: proposal 20210205 with three scans of 6 delays x 21 Thetas."""
    return make_repository(tmp_path_factory.mktemp("udkm"), delays=6, loops=1)


@pytest.fixture
def scratch_root(tmp_path: Path) -> Path:
    """A repository a test may damage: one scan of 4 delays x 21 Thetas (84 frames)."""
    return make_repository(tmp_path / "repo", scans={"20210205": ["091726"]}, delays=4, loops=1)
