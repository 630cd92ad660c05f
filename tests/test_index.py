"""The persistent summary index: reuse across processes, exactly the changed scans recomputed,
corrupt and foreign files moved aside, queries in SQL with Python's answers."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

import nx5d_core
from nx5d_core.index import INDEX_ENV, IndexUnavailableError
from nx5d_core.queries import (
    Contains,
    FullText,
    In,
    Key,
    Query,
    Regex,
    ScanKey,
    TimeRange,
)

pytest.importorskip("nx5d_udkm")
from nx5d_udkm.adapter import UdkmScan
from nx5d_udkm.sample import make_listing_repository


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_listing_repository(tmp_path / "data", proposals=3, scans=20)


def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Scan keys whose summary is computed from the files, in order."""
    calls: list[str] = []
    original = UdkmScan._get_summary

    def spy(self: UdkmScan):  # type: ignore[no-untyped-def]
        calls.append(self.key)
        return original(self)

    monkeypatch.setattr(UdkmScan, "_get_summary", spy)
    return calls


def all_summaries(repo: nx5d_core.Repository) -> dict[str, object]:
    return {f"{p.key}/{e.key}": e.summary for p in repo.values() for e in p.summaries()}


def test_second_repository_reads_no_summary(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = all_summaries(nx5d_core.open_repository(str(root)))
    calls = counted(monkeypatch)
    second = all_summaries(nx5d_core.open_repository(str(root)))
    assert calls == []
    assert second == first
    assert len(second) == 60
    assert all(s is not None for s in second.values())


def test_second_process_reuses_the_index(root: Path, private_index: Path) -> None:
    nx5d_core.open_repository(str(root))["20210205"].summaries()
    code = (
        "import sys, nx5d_core\n"
        "p = nx5d_core.open_repository(sys.argv[1])['20210205']\n"
        "entries = p.summaries()\n"
        "print(len(entries), p.index_state.counts.reused, len(p.index_state.counts.recomputed))\n"
    )
    env = {**os.environ, INDEX_ENV: str(private_index)}
    out = subprocess.run(
        [sys.executable, "-c", code, str(root)], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["20", "20", "0"]


def test_touching_ten_scans_recomputes_exactly_those(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    all_summaries(nx5d_core.open_repository(str(root)))
    proposal = root / "20210206"
    touched = sorted(p.name for p in proposal.iterdir())[3:13]
    later = time.time() + 5
    for name in touched:
        os.utime(proposal / name / "manifest.dat", (later, later))
    calls = counted(monkeypatch)
    repo = nx5d_core.open_repository(str(root))
    all_summaries(repo)
    assert sorted(calls) == touched
    assert repo["20210206"].index_state.counts.recomputed == touched


def test_changed_content_is_shown_not_the_stored_summary(root: Path) -> None:
    repo = nx5d_core.open_repository(str(root))
    assert repo["20210205"]["080100"].summary.type == "rocking"
    params = root / "20210205" / "080100" / "parameters.txt"
    params.write_text(params.read_text().replace("type = rocking", "type = mesh-scan"))
    again = nx5d_core.open_repository(str(root))
    entries = {e.key: e for e in again["20210205"].summaries()}
    assert entries["080100"].summary.type == "mesh-scan"
    # the same (long-lived) repository object sees it too at its next listing
    entries = {e.key: e for e in repo["20210205"].summaries()}
    assert entries["080100"].summary.type == "mesh-scan"
    assert repo.search(Key("type") == "mesh-scan").keys() == ["20210205/080100"]


def test_a_same_size_rewrite_with_its_mtime_set_back_is_seen(root: Path) -> None:
    """``cp -p``, ``rsync -t`` or ``touch -r`` put the old mtime on new content of the same size;
    the ctime (which no user can set) still changes, and the stored summary is not served."""
    repo = nx5d_core.open_repository(str(root))
    stored = {e.key: e for e in repo["20210205"].summaries()}  # computed and stored in the index
    assert stored["080100"].summary.type == "rocking"
    params = root / "20210205" / "080100" / "parameters.txt"
    before = params.stat()
    text = params.read_text()
    with params.open("r+") as handle:  # in place: same inode, same size
        handle.write(text.replace("type = rocking", "type = rockin2"))
    os.utime(params, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = params.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)  # fmt: skip
    again = nx5d_core.open_repository(str(root))
    assert {e.key: e for e in again["20210205"].summaries()}["080100"].summary.type == "rockin2"


def test_removed_and_added_scans(root: Path) -> None:
    import shutil

    repo = nx5d_core.open_repository(str(root))
    all_summaries(repo)
    shutil.rmtree(root / "20210205" / "080000")
    shutil.copytree(root / "20210205" / "080100", root / "20210205" / "235959")
    again = nx5d_core.open_repository(str(root))
    keys = [e.key for e in again["20210205"].summaries()]
    assert "080000" not in keys
    assert "235959" in keys
    assert len(keys) == 20
    counts = again["20210205"].index_state.counts
    assert counts.removed == 1
    assert counts.recomputed == ["235959"]
    found = again.search(FullText("scan")).keys()
    assert "20210205/080000" not in found


def test_options_that_change_summaries_are_separate_entries(tmp_path: Path) -> None:
    root = make_listing_repository(tmp_path / "d", proposals=1, scans=2)
    for folder in (root / "20210205").iterdir():  # times from the keys, in the adapter's zone
        params = folder / "parameters.txt"
        params.write_text(
            "\n".join(l for l in params.read_text().splitlines() if "start_time" not in l)
        )
    berlin = nx5d_core.open_repository(str(root))["20210205"].summaries()
    utc = nx5d_core.open_repository(str(root), timezone="UTC")["20210205"].summaries()
    assert berlin[0].summary.time != utc[0].summary.time
    assert utc[0].summary.time == datetime(2021, 2, 5, 8, 0, tzinfo=UTC)


def test_corrupt_index_is_moved_aside_and_rebuilt(root: Path, private_index: Path) -> None:
    private_index.parent.mkdir(parents=True, exist_ok=True)
    private_index.write_bytes(b"SQLite format 3\x00" + os.urandom(3000))
    summaries = all_summaries(nx5d_core.open_repository(str(root)))
    assert len(summaries) == 60
    aside = list(private_index.parent.glob("index.sqlite.unusable-*"))
    assert len(aside) == 1
    conn = sqlite3.connect(private_index)
    assert conn.execute("SELECT count(*) FROM scans").fetchone()[0] == 60
    conn.close()


def test_foreign_database_is_kept_and_not_trusted(root: Path, private_index: Path) -> None:
    private_index.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(private_index)
    conn.execute("CREATE TABLE scans (repo, proposal, key, fingerprint, summary)")
    conn.execute("INSERT INTO scans VALUES (1, '20210205', '080000', 'x', '{}')")
    conn.commit()
    conn.close()
    before = private_index.read_bytes()
    repo = nx5d_core.open_repository(str(root))
    assert len(repo["20210205"].summaries()) == 20
    (aside,) = private_index.parent.glob("index.sqlite.unusable-*")
    assert aside.read_bytes() == before


def test_index_that_cannot_be_created_falls_back(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(INDEX_ENV, str(blocker / "index.sqlite"))
    repo = nx5d_core.open_repository(str(root))
    assert len(repo["20210205"].summaries()) == 20
    assert "cannot be used" in caplog.text
    assert len(repo.search(FullText("InP"))) == 12
    with pytest.raises(IndexUnavailableError, match="cannot be used"):
        repo.reindex()


def test_index_off(root: Path, private_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = nx5d_core.open_repository(str(root), index=False)
    assert repo.index is None
    assert len(repo["20210205"].summaries()) == 20
    assert not private_index.exists()
    monkeypatch.setenv(INDEX_ENV, "off")
    assert nx5d_core.open_repository(str(root)).index is None


def test_synced_says_whether_the_index_answers(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``True`` once the proposal's rows are up to date (searches are then SQL), ``False``
    without an index; a bool either way, never the summaries themselves."""
    import nx5d_core.index

    syncs: list[bool] = []
    original = nx5d_core.index.sync_proposal

    def sync(*args, **kwargs):  # type: ignore[no-untyped-def]
        syncs.append(kwargs.get("entries", True))
        return original(*args, **kwargs)

    monkeypatch.setattr(nx5d_core.index, "sync_proposal", sync)
    proposal = nx5d_core.open_repository(str(root))["20210205"]
    assert proposal.synced() is True
    assert proposal.synced() is True
    assert syncs == [False]  # once, without building entries, until refresh()
    proposal.refresh()
    assert proposal.synced() is True
    assert syncs == [False, False]
    assert nx5d_core.open_repository(str(root), index=False)["20210205"].synced() is False


def test_reindex_recomputes_everything(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    all_summaries(nx5d_core.open_repository(str(root)))
    calls = counted(monkeypatch)
    assert nx5d_core.open_repository(str(root)).reindex() == 60
    assert len(calls) == 60


def test_processes_share_one_index(root: Path, private_index: Path) -> None:
    code = (
        "import sys, nx5d_core\n"
        "r = nx5d_core.open_repository(sys.argv[1])\n"
        "print(sum(len(p.summaries()) for p in r.values()))\n"
    )
    env = {**os.environ, INDEX_ENV: str(private_index)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(root)], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outs = [p.communicate()[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0]
    assert outs == ["60", "60", "60"]
    conn = sqlite3.connect(private_index)
    assert conn.execute("SELECT count(*) FROM scans").fetchone()[0] == 60
    conn.close()


def test_failed_summary_is_listed_with_its_error_and_not_stored(root: Path) -> None:
    (root / "20210205" / "080200" / "manifest.dat").write_text("% ImageNumber\nnot-a-number\n")
    repo = nx5d_core.open_repository(str(root))
    entries = {e.key: e for e in repo["20210205"].summaries()}
    assert entries["080200"].summary is None
    assert entries["080200"].error is not None
    again = {e.key: e for e in nx5d_core.open_repository(str(root))["20210205"].summaries()}
    assert again["080200"].error is not None


def random_queries(seed: int) -> list[Query]:
    rng = random.Random(seed)
    berlin = timezone(timedelta(hours=1))
    base = datetime(2021, 2, 5, 8, 0, tzinfo=berlin)
    out: list[Query] = []
    for _ in range(60):
        when = base + timedelta(days=rng.randint(0, 2), minutes=rng.randint(-3, 25))
        choices: list[Query] = [
            Key("type") == rng.choice(["rocking", "timescan", "alignment", "nope"]),
            Key("type") != "rocking",
            Key("num_frames") >= rng.choice([0, 4, 5]),
            Key("num_frames") == 4.0,
            Key("num_frames") == "4",
            Key("delays") > rng.choice([0, 1, 2]),
            Key("theta_max") < 22.7,
            Key("time") > when.astimezone(UTC),
            Key("time") <= when.isoformat(),
            Key("time") == 5,
            Key("description") < "GaN",
            Key("folder") == "x",
            Key("missing") == None,
            In("type", ["rocking", "alignment", 3]),
            In("num_frames", [4, True]),
            Contains("description", rng.choice(["inp", "SCAN 1", "film", ""])),
            Regex("key", r"^08(0|1)\d00$"),
            Regex("description", "inp", case_sensitive=False),
            FullText(rng.choice(["InP", "scan 4", "sr", "gan nano", "rock", "zzz", "080"])),
            TimeRange(since=when),
            TimeRange(until=when.astimezone(timezone(timedelta(hours=-7)))),
            ScanKey("080000", "081500", "nope"),
        ]
        a, b = rng.sample(choices, 2)
        out.append(rng.choice([a, a & b, a | b]))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_answers_equal_python_answers(root: Path, seed: int) -> None:
    indexed = nx5d_core.open_repository(str(root))
    plain = nx5d_core.open_repository(str(root), index=False)
    for query in random_queries(seed):
        assert indexed.search(query).keys() == plain.search(query).keys(), query
        assert indexed["20210206"].search(query).keys() == plain["20210206"].search(query).keys()


def test_query_is_answered_in_sql(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = nx5d_core.open_repository(str(root))
    all_summaries(repo)
    calls = counted(monkeypatch)
    restored: list[str] = []
    from nx5d_core.index import sync

    original = sync.restore
    monkeypatch.setattr(
        sync, "restore", lambda scan, text: restored.append(scan.key) or original(scan, text)
    )
    query = FullText("InP") & TimeRange(since="2021-02-06T00:00+01:00")
    found = repo.search(query).keys()
    assert calls == []
    # scan n = 20 * proposal + minute is "InP" when n % 5 == 1: minutes 1, 6, 11, 16 of days 2, 3
    assert len(found) == 8
    assert found == nx5d_core.open_repository(str(root), index=False).search(query).keys()
    assert restored == []  # no summary was parsed in Python to answer it


def test_summary_that_json_cannot_hold_is_still_found(root: Path) -> None:
    manifest = root / "20210205" / "080300" / "manifest.dat"
    lines = manifest.read_text().splitlines()
    cells = lines[1].split("\t")
    cells[3] = "nan"  # a Theta the writer could not read
    manifest.write_text("\n".join([lines[0], "\t".join(cells), *lines[2:]]) + "\n")
    repo = nx5d_core.open_repository(str(root))
    proposal = repo["20210205"]
    entries = {e.key: e for e in proposal.summaries()}
    assert entries["080300"].summary is not None
    assert proposal.index_state.counts.unindexed == 1
    found = repo.search(Key("type") == "alignment").keys()
    assert "20210205/080300" in found
    assert "080300" in proposal.search(FullText("Fe/MgO"))
