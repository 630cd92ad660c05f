"""The base classes through the classic example and small adapters written as users would."""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

import nx5d_core
from nx5d_core import KeyNotFoundError, Proposal, Repository, Scan, ScanSummary
from nx5d_core.errors import AdapterContractError, InvalidKeyError


def test_classic_example(classic: Repository) -> None:
    assert classic.keys() == ["alpha", "bravo", "charlie"]
    alpha = classic["alpha"]
    assert alpha.keys() == ["a1", "a2", "a3", "a4"]
    scan = alpha["a3"]
    assert scan.raw["value"].values.tolist() == ["alpha", "a3"]
    assert scan.cooked["value"].values.tolist() == ["ALPHA", "A3"]
    assert classic.charlie.c4.raw["value"].values.tolist() == ["charlie", "c4"]
    assert [s.key for s in classic["bravo"][-2:]] == ["b3", "b4"]


def test_len_iter_contains_values_items(classic: Repository) -> None:
    assert len(classic) == 3
    assert list(classic) == ["alpha", "bravo", "charlie"]
    assert "bravo" in classic
    assert "delta" not in classic
    assert [p.key for p in classic.values()] == ["alpha", "bravo", "charlie"]
    assert [k for k, _ in classic["alpha"].items()] == ["a1", "a2", "a3", "a4"]


def test_negative_index_is_recency_and_slices_work(classic: Repository) -> None:
    proposal = classic["bravo"]
    assert proposal[-1].key == "b4"
    assert proposal[0].key == "b1"
    assert [s.key for s in proposal[-3:-1]] == ["b2", "b3"]
    with pytest.raises(IndexError, match="scan index 7 out of range.*has 4 scans"):
        proposal[7]


def test_missing_key_names_key_place_and_closest(classic: Repository) -> None:
    with pytest.raises(KeyNotFoundError) as info:
        classic["alpha"]["a5"]
    message = str(info.value)
    assert "scan 'a5' not found in proposal 'alpha'" in message
    assert "memory://classic" in message
    assert "closest: 'a1'" in message or "'a4'" in message
    assert isinstance(info.value, KeyError)
    with pytest.raises(KeyNotFoundError, match="proposal 'alhpa' not found.*closest: 'alpha'"):
        classic["alhpa"]


def test_key_escaping_root_is_rejected(classic: Repository) -> None:
    with pytest.raises(InvalidKeyError, match="would leave the repository root"):
        classic["../alpha"]
    with pytest.raises(InvalidKeyError):
        classic["alpha"][".."]


def test_handles_attribute_access_and_completion(classic: Repository) -> None:
    assert classic.handles() == {"alpha": "alpha", "bravo": "bravo", "charlie": "charlie"}
    assert classic.alpha is classic["alpha"]
    assert "charlie" in dir(classic)
    assert "a2" in dir(classic.alpha)
    with pytest.raises(
        AttributeError, match=r"no attribute or proposal handle 'alpah'.*closest: alpha"
    ):
        _ = classic.alpah


def test_numeric_keys_get_prefixed_handles() -> None:
    from nx5d_memory import MemoryRepository

    repo = MemoryRepository.from_dict({"20210205": {"091726": [1], "091800": [2]}})
    assert repo.handles() == {"p20210205": "20210205"}
    assert repo.p20210205.s091726.key == "091726"
    with pytest.raises(AttributeError, match="handles: s091726, s091800"):
        _ = repo.p20210205.nothing


def test_objects_are_cached_and_refresh_drops_caches(classic: Repository) -> None:
    first = classic["alpha"]
    assert classic["alpha"] is first
    scan = first["a1"]
    assert first["a1"] is scan
    assert scan.raw is scan.raw
    classic.refresh()
    assert classic["alpha"] is not first


class CountingRepository(Repository):
    """A tiny adapter that counts hook calls and supports summary failures."""

    name = "counting"
    version = "1"

    def __init__(
        self, url: str, *, scans: list[str], fail: Iterable[str] = (), spice: Any = None
    ) -> None:
        super().__init__(url, spice=spice)
        self.scans = scans
        self.fail = set(fail)
        self.calls: dict[str, int] = {"list_proposals": 0, "list_scans": 0, "summary": 0, "raw": 0}

    def _list_proposals(self) -> Iterable[str]:
        self.calls["list_proposals"] += 1
        return ["p1"]

    def _proposal(self, key: str) -> Proposal:
        return CountingProposal(repository=self, key=key)


class CountingProposal(Proposal):
    repository: CountingRepository

    def _list_scans(self) -> Iterable[str]:
        self.repository.calls["list_scans"] += 1
        return list(self.repository.scans)

    def _scan(self, key: str) -> Scan:
        return CountingScan(proposal=self, key=key)


