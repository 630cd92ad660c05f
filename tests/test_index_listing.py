"""A proposal's scan listing kept in the summary index: a new repository object (a new process)
takes it with a few ``stat`` calls, and only while no folder it was listed from changed."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

import nx5d_core
import nx5d_core.walk

pytest.importorskip("nx5d_udkm")
from nx5d_udkm.sample import make_listing_repository


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_listing_repository(tmp_path / "data", proposals=2, scans=12)


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The proposals whose scans were listed by walking their folder."""
    seen: list[str] = []
    original = nx5d_core.walk.walk_pattern

    def spy(**kwargs):  # type: ignore[no-untyped-def]
        if kwargs["wanted"] == "scan":
            seen.append(kwargs["fixed"]["proposal"])
        return original(**kwargs)

    monkeypatch.setattr(nx5d_core.walk, "walk_pattern", spy)
    return seen


def keys_of(root: Path, proposal: str) -> list[str]:
    return nx5d_core.open_repository(str(root))[proposal].keys()


def test_a_new_repository_takes_the_stored_listing_without_a_walk(
    root: Path, walks: list[str]
) -> None:
    first = keys_of(root, "20210205")
    assert walks == ["20210205"]
    assert len(first) == 12
    assert keys_of(root, "20210205") == first
    assert walks == ["20210205"]  # no second walk
    keys_of(root, "20210206")
    assert walks == ["20210205", "20210206"]  # each proposal has its own listing


def test_added_and_removed_scans_change_the_listing(root: Path, walks: list[str]) -> None:
    first = keys_of(root, "20210205")
    shutil.rmtree(root / "20210205" / first[0])
    shutil.copytree(root / "20210205" / first[1], root / "20210205" / "235959")
    again = keys_of(root, "20210205")
    assert again == [*first[1:], "235959"]
    assert len(walks) == 2


def test_a_folder_that_gets_its_manifest_later_is_listed(root: Path, walks: list[str]) -> None:
    pending = root / "20210205" / "235959"
    pending.mkdir()  # a scan being started: no manifest yet
    first = keys_of(root, "20210205")
    assert "235959" not in first
    shutil.copy(root / "20210205" / first[0] / "manifest.dat", pending / "manifest.dat")
    assert keys_of(root, "20210205") == [*first, "235959"]
    assert len(walks) == 2


def test_refresh_and_relist_walk_again(root: Path, walks: list[str]) -> None:
    keys_of(root, "20210205")
    proposal = nx5d_core.open_repository(str(root))["20210205"]
    proposal.keys()
    assert len(walks) == 1
    proposal.relist()
    proposal.keys()
    assert len(walks) == 2
    proposal.refresh()
    proposal.keys()
    assert len(walks) == 3


@pytest.mark.parametrize("column", ["token", "keys"])
def test_a_damaged_stored_listing_is_not_trusted(
    root: Path, walks: list[str], private_index: Path, column: str
) -> None:
    first = keys_of(root, "20210205")
    with sqlite3.connect(private_index) as conn:
        conn.execute(f"UPDATE listings SET {column} = '[[\"x\", 3]]'")
    assert keys_of(root, "20210205") == first
    assert len(walks) == 2


def test_no_listing_is_stored_with_the_index_off(
    root: Path, walks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NX5D_INDEX", "off")
    first = keys_of(root, "20210205")
    assert keys_of(root, "20210205") == first
    assert len(walks) == 2


def test_a_search_view_does_not_store_its_keys_as_the_listing(root: Path) -> None:
    from nx5d_core.queries import Key

    repo = nx5d_core.open_repository(str(root))
    everything = repo["20210205"].keys()
    view = repo["20210205"].search(Key("type") == "rocking")
    assert 0 < len(view.keys()) < len(everything)
    assert keys_of(root, "20210205") == everything


def test_a_warm_listing_makes_no_scan_and_a_touched_scan_keeps_its_summary(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nx5d_udkm.adapter import UdkmScan

    first = {e.key: e.summary for e in nx5d_core.open_repository(str(root))["20210205"].summaries()}
    read: list[str] = []
    original = UdkmScan._get_summary
    monkeypatch.setattr(
        UdkmScan, "_get_summary", lambda self: read.append(self.key) or original(self)
    )
    proposal = nx5d_core.open_repository(str(root))["20210205"]
    again = {e.key: e.summary for e in proposal.summaries()}
    assert again == first
    assert not any(proposal.made(k) for k in first)  # no Scan object made for the listing
    key = next(iter(first))
    assert proposal[key].summary == first[key]
    assert read == []  # the listing's summary, not a read


def test_a_change_between_the_listing_and_the_first_use_is_seen(root: Path) -> None:
    nx5d_core.open_repository(str(root))["20210205"].summaries()
    proposal = nx5d_core.open_repository(str(root))["20210205"]
    entries = {e.key: e.summary for e in proposal.summaries()}  # handed over from the index
    key = next(k for k, s in entries.items() if s is not None and s.type == "rocking")
    params = root / "20210205" / key / "parameters.txt"
    params.write_text(params.read_text().replace("type = rocking", "type = mesh-scan"))
    assert proposal[key].summary.type == "mesh-scan"


@pytest.mark.parametrize("made", [False, True])
def test_search_after_a_warm_listing_answers_from_the_files_now(root: Path, made: bool) -> None:
    from nx5d_core.queries import Key

    nx5d_core.open_repository(str(root))["20210205"].summaries()
    proposal = nx5d_core.open_repository(str(root))["20210205"]
    rocking = proposal.search(Key("type") == "rocking").keys()
    key = rocking[0]
    if made:
        _ = proposal[key]
    params = root / "20210205" / key / "parameters.txt"
    params.write_text(params.read_text().replace("type = rocking", "type = mesh-scan"))
    fresh = nx5d_core.open_repository(str(root))["20210205"]
    assert fresh.search(Key("type") == "rocking").keys() == [k for k in rocking if k != key]
