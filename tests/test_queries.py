"""Queries and search views: databroker's questions over summaries, across proposals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
import xarray as xr

import nx5d_core
from nx5d_core.queries import Contains, FullText, In, Key, Regex, ScanKey, TimeRange, parse_time

BERLIN = timezone(timedelta(hours=1))


def _repo() -> nx5d_core.Repository:
    from nx5d_memory import MemoryRepository

    def scan(kind: str, when: str | None, text: str, n: int) -> xr.Dataset:
        attrs = {"type": kind, "description": text}
        if when is not None:
            attrs["time"] = when
        return xr.Dataset({"counts": ("frame", np.arange(n))}, attrs=attrs)

    data = {
        "p1": {
            "r1": scan("ascan", "2021-02-05T09:00:00+01:00", "InP (333) rocking curve", 5),
            "r2": scan("mesh", "2021-02-05T10:00:00+00:00", "GaAs map", 50),
            "r10": scan("ascan", None, "no time written", 3),
        },
        "p2": {
            "s1": scan("ascan", "2021-02-06T08:00:00-05:00", "InP 224 map", 12),
            "s2": scan("timescan", "2021-02-04T23:30:00+00:00", "dark", 1),
        },
    }
    return MemoryRepository.from_dict(data)


def test_key_comparisons_and_none_never_matching() -> None:
    p1 = _repo()["p1"]
    assert p1.search(Key("type") == "ascan").keys() == ["r1", "r10"]
    assert p1.search(Key("type") != "ascan").keys() == ["r2"]
    assert p1.search(Key("num_frames") > 4).keys() == ["r1", "r2"]
    assert p1.search(Key("num_frames") <= 5).keys() == ["r1", "r10"]
    assert p1.search(Key("time") > "2021-02-05T07:30:00+00:00").keys() == ["r1", "r2"]  # r10: None
    assert p1.search(Key("time") > "2021-02-05T08:30:00+00:00").keys() == ["r2"]  # instants
    assert p1.search(Key("nonexistent") == 1).keys() == []
    assert p1.search(Key("type") > 3).keys() == []  # mismatched types never match, never raise


def test_times_compare_as_instants_whatever_their_zone() -> None:
    p1 = _repo()["p1"]
    # r1 is 08:00 UTC, r2 10:00 UTC
    assert p1.search(TimeRange(since="2021-02-05T09:30:00+01:00")).keys() == ["r2"]
    assert p1.search(TimeRange(until=datetime(2021, 2, 5, 9, 0, tzinfo=UTC))).keys() == ["r1"]
    assert p1.search(TimeRange(since="2021-02-05", timezone=UTC)).keys() == ["r1", "r2"]
    assert parse_time("2021-02-05 10:00", zone=BERLIN).utcoffset() == timedelta(hours=1)
    with pytest.raises(ValueError, match="not a time"):
        TimeRange(since="last tuesday-ish")


def test_in_contains_regex_fulltext_scankey_and_combinations() -> None:
    p1 = _repo()["p1"]
    assert p1.search(In("type", ["mesh", "timescan"])).keys() == ["r2"]
    assert p1.search(Contains("description", "inp")).keys() == ["r1"]
    assert p1.search(Regex("key", r"^r1\d*$")).keys() == ["r1", "r10"]
    assert p1.search(FullText("InP 333")).keys() == ["r1"]
    assert p1.search(FullText("rock cur")).keys() == ["r1"]  # word prefixes
    assert p1.search(FullText("InP 224")).keys() == []
    assert p1.search(ScanKey("r2", "r10")).keys() == ["r2", "r10"]
    both = (Key("type") == "ascan") & (Key("num_frames") > 4)
    assert p1.search(both).keys() == ["r1"]
    either = ScanKey("r2") | ScanKey("r10")
    assert p1.search(either).keys() == ["r2", "r10"]


def test_proposal_search_is_a_view_of_the_same_type() -> None:
    p1 = _repo()["p1"]
    view = p1.search(Key("type") == "ascan")
    assert isinstance(view, nx5d_core.Proposal)
    assert view[-1].key == "r10"
    assert view["r1"] is p1["r1"]
    assert view.search(Key("num_frames") < 4).keys() == ["r10"]
    assert "r2" not in view
    assert "<table>" in view._repr_html_()
    assert list(view.table().index) == ["r1", "r10"]
    assert p1.search(lambda s: s.num_frames == 50).keys() == ["r2"]  # the predicate form stays


def test_repository_search_spans_proposals_in_time_order() -> None:
    repo = _repo()
    found = repo.search(Key("type") == "ascan")
    assert found.keys() == ["p1/r1", "p2/s1", "p1/r10"]  # by time; no time last
    assert found[-1].key == "r10"
    assert found.search(TimeRange(since="2021-02-06", timezone=UTC)).keys() == ["p2/s1"]
    assert repo.newest().key == "s1"  # 13:00 UTC on the 6th
    everything = repo.search(TimeRange())
    assert everything.keys() == ["p2/s2", "p1/r1", "p1/r2", "p2/s1"]
    assert "<table>" in everything._repr_html_()
    assert len(everything.table()) == 4
