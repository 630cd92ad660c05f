"""The adapter passes nx5d_core's conformance suite on the sample data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from nx5d_core import Scan
from nx5d_core.testing import AdapterConformance

from {{ cookiecutter.package_name }}.adapter import FacilityRepository, FacilityScan
from {{ cookiecutter.package_name }}.sample import make_sample


class TestConformance(AdapterConformance):
    @pytest.fixture
    def repository(self, tmp_path: Path) -> FacilityRepository:
        return FacilityRepository(str(make_sample(tmp_path)))

    @pytest.fixture
    def corrupt(self) -> Callable[[Scan], None]:
        def damage(scan: Scan) -> None:
            assert isinstance(scan, FacilityScan)
            (scan.folder / "counters.csv").write_text("")

        return damage


def test_reads_the_sample(tmp_path: Path) -> None:
    repo = FacilityRepository(str(make_sample(tmp_path)))
    scan = repo["2024-05-01"][-1]
    assert scan.key == "r10"
    assert scan.raw["images"].shape == (4, 8, 10)
    assert scan.cooked["normalised"].shape == (8, 10)
