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
{%- if cookiecutter.layout == "frame-series" %}
    corrupt_reads = ("raw",)  # the summary is the listing: a damaged frame shows when read
{% endif %}
    @pytest.fixture
    def repository(self, tmp_path: Path) -> FacilityRepository:
        return FacilityRepository(str(make_sample(tmp_path)))

    @pytest.fixture
    def corrupt(self) -> Callable[[Scan], None]:
        def damage(scan: Scan) -> None:
            assert isinstance(scan, FacilityScan)
{%- if cookiecutter.layout == "frame-series" %}
            frame = scan._frames()[-1].path
            frame.write_bytes(frame.read_bytes()[:40])  # a truncated TIFF
{%- else %}
            (scan.folder / "counters.csv").write_text("")
{%- endif %}

        return damage


def test_reads_the_sample(tmp_path: Path) -> None:
    repo = FacilityRepository(str(make_sample(tmp_path)))
    scan = repo["2024-05-01"][-1]
    assert scan.key == "r10"
    assert scan.raw["images"].shape == (4, 8, 10)
{%- if cookiecutter.layout != "frame-series" %}
    assert scan.cooked["normalised"].shape == (8, 10)
{%- endif %}
    assert scan.lazy()["images"][1].values.tolist() == scan.raw["images"][1].values.tolist()

{%- if cookiecutter.layout != "frame-series" %}


def test_a_scan_being_acquired_reads_as_its_frames_so_far(tmp_path: Path) -> None:
    repo = FacilityRepository(str(make_sample(tmp_path)))
    scan = repo["2024-05-01"][-1]
    assert isinstance(scan, FacilityScan)
    scan._frames()[-1].path.unlink()  # counters.csv has its row, the frame is not written yet
    assert scan.raw["images"].shape == (3, 8, 10)
    assert "1 of 4 frames left out" in scan.raw.attrs["nx5d_incomplete"]
{%- endif %}


def test_the_plain_folder_is_recognised(tmp_path: Path) -> None:
    import nx5d_core

    repo = nx5d_core.open_repository(str(make_sample(tmp_path)), index=False)
    assert isinstance(repo, FacilityRepository)


def test_the_recipe_sums_the_roi_with_parameters_from_spice(tmp_path: Path) -> None:
    from {{ cookiecutter.package_name }}.recipes import NAME

    repo = FacilityRepository(str(make_sample(tmp_path)), spice=str(tmp_path / "spice.sqlite"))
    proposal = repo["2024-05-01"]
    proposal.spice.seed(NAME, {"roi": [2, 6, 3, 9]}, type=NAME)
    scan = proposal[-1]
    cooked = scan.cook(recipe=NAME)
    expected = scan.raw["images"].values[:, 2:6, 3:9].sum(axis=(1, 2))
    assert cooked["roi_sum"].values.tolist() == expected.tolist()
    assert cooked.attrs["nx5d_recipe"] == NAME
