"""Streams in the core: ``primary`` is the raw data; adapters add others (Bluesky's baseline,
monitors), read at each call, checked as ``raw`` is."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from nx5d_memory import MemoryRepository
from nx5d_memory.adapter import MemoryScan

from nx5d_core.errors import AdapterContractError, FilesChangedError, FormatError, KeyNotFoundError
from nx5d_core.fingerprint import Fingerprint


def _run() -> dict[str, xr.Dataset]:
    primary = xr.Dataset({"det": ("time", np.arange(5.0))}, coords={"time": np.arange(5)})
    baseline = xr.Dataset({"temperature": ("time", [290.0, 291.0])}, coords={"time": [0, 9]})
    return {"primary": primary, "baseline": baseline}


@pytest.fixture
def repo() -> MemoryRepository:
    return MemoryRepository.from_dict({"p": {"run": _run(), "plain": np.arange(3)}})


def test_a_scan_lists_primary_first_then_its_own(repo: MemoryRepository) -> None:
    assert repo["p"]["run"].streams == ["primary", "baseline"]
    assert repo["p"]["plain"].streams == ["primary"]


def test_primary_is_raw_and_the_others_read_as_given(repo: MemoryRepository) -> None:
    scan = repo["p"]["run"]
    xr.testing.assert_identical(scan.stream("primary"), scan.raw)
    xr.testing.assert_identical(scan.stream("baseline"), _run()["baseline"])
    lazy = scan.stream("baseline", lazy=True)
    assert lazy["temperature"].chunks is not None
    np.testing.assert_array_equal(lazy["temperature"].values, [290.0, 291.0])
    assert scan.stream("primary", lazy=True)["det"].chunks is not None


def test_an_unknown_stream_names_the_ones_there(repo: MemoryRepository) -> None:
    with pytest.raises(KeyNotFoundError, match="baseline") as caught:
        repo["p"]["run"].stream("baselin")
    assert caught.value.kind == "stream"


def test_the_html_repr_shows_the_streams(repo: MemoryRepository) -> None:
    html = repo["p"]["run"]._repr_html_()
    assert "Streams" in html
    assert "primary, baseline" in html


def test_a_run_without_primary_is_a_format_error() -> None:
    repo = MemoryRepository.from_dict({"p": {"run": {"baseline": _run()["baseline"]}}})
    with pytest.raises(FormatError, match="primary"):
        _ = repo["p"]["run"].raw


@pytest.mark.parametrize("listed", [["primary"], ["baseline", "baseline"], ["a/b"]])
def test_a_bad_stream_listing_is_the_adapters_error(
    repo: MemoryRepository, monkeypatch: pytest.MonkeyPatch, listed: list[str]
) -> None:
    monkeypatch.setattr(MemoryScan, "_list_streams", lambda self: listed)
    with pytest.raises((AdapterContractError, ValueError)):
        _ = repo["p"]["run"].streams


def test_a_stream_that_is_not_a_dataset_is_the_adapters_error(
    repo: MemoryRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(MemoryScan, "_get_stream", lambda self, name, *, lazy: np.arange(3))
    with pytest.raises(AdapterContractError, match="not xarray.Dataset"):
        repo["p"]["run"].stream("baseline")


def test_files_changing_during_a_stream_read_raise(
    repo: MemoryRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = iter(range(100))
    monkeypatch.setattr(
        MemoryScan, "_fingerprint", lambda self: Fingerprint((("f", (next(seen), 1, 1, 1)),))
    )
    with pytest.raises(FilesChangedError, match="baseline"):
        repo["p"]["run"].stream("baseline")


def test_a_stream_read_as_a_snapshot_of_growing_data_stands(
    repo: MemoryRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nx5d_core.scan import SNAPSHOT

    seen = iter(range(100))
    monkeypatch.setattr(
        MemoryScan, "_fingerprint", lambda self: Fingerprint((("f", (next(seen), 1, 1, 1)),))
    )
    growing = _run()["baseline"].assign_attrs({SNAPSHOT: "as far as written"})
    monkeypatch.setattr(MemoryScan, "_get_stream", lambda self, name, *, lazy: growing)
    assert repo["p"]["run"].stream("baseline")["temperature"].values.tolist() == [290.0, 291.0]
