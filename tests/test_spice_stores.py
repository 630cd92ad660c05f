"""One contract, two stores: SQLite and PostgreSQL behave the same (conflicts, history, anchors,
revert, export/import, concurrent writers, writers killed with SIGKILL)."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from nx5d_core.spice import SpiceBackend, SpiceConflictError, SpiceRecord, SpiceStore
from nx5d_core.spice.store import open_store


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "spice.sqlite")
    return str(request.getfixturevalue("postgres_url"))


def _repo(spice: str, n: int = 12):  # type: ignore[no-untyped-def]
    from nx5d_memory import MemoryRepository

    scans = {f"r{i}": np.arange(3.0) for i in range(n, 0, -1)}
    return MemoryRepository("memory://stores", data={"p1": scans}, spice=spice)


def test_conflicts_history_anchors_revert(store_url: str) -> None:
    spice = _repo(store_url)["p1"].spice
    spice.seed("norm", {"factor": 1}, type="free")
    spice.update("norm", {"factor": 2}, base=0)
    with pytest.raises(
        SpiceConflictError, match="started from revision 0 but revision 1 is current"
    ) as info:
        spice.update("norm", {"factor": 3}, base=0)
    assert (info.value.base, info.value.current) == (0, 1)
    with pytest.raises(SpiceConflictError, match="already exists"):
        spice.seed("norm", {"factor": 9}, type="free")
    spice.anchor("norm", "r10", {"factor": 10})
    assert spice.view("r9")["norm"] == {"factor": 2}
    assert spice.view("r10")["norm"] == {"factor": 10}
    assert spice.view("r12")["norm"] == {"factor": 10}
    spice.revert("norm", 0, anchor="")
    spice.delete("norm", anchor="r10")
    assert spice.view("r9")["norm"] == {"factor": 1}
    assert "norm" not in spice.view("r11")  # deleted from its anchor on
    history = spice.history("norm", anchor="")
    assert [(r.revision, r.deleted, r.data) for r in history] == [
        (0, False, {"factor": 1}),
        (1, False, {"factor": 2}),
        (2, False, {"factor": 1}),
    ]
    assert history[2].parent == history[1].uuid
    anchored = spice.history("norm", anchor="r10")
    assert [(r.revision, r.deleted) for r in anchored] == [(0, False), (1, True)]


def test_another_store_object_sees_writes_at_once(store_url: str) -> None:
    writer = _repo(store_url)["p1"].spice
    reader = _repo(store_url)["p1"].spice
    writer.seed("norm", {"factor": 1}, type="free")
    assert reader.view("r1")["norm"] == {"factor": 1}
    writer.update("norm", {"factor": 5})
    assert reader.view("r1")["norm"] == {"factor": 5}


def test_export_import_round_trip_between_stores(store_url: str, tmp_path: Path) -> None:
    source = _repo(str(tmp_path / "source.sqlite"))["p1"].spice
    source.seed("norm", {"factor": 1, "text": "Ä µm"}, type="free")
    source.update("norm", {"factor": 2})
    source.anchor("norm", "r4", {"factor": 4})
    exported = source.export(tmp_path / "all.jsonl")
    target = _repo(store_url)["p1"].spice
    assert target.import_(exported) == 3
    assert target.import_(exported) == 0  # idempotent
    mine = [r.model_dump() for r in source.store.records()]
    theirs = [r.model_dump() for r in target.store.records()]
    assert theirs == mine
    folder = source.export_nx5d(tmp_path / "nx5d")
    assert folder
    again = _repo(store_url, n=5)["p1"].spice
    assert again.view("r4")["norm"] == {"factor": 4, "text": "Ä µm"}


def test_heads_are_the_newest_revision_of_every_chain_of_one_proposal(store_url: str) -> None:
    store = open_store(store_url)
    newest: dict[tuple[str, str], int] = {}
    for proposal, handle, anchor, revisions in [
        ("p1", "norm", "", 3), ("p1", "norm", "r4", 2), ("p1", "mask", "", 1), ("p2", "norm", "", 5),
    ]:  # fmt: skip
        base = None
        for n in range(revisions):
            record = store.write(
                proposal=proposal, handle=handle, type="free", anchor=anchor,
                data={"n": n}, base=base, deleted=n == 1 and anchor == "r4",
            )  # fmt: skip
            base = record.revision
        if proposal == "p1":
            newest[handle, anchor] = base
    heads = store.heads(proposal="p1")
    assert [(r.handle, r.anchor) for r in heads] == sorted(newest)  # ordered, one per chain
    assert {(r.handle, r.anchor): r.revision for r in heads} == newest
    assert {(r.handle, r.anchor): r.data["n"] for r in heads} == newest  # the newest row's data
    assert [r.deleted for r in heads if r.anchor == "r4"] == [True]  # a deletion is a head too
    assert [r.revision for r in store.heads(proposal="p2")] == [4]
    assert store.heads(proposal="p3") == []


WORKER = textwrap.dedent(
    """
    import sys
    from nx5d_core.spice import SpiceConflictError
    from nx5d_core.spice.store import open_store
    store = open_store(sys.argv[1])
    worker, wanted, done = int(sys.argv[2]), int(sys.argv[3]), 0
    while wanted < 0 or done < wanted:
        head = [r for r in store.heads(proposal="p1") if r.handle == "counter"][0]
        data = {"count": head.data["count"] + 1, "last": worker}
        try:
            store.write(proposal="p1", handle="counter", type="free", anchor="", data=data,
                        base=head.revision, author=f"w{worker}")
            done += 1
        except SpiceConflictError:
            pass
    """
)


def _counter(url: str) -> SpiceBackend:
    """The store with a 'counter' chain at revision 0."""
    store = open_store(url)
    store.write(
        proposal="p1", handle="counter", type="free", anchor="", data={"count": 0}, base=None
    )
    return store


def _writers(url: str, count: int, updates: str) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen([sys.executable, "-c", WORKER, url, str(w), updates]) for w in range(count)
    ]


def _check_chain(url: str, *, length: int | None = None) -> int:
    history = [r for r in open_store(url).records(proposal="p1") if r.handle == "counter"]
    if length is not None:
        assert len(history) == length
    assert [r.revision for r in history] == list(range(len(history)))
    assert [r.data["count"] for r in history] == list(range(len(history)))
    assert all(b.parent == a.uuid for a, b in itertools.pairwise(history))
    return len(history)


@pytest.mark.slow
def test_sixteen_processes_times_hundred_updates_lose_nothing(store_url: str) -> None:
    store = _counter(store_url)
    procs = _writers(store_url, 16, "100")
    for p in procs:
        p.wait(timeout=600)
    assert [p.returncode for p in procs] == [0] * 16
    _check_chain(store_url, length=1601)
    authors = {r.author for r in store.records(proposal="p1")[1:]}
    assert authors == {f"w{w}" for w in range(16)}


@pytest.mark.slow
def test_writers_killed_with_sigkill_leave_a_whole_chain(store_url: str) -> None:
    _counter(store_url)
    procs = _writers(store_url, 4, "-1")  # until killed
    deadline = time.monotonic() + 60
    while _check_chain(store_url) < 60 and time.monotonic() < deadline:
        time.sleep(0.2)
    for p in procs:
        os.kill(p.pid, signal.SIGKILL)
    for p in procs:
        p.wait(timeout=30)
    length = _check_chain(store_url)
    assert length >= 60
    head = open_store(store_url).heads(proposal="p1")[0]
    record = open_store(store_url).write(
        proposal="p1", handle="counter", type="free", anchor="", data={"count": length},
        base=head.revision,
    )  # fmt: skip
    assert record.revision == length
    _check_chain(store_url, length=length + 1)


def test_sqlite_store_class_still_refuses_postgres_urls_itself(tmp_path: Path) -> None:
    from nx5d_core.spice import SpiceStoreError

    with pytest.raises(SpiceStoreError, match="through open_store"):
        SpiceStore("postgresql://someone@127.0.0.1:1/x")


class _MemoryBackend(SpiceStore):
    """A backend registered by dotted path: ``memo://name`` is an in-memory store."""

    def __init__(self, url: str) -> None:
        super().__init__(None)
        self.url = url