class CountingScan(Scan):
    proposal: CountingProposal

    def _get_summary(self) -> ScanSummary:
        repo = self.proposal.repository
        repo.calls["summary"] += 1
        if self.key in repo.fail:
            msg = f"manifest of {self.key} is truncated"
            raise ValueError(msg)
        return ScanSummary(key=self.key, type="test", num_frames=3)

    def _get_raw(self) -> xr.Dataset:
        self.proposal.repository.calls["raw"] += 1
        n = int(self.key.lstrip("r"))
        return xr.Dataset({"counts": ("frame", np.arange(3) * n)}, coords={"frame": [0, 1, 2]})

    def _cook(self, raw: xr.Dataset, spice: Any) -> xr.Dataset:
        factor = spice["norm"]["factor"] if "norm" in spice else 1
        return xr.Dataset({"normalised": raw["counts"] * factor})


def test_default_scan_order_is_natural() -> None:
    repo = CountingRepository("x://", scans=["r10", "r2", "r1"])
    assert repo["p1"].keys() == ["r1", "r2", "r10"]
    assert repo["p1"][-1].key == "r10"


def test_adapter_defined_scan_order() -> None:
    class Reverse(CountingProposal):
        def scan_order(self, key: str) -> Any:
            return -int(key.lstrip("r"))

    class Repo(CountingRepository):
        def _proposal(self, key: str) -> Proposal:
            return Reverse(repository=self, key=key)

    assert Repo("x://", scans=["r10", "r2", "r1"])["p1"].keys() == ["r10", "r2", "r1"]


def test_listing_and_summaries_never_read_raw_and_are_cached() -> None:
    repo = CountingRepository("x://", scans=["r1", "r2"])
    proposal = repo["p1"]
    proposal.keys()
    proposal.keys()
    table = proposal.table()
    assert list(table.index) == ["r1", "r2"]
    assert table.loc["r2", "num_frames"] == 3
    proposal._repr_html_()
    assert repo.calls == {"list_proposals": 1, "list_scans": 1, "summary": 2, "raw": 0}
    repo["p1"]
    assert repo.calls["list_proposals"] == 1


def test_failing_summary_is_listed_as_failed_and_reraised(caplog: pytest.LogCaptureFixture) -> None:
    repo = CountingRepository("x://", scans=["r1", "r2", "r3"], fail=["r2"])
    proposal = repo["p1"]
    entries = proposal.summaries()
    assert [e.ok for e in entries] == [True, False, True]
    assert isinstance(entries[1].error, ValueError)
    assert "r2" in caplog.text
    assert "truncated" in caplog.text
    assert "truncated" in proposal.table().loc["r2", "error"]
    html = proposal._repr_html_()
    assert "failed: ValueError: manifest of r2 is truncated" in html
    with pytest.raises(ValueError, match="manifest of r2 is truncated") as info:
        _ = proposal["r2"].summary
    assert any("while reading the summary of scan 'r2'" in n for n in info.value.__notes__)


def test_adapter_returning_wrong_types_is_named() -> None:
    class Bad(CountingScan):
        def _get_raw(self) -> xr.Dataset:
            return [1, 2]  # type: ignore[return-value]

    repo = CountingRepository("x://", scans=["r1"])
    scan = Bad(proposal=repo["p1"], key="r1")
    with pytest.raises(
        AdapterContractError, match=r"Bad._get_raw\(\) returned list, not xarray.Dataset"
    ):
        _ = scan.raw


def test_adapter_listing_invalid_keys_is_an_error() -> None:
    repo = CountingRepository("x://", scans=["r1", "../r2"])
    with pytest.raises(InvalidKeyError, match="'../r2'") as info:
        repo["p1"].keys()
    assert any("listed by the adapter" in n for n in info.value.__notes__)


def test_lazy_fallback_is_dask_backed_and_equals_raw() -> None:
    repo = CountingRepository("x://", scans=["r1", "r2"])
    scan = repo["p1"]["r2"]
    lazy = scan.lazy()
    assert lazy["counts"].chunks is not None
    before = repo.calls["raw"]
    assert lazy["counts"].sum().compute().item() == 6
    assert repo.calls["raw"] == before + 1
    xr.testing.assert_identical(lazy.compute(), scan.raw)


def test_memory_lazy_is_dask_backed(classic: Repository) -> None:
    lazy = classic["alpha"]["a1"].lazy()
    assert lazy["value"].chunks is not None
    xr.testing.assert_identical(lazy.compute(), classic["alpha"]["a1"].raw)


def test_cooked_is_cached_and_spice_change_gives_fresh_cook() -> None:
    repo = CountingRepository("x://", scans=["r1", "r2"])
    scan = repo["p1"]["r2"]
    first = scan.cooked
    assert scan.cooked is first
    assert first["normalised"].values.tolist() == [0, 2, 4]
    assert first.attrs["nx5d_adapter"] == "counting"
    repo["p1"].spice.seed("norm", {"factor": 10}, type="free")
    second = scan.cooked
    assert second is not first
    assert second["normalised"].values.tolist() == [0, 20, 40]
    assert '"revision": 0' in second.attrs["nx5d_spice"]
    assert scan.cook(norm={"factor": 2})["normalised"].values.tolist() == [0, 4, 8]
    assert scan.cooked is second


