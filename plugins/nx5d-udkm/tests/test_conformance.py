"""The UDKM adapter passes the conformance suite."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from nx5d_udkm import UdkmRepository
from nx5d_udkm.sample import make_repository

from nx5d_core import Scan
from nx5d_core.testing import AdapterConformance


class TestUdkmConformance(AdapterConformance):
    @pytest.fixture
    def repository(self, tmp_path: Path) -> UdkmRepository:
        root = make_repository(
            tmp_path, scans={"20210205": ["091726", "101500"], "20210206": ["080000"]}, delays=2
        )
        return UdkmRepository(str(root))

    @pytest.fixture
    def corrupt(self) -> Callable[[Scan], None]:
        def damage(scan: Scan) -> None:
            (scan.folder / "manifest.dat").write_text("% Delay\tTheta\n1.0\n")  # type: ignore[attr-defined]

        return damage