def test_backends_are_registered_by_dotted_path_and_unknown_schemes_refused() -> None:
    from nx5d_core.spice import backends
    from nx5d_core.spice.errors import SpiceStoreError

    with pytest.raises(SpiceStoreError, match="no spice backend for memo://"):
        open_store("memo://lab")
    backends.register_backend("memo", f"{__name__}:_MemoryBackend")
    try:
        store = open_store("memo://lab")
        assert isinstance(store, _MemoryBackend)
        assert store.url == "memo://lab"
        with pytest.raises(SpiceStoreError, match="already"):
            backends.register_backend("memo", "elsewhere:Other")
    finally:
        del backends.BACKENDS["memo"]


_SHELVES: dict[str, list[SpiceRecord]] = {}


class _ListBackend:
    """A backend that is no SQL store and subclasses none: records in a list per name, kept
    only to the :class:`SpiceBackend` contract (what a site's own backend would do)."""

    read_only = False

    def __init__(self, url: str) -> None:
        self.rows = _SHELVES.setdefault(url, [])
        self.display = url

    def records(self, *, proposal: str | None = None, handle: str | None = None, anchor: str | None = None) -> list[SpiceRecord]:  # fmt: skip
        wanted = {"proposal": proposal, "handle": handle, "anchor": anchor}
        return [r for r in self.rows if all(v is None or getattr(r, k) == v for k, v in wanted.items())]  # fmt: skip

    def heads(self, *, proposal: str) -> list[SpiceRecord]:
        newest: dict[tuple[str, str], SpiceRecord] = {}
        for r in self.records(proposal=proposal):
            newest[(r.handle, r.anchor)] = r
        return [newest[k] for k in sorted(newest)]

    def proposals(self) -> list[str]:
        return sorted({r.proposal for r in self.rows})

    def write(self, *, proposal: str, handle: str, type: str, anchor: str, data: dict[str, object], base: int | None, author: str | None = None, deleted: bool = False) -> SpiceRecord:  # fmt: skip
        import uuid
        from datetime import UTC, datetime

        chain = self.records(proposal=proposal, handle=handle, anchor=anchor)
        current = chain[-1].revision if chain else None
        if current != base:
            raise SpiceConflictError(proposal=proposal, handle=handle, anchor=anchor, base=base, current=current)  # fmt: skip
        record = SpiceRecord(
            proposal=proposal, handle=handle, type=type, anchor=anchor,
            revision=0 if current is None else current + 1, uuid=str(uuid.uuid4()),
            parent=chain[-1].uuid if chain else None, author=author or "test",
            timestamp=datetime.now(UTC), data=data, deleted=deleted,
        )  # fmt: skip
        self.rows.append(record)
        return record

    def insert(self, records: object) -> int:
        new = [r for r in records if r.uuid not in {o.uuid for o in self.rows}]  # type: ignore[attr-defined]
        self.rows.extend(new)
        return len(new)

    def close(self) -> None:
        pass


