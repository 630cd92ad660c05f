"""The SPEC adapter passes the conformance suite (generated files and the real APS 33-ID file)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from nx5d_spec import SpecRepository
from nx5d_spec.sample import write_spec

from nx5d_core import Scan
from nx5d_core.testing import AdapterConformance


class TestSpecConformance(AdapterConformance):
    @pytest.fixture
    def repository(self, tmp_path: Path) -> SpecRepository:
        for proposal in ("p1", "p2"):
            write_spec(tmp_path / f"{proposal}.dat")
        return SpecRepository(f"file://{tmp_path}/{{proposal}}.dat#{{scan}}")

    @pytest.fixture
    def corrupt(self) -> Callable[[Scan], None]:
        def damage(scan: Scan) -> None:
            path = scan.proposal.file  # type: ignore[attr-defined]
            text = path.read_text(encoding="latin-1").replace("50001 ", "50001 x", 1)
            path.write_text(text.replace("\n10.1000 101 1", "\n10.1000 101", 1), encoding="latin-1")

        return damage


class TestRealSpecConformance(AdapterConformance):
    @pytest.fixture
    def repository(self, nx5d_real_data: Path) -> SpecRepository:
        return SpecRepository(
            str(nx5d_real_data / "APS/33-ID_psic/samplecheck_7_17_03/33id_spec.dat")
        )
