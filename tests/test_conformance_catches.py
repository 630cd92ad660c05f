"""The conformance suite fails, with advice, for adapters with the field's usual bugs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pytest
import xarray as xr
from _pytest.outcomes import Failed

from nx5d_core import AdapterContractError, Proposal, Repository, Scan, ScanSummary
from nx5d_core.testing import AdapterConformance


class Repo(Repository):
    name = "buggy"
    description = "a deliberately buggy adapter"
    url_patterns = ("buggy://*",)

    def __init__(self, url: str, *, scans: list[str], spice: Any = None) -> None:
        super().__init__(url, spice=spice)
        self.scans = scans
        self.broken = False

    def _list_proposals(self) -> Iterable[str]:
        return ["p1"]

    def _proposal(self, key: str) -> Proposal:
        return Prop(repository=self, key=key)


class Prop(Proposal):
    repository: Repo

    def _list_scans(self) -> Iterable[str]:
        return self.repository.scans

    def _scan(self, key: str) -> Scan:
        return Good(proposal=self, key=key)


class Good(Scan):
    proposal: Prop

    def _get_summary(self) -> ScanSummary:
        if self.proposal.repository.broken:
            msg = "counters.csv is empty"
            raise ValueError(msg)
        return ScanSummary(key=self.key, type="t", num_frames=2)

    def _get_raw(self) -> xr.Dataset:
        if self.proposal.repository.broken:
            msg = "counters.csv is empty"
            raise ValueError(msg)
        return xr.Dataset({"c": ("frame", np.arange(2))})


def test_silent_empty_listing_is_caught() -> None:
    with pytest.raises(
        AssertionError, match="lists no scans over the sample data: _list_scans must raise"
    ):
        AdapterConformance().test_listing_is_not_silently_empty(Repo("buggy://x", scans=[]))


def test_swallowed_summary_errors_are_caught() -> None:
    class Swallowing(Good):
        def _get_summary(self) -> ScanSummary:
            try:
                return super()._get_summary()
            except ValueError:
                return ScanSummary(key=self.key, type="unknown", num_frames=0)  # the bug

    class SwallowingProp(Prop):
        def _scan(self, key: str) -> Scan:
            return Swallowing(proposal=self, key=key)

    class SwallowingRepo(Repo):
        def _proposal(self, key: str) -> Proposal:
            return SwallowingProp(repository=self, key=key)

    def damage(scan: Scan) -> None:
        scan.proposal.repository.broken = True  # type: ignore[attr-defined]

    with pytest.raises(AssertionError, match="was damaged but summary still returned a result"):
        AdapterConformance().test_corrupt_scan_raises_instead_of_returning(
            SwallowingRepo("buggy://x", scans=["r1"]), damage
        )
    AdapterConformance().test_corrupt_scan_raises_instead_of_returning(
        Repo("buggy://x", scans=["r1"]), damage
    )


def test_string_ordered_scans_are_caught() -> None:
    class StringOrder(Prop):
        def scan_order(self, key: str) -> Any:
            return key  # the bug: r10 before r2

    class StringRepo(Repo):
        def _proposal(self, key: str) -> Proposal:
            return StringOrder(repository=self, key=key)

    with pytest.raises(Failed, match="plain string order.*natural_key"):
        AdapterConformance().test_scan_order_is_consistent_and_not_string_order(
            StringRepo("buggy://x", scans=["r1", "r2", "r10"])
        )
    AdapterConformance().test_scan_order_is_consistent_and_not_string_order(
        Repo("buggy://x", scans=["r1", "r2", "r10"])
    )


def test_summary_reading_bulk_data_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    class Heavy(Good):
        def _get_summary(self) -> ScanSummary:
            return ScanSummary(key=self.key, type="t", num_frames=int(self._get_raw()["c"].size))

    class HeavyProp(Prop):
        def _scan(self, key: str) -> Scan:
            return Heavy(proposal=self, key=key)

    class HeavyRepo(Repo):
        def _proposal(self, key: str) -> Proposal:
            return HeavyProp(repository=self, key=key)

    with pytest.raises(AssertionError, match="_get_summary read bulk data"):
        AdapterConformance().test_summaries_load_no_bulk_data(
            HeavyRepo("buggy://x", scans=["r1"]), monkeypatch
        )


def test_unregistered_adapter_is_caught() -> None:
    with pytest.raises(
        AssertionError,
        match="adapter 'buggy' is not registered: add `\\[project.entry-points.nx5d\\]",
    ):
        AdapterConformance().test_adapter_is_registered_through_its_entry_point(
            Repo("buggy://x", scans=["r1"])
        )


def test_lazy_reading_the_scan_for_its_layout_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []

    class Laid(Good):
        def _get_raw(self) -> xr.Dataset:
            reads.append(self.key)
            return super()._get_raw()

        def _get_layout(self) -> xr.Dataset:
            from nx5d_core.lazy import placeholder

            return xr.Dataset({"c": ("frame", placeholder((2,), np.arange(2).dtype))})

    class LaidProp(Prop):
        def _scan(self, key: str) -> Scan:
            return Laid(proposal=self, key=key)

    class LaidRepo(Repo):
        def _proposal(self, key: str) -> Proposal:
            return LaidProp(repository=self, key=key)

    with pytest.raises(AssertionError, match="lazy\\(\\) read the whole scan.*_get_layout"):
        AdapterConformance().test_lazy_reads_no_bulk_data(Repo("buggy://x", scans=["r1"]), monkeypatch)  # fmt: skip
    AdapterConformance().test_lazy_reads_no_bulk_data(LaidRepo("buggy://x", scans=["r1"]), monkeypatch)  # fmt: skip
    scan = LaidRepo("buggy://x", scans=["r1"])["p1"]["r1"]
    lazy = scan.lazy()
    assert reads == [], "a layout: lazy() reads nothing"
    np.testing.assert_array_equal(lazy["c"].values, np.arange(2))
    assert reads == ["r1"], "one read per compute"

    class Lying(Laid):
        def _get_layout(self) -> xr.Dataset:
            from nx5d_core.lazy import placeholder

            return xr.Dataset({"c": ("frame", placeholder((3,), np.float32))})

    class LyingProp(Prop):
        def _scan(self, key: str) -> Scan:
            return Lying(proposal=self, key=key)

    class LyingRepo(Repo):
        def _proposal(self, key: str) -> Proposal:
            return LyingProp(repository=self, key=key)

    lying = LyingRepo("buggy://x", scans=["r1"])["p1"]["r1"].lazy()
    with pytest.raises(AdapterContractError, match="layout promised"):
        lying["c"].values  # noqa: B018