def test_scan_without_cook_step_says_so(classic: Repository) -> None:
    from nx5d_memory import MemoryRepository

    repo = MemoryRepository.from_dict({"p": {"s": [1]}})
    with pytest.raises(NotImplementedError, match="adapter 'memory' defines no cook step"):
        _ = repo["p"]["s"].cooked


def test_scan_table_and_html(classic: Repository) -> None:
    from nx5d_memory import MemoryRepository

    ds = xr.Dataset({"theta": ("frame", [1.0, 2.0]), "img": (("frame", "y"), np.zeros((2, 3)))})
    scan = MemoryRepository.from_dict({"p": {"<s>": ds}})["p"]["<s>"]
    assert list(scan.table().columns) == ["theta"]
    assert "&lt;s&gt;" in scan._repr_html_()
    assert "<table>" in classic._repr_html_()


def test_scans_pickle_without_their_caches() -> None:
    from nx5d_memory import MemoryRepository

    scan = MemoryRepository.from_dict({"alpha": {"a2": ("alpha", "a2")}})["alpha"]["a2"]
    _ = scan.raw
    clone = pickle.loads(pickle.dumps(scan))
    assert clone._raw is None
    assert clone.raw["value"].values.tolist() == ["alpha", "a2"]


def test_open_repository_options_reach_adapter() -> None:
    repo = nx5d_core.open_repository("memory://opts", adapter="memory", data={"p": {"s": [3]}})
    assert repo["p"]["s"].summary.num_frames == 1


def test_options_are_one_frozen_object(tmp_path: Path) -> None:
    from nx5d_udkm.sample import make_repository

    root = make_repository(tmp_path / "r", scans={"20210205": ["091726"]}, delays=1)
    repo = nx5d_core.open_repository(str(root), reduce=2)
    scan = repo["20210205"]["091726"]
    assert scan.options.reduce == 2
    assert scan.options.roi is None
    assert scan.options.model_dump()["reduce"] == 2
    with pytest.raises(AttributeError, match="read-only"):
        scan.options.reduce = 3


def test_scan_table_has_one_row_per_point_whatever_the_shapes() -> None:
    """A 5 x 5 map gives 25 rows (not the images' pixels), variables along unrelated dimensions
    are left out and named (never a cartesian product), a scan of single values raises."""
    from nx5d_memory import MemoryRepository

    from nx5d_core.errors import NoTableError

    grid = {"y": np.arange(5.0), "x": np.arange(5.0)}
    mapping = xr.Dataset(
        {
            "I0": (("y", "x"), np.ones((5, 5))),
            "det": (("y", "x"), np.arange(25.0).reshape(5, 5)),
            "frames": (("y", "x", "py", "px"), np.zeros((5, 5, 4, 4))),
        },
        coords=grid,
    )
    mixed = xr.Dataset({"a": ("p", np.arange(300.0)), "b": ("q", np.arange(400.0)), "c": ("p", np.arange(300.0))})  # fmt: skip
    scalars = xr.Dataset({"energy": 12.4, "distance": 0.5})
    repo = MemoryRepository.from_dict({"p": {"map": mapping, "mixed": mixed, "single": scalars}})
    table = repo["p"]["map"].table()
    assert table.shape == (25, 2)
    assert list(table.columns) == ["I0", "det"]
    assert table.loc[(4.0, 4.0), "det"] == 24.0
    assert table.attrs["nx5d_left_out"] == ["frames"]
    table = repo["p"]["mixed"].table()
    assert table.shape == (300, 2)  # not 120,000 rows
    assert table.attrs["nx5d_left_out"] == ["b"]
    with pytest.raises(NoTableError, match="scan 'single' of proposal 'p': nothing to tabulate"):
        repo["p"]["single"].table()


def test_a_warning_per_scan_is_aggregated(caplog: pytest.LogCaptureFixture) -> None:
    """20,000 scans without the same file: 3 lines and a count at 10, 100, 1000 and 10,000."""
    import logging

    from nx5d_core.logs import RepeatFilter

    log = logging.getLogger("nx5d_test_repeats")
    log.addFilter(RepeatFilter(show=3))
    with caplog.at_level(logging.WARNING, logger="nx5d_test_repeats"):
        for n in range(20_000):
            log.warning("scan %s: parameters.txt unreadable", n)
        log.warning("another message")
    lines = [r.getMessage() for r in caplog.records]
    assert lines[:3] == [f"scan {n}: parameters.txt unreadable" for n in range(3)]
    assert [line.split("[")[1] for line in lines[3:-1]] == [f"repeated {n} times so far; the others not shown]" for n in (10, 100, 1000, 10_000)]  # fmt: skip
    assert lines[-1] == "another message"