def test_a_backend_of_its_own_keeps_the_contract_and_serves_spice(tmp_path: Path) -> None:
    from nx5d_core.spice import backends
    from nx5d_core.spice.postgres import PostgresSpiceStore
    from nx5d_core.spice.store import SqliteSpiceStore

    # the two shipped backends are siblings on the contract, not one a kind of the other
    assert not issubclass(PostgresSpiceStore, SqliteSpiceStore)
    assert isinstance(SqliteSpiceStore(None), SpiceBackend)
    backends.register_backend("shelf", f"{__name__}:_ListBackend")
    try:
        spice = _repo("shelf://lab")["p1"].spice
        assert isinstance(spice.store, _ListBackend)
        spice.seed("norm", {"factor": 1}, type="free")
        spice.update("norm", {"factor": 2}, base=0)
        with pytest.raises(SpiceConflictError):
            spice.update("norm", {"factor": 3}, base=0)
        spice.anchor("norm", "r10", {"factor": 10})
        assert _repo("shelf://lab")["p1"].spice.view("r11")["norm"] == {"factor": 10}
        assert spice.view("r9")["norm"] == {"factor": 2}
        exported = spice.export(tmp_path / "all.jsonl")
        sqlite = _repo(str(tmp_path / "copy.sqlite"))["p1"].spice
        assert sqlite.import_(exported) == 3
        assert sqlite.view("r11")["norm"] == {"factor": 10}
    finally:
        del backends.BACKENDS["shelf"]
        _SHELVES.clear()


def test_a_backend_class_that_breaks_the_contract_is_refused() -> None:
    from nx5d_core.spice import backends
    from nx5d_core.spice.errors import SpiceStoreError

    backends.register_backend("broken", "collections:UserString")
    try:
        with pytest.raises(SpiceStoreError, match="does not keep the SpiceBackend contract"):
            open_store("broken://x")
    finally:
        del backends.BACKENDS["broken"]
