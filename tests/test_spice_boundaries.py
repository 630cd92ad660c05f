"""Spice stores never touch the wrong thing: foreign URLs and databases, read-only archives,
odd handles, hostile nesting."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import textwrap
from pathlib import Path

import pytest

from nx5d_core.spice import SpiceStore, SpiceStoreError, SpiceValidationError
from nx5d_core.testing.privileges import can_test_permissions, run_unprivileged


def _repo(spice: SpiceStore | str | None = None):  # type: ignore[no-untyped-def]
    from nx5d_memory import MemoryRepository

    data = {"p1": {f"r{n}": n for n in range(1, 4)}}
    return MemoryRepository("memory://spice", data=data, spice=spice)


@pytest.mark.parametrize("url", ["s3://bucket/spice.sqlite", "https://x/y", "mysql://u@h/db"])
def test_urls_no_store_serves_are_refused_and_nothing_is_created(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpiceStoreError, match=r"URL scheme '\w+://' is not supported"):
        SpiceStore(url)
    with pytest.raises(SpiceStoreError):
        _ = _repo(url).spice_store
    assert list(tmp_path.rglob("*")) == []


def test_foreign_sqlite_file_is_refused_and_left_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "inventory.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE samples (name TEXT, mass REAL)")
        conn.execute("INSERT INTO samples VALUES ('STO', 1.5)")
    conn.close()
    before = path.read_bytes()
    store = SpiceStore(path)
    with pytest.raises(SpiceStoreError, match=r"not an nx5d spice store \(tables: samples\)"):
        store.records()
    with pytest.raises(SpiceStoreError, match="not an nx5d spice store"):
        _repo(str(path))["p1"].spice.seed("norm", {"factor": 1}, type="free")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inventory.sqlite"]


def _filled_store(folder: Path) -> Path:
    path = folder / "spice.sqlite"
    store = SpiceStore(path)
    _repo(store)["p1"].spice.seed("norm", {"factor": 2}, type="free")
    store.close()
    return path


def test_store_in_a_folder_without_write_permission_reads(tmp_path: Path) -> None:
    ok, why = can_test_permissions()
    if not ok:
        pytest.skip(why)
    base = Path(tempfile.mkdtemp(prefix="nx5d-spice-"))
    try:
        base.chmod(0o755)
        path = _filled_store(base)
        # the WAL must be checkpointed for a reader that cannot create -shm/-wal
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        path.chmod(0o444)
        base.chmod(0o555)
        before = path.read_bytes()
        code = textwrap.dedent(f"""
            from nx5d_core.spice import SpiceStore, SpiceStoreError
            from nx5d_memory import MemoryRepository
            store = SpiceStore({str(path)!r})
            repo = MemoryRepository("memory://s", data={{"p1": {{"r1": 1}}}}, spice=store)
            print("value", repo["p1"].spice.view("r1")["norm"])
            print("read_only", store.read_only)
            try:
                repo["p1"].spice.update("norm", {{"factor": 3}})
            except SpiceStoreError as exc:
                print("write", exc)
        """)
        done = run_unprivileged(code)
        assert done.returncode == 0, done.stderr
        assert "value {'factor': 2}" in done.stdout
        assert "read_only True" in done.stdout
        assert "is read-only (file or folder not writable); nothing written" in done.stdout
        assert path.read_bytes() == before
    finally:
        base.chmod(0o755)
        shutil.rmtree(base)


@pytest.mark.parametrize(
    ("handle", "match"),
    [("", "empty"), ("   ", "empty"), (" norm", "leading/trailing"), ("a\nb", "control"),
     ("x" * 1000, "too long")],
)  # fmt: skip
def test_handles_are_validated_like_keys(handle: str, match: str) -> None:
    spice = _repo()["p1"].spice
    with pytest.raises(SpiceValidationError, match=match):
        spice.seed(handle, {"factor": 1}, type="free")
    assert spice.handles() == []


def test_deeply_nested_values_are_a_validation_error() -> None:
    nested: dict[str, object] = {}
    inner = nested
    for _ in range(5000):
        inner["x"] = {}
        inner = inner["x"]  # type: ignore[assignment]
    spice = _repo()["p1"].spice
    with pytest.raises(SpiceValidationError, match="nested too deeply"):
        spice.seed("deep", nested, type="free")
    assert spice.handles() == []
