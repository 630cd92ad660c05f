"""The PostgreSQL spice store on a real server: schema, credentials, roles, migration; and the
SQLite store refusing to write on a network filesystem."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import nx5d_core
from nx5d_core.cli import main
from nx5d_core.spice import SpiceStore, SpiceStoreError
from nx5d_core.spice.store import open_store

SECRET = "s3cr3t-Pa55"


def _repo(spice: str):  # type: ignore[no-untyped-def]
    from nx5d_memory import MemoryRepository

    def cook(raw: xr.Dataset, view: nx5d_core.SpiceView) -> xr.Dataset:
        return xr.Dataset({"x": raw["value"] * view["norm"]["factor"]})

    scans = {f"r{i}": np.arange(3.0) for i in range(1, 6)}
    return MemoryRepository("memory://pg", data={"p1": scans}, spice=spice, cook=cook)


@pytest.fixture
def owner_url(postgres_server, postgres_url: str) -> str:  # type: ignore[no-untyped-def]
    """The URL of a password-authenticated role that owns the fresh database."""
    db = postgres_url.rsplit("/", 1)[1]
    role = f"owner_{db}"[:60]
    postgres_server.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{SECRET}'")
    postgres_server.execute(f"ALTER DATABASE {db} OWNER TO {role}")
    postgres_server.execute(f"GRANT ALL ON SCHEMA public TO {role}", database=db)
    return str(postgres_server.url_for(role, SECRET, db))


def test_schema_is_created_and_versioned_on_first_use(postgres_server, postgres_url: str) -> None:  # type: ignore[no-untyped-def]
    import psycopg

    spice = _repo(postgres_url)["p1"].spice
    spice.seed("norm", {"factor": 2}, type="free")
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT value FROM nx5d_spice_meta WHERE key='schema'").fetchone() == (
            "1",
        )
    conn_count = len(spice.history("norm"))
    assert conn_count == 1


def test_concurrent_first_use_creates_the_schema_once(postgres_url: str) -> None:
    code = (
        "import sys\nfrom nx5d_core.spice.store import open_store\n"
        "s = open_store(sys.argv[1]); print(len(s.records())); s.close()\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, postgres_url], stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0]
    assert outs == ["0"] * 4


def test_newer_schema_and_foreign_table_are_refused(postgres_server, postgres_url: str) -> None:  # type: ignore[no-untyped-def]
    store = open_store(postgres_url)
    store.records()
    store.close()
    db = postgres_url.rsplit("/", 1)[1]
    postgres_server.execute(
        "UPDATE nx5d_spice_meta SET value = '99' WHERE key = 'schema'", database=db
    )
    with pytest.raises(SpiceStoreError, match="schema version 99 is newer"):
        open_store(postgres_url).records()
    other = postgres_server.new_database(f"{db}_foreign")
    postgres_server.execute("CREATE TABLE nx5d_spice_records (x int)", database=f"{db}_foreign")
    with pytest.raises(SpiceStoreError, match="not an nx5d spice store"):
        open_store(other).records()


def test_password_never_shown(owner_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    repo = _repo(owner_url)
    store = repo.spice_store
    assert SECRET not in repr(store)
    assert "***" in repr(store)
    spice = repo["p1"].spice
    assert SECRET not in repr(spice)
    spice.seed("norm", {"factor": 2}, type="free")
    cooked = repo["p1"]["r2"].cooked
    assert cooked["x"].values.tolist() == [0.0, 2.0, 4.0]
    assert all(SECRET not in str(v) for v in cooked.attrs.values())
    assert "***" in cooked.attrs["nx5d_spice_store"]
    wrong = owner_url.replace(SECRET, SECRET + "-wrong")
    with pytest.raises(SpiceStoreError) as info:
        open_store(wrong).records()
    assert SECRET not in str(info.value)
    assert "password authentication failed" in str(info.value)
    assert (
        info.value.__cause__ is None
        and info.value.__context__ is None
        or SECRET not in str(info.value.__context__)
    )
    assert SECRET not in caplog.text


def test_role_without_write_permission_reads_and_cannot_write(
    postgres_server,
    postgres_url: str,  # type: ignore[no-untyped-def]
) -> None:
    open_store(postgres_url).write(
        proposal="p1", handle="norm", type="free", anchor="", data={"factor": 3}, base=None
    )
    db = postgres_url.rsplit("/", 1)[1]
    role = f"reader_{db}"[:60]
    postgres_server.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'rd'")
    postgres_server.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}", database=db)
    reader = _repo(postgres_server.url_for(role, "rd", db))["p1"].spice
    assert reader.view("r1")["norm"] == {"factor": 3}
    with pytest.raises(SpiceStoreError, match="may read but not write"):
        reader.update("norm", {"factor": 4})
    assert reader.view("r1")["norm"] == {"factor": 3}


def test_named_config_with_a_postgres_store(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lab.yml").write_text(
        f"url: memory://lab\nadapter: memory\nspice: {postgres_url}\n"
        "options:\n  data:\n    p1: {r1: [1, 2]}\n"
    )
    monkeypatch.setenv("NX5D_CONFIG_PATH", str(tmp_path))
    assert main(["spice", "lab", "p1", "seed", "norm", "--type", "free", "--data", '{"f": 1}']) == 0
    assert open_store(postgres_url).records()[0].data == {"f": 1}


def test_migrate_copies_everything_verifies_and_is_idempotent(
    postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "lab.sqlite"
    spice = _repo(str(source))["p1"].spice
    spice.seed("norm", {"factor": 1}, type="free", author="ada")
    spice.update("norm", {"factor": 2}, author="grace")
    spice.anchor("norm", "r3", {"factor": 3})
    spice.delete("norm", anchor="r3")
    _repo(str(source)).spice_store.write(
        proposal="p2", handle="roi", type="free", anchor="", data={"x": [1, 2]}, base=None
    )
    assert main(["spice", "migrate", "--from", f"sqlite:///{source}", "--to", postgres_url]) == 0
    out = capsys.readouterr().out
    assert "5 records" in out
    assert "5 copied" in out
    assert "5 verified" in out
    mine = [r.model_dump() for r in SpiceStore(source).records()]
    theirs = [r.model_dump() for r in open_store(postgres_url).records()]
    assert sorted(theirs, key=str) == sorted(mine, key=str)
    assert main(["spice", "migrate", "--from", str(source), "--to", postgres_url]) == 0
    assert "0 copied" in capsys.readouterr().out


def test_migrate_refuses_a_target_with_other_history(postgres_url: str, tmp_path: Path) -> None:
    source = tmp_path / "lab.sqlite"
    _repo(str(source))["p1"].spice.seed("norm", {"factor": 1}, type="free")
    _repo(postgres_url)["p1"].spice.seed("norm", {"factor": 9}, type="free")
    assert main(["spice", "migrate", "--from", str(source), "--to", postgres_url]) == 1
    assert [r.data for r in open_store(postgres_url).records()] == [{"factor": 9}]


MOUNTS = (
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "90 22 0:50 / {mount} rw,relatime shared:2 - {fstype} server:/export rw,vers=4.2\n"
)


@pytest.mark.parametrize("fstype", ["nfs4", "cifs", "fuse.sshfs"])
def test_sqlite_on_a_network_filesystem_is_read_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fstype: str
) -> None:
    from nx5d_core.spice import network_fs

    share = tmp_path / "team share"
    share.mkdir()
    path = share / "spice.sqlite"
    local = _repo(str(path))
    local["p1"].spice.seed("norm", {"factor": 1}, type="free")  # written while local
    local.spice_store.close()
    table = tmp_path / "mountinfo"
    table.write_text(MOUNTS.format(mount=str(share).replace(" ", "\\040"), fstype=fstype))
    monkeypatch.setattr(network_fs, "MOUNTINFO", str(table))
    before = path.read_bytes()
    spice = _repo(str(path))["p1"].spice
    assert spice.view("r2")["norm"] == {"factor": 1}
    with pytest.raises(
        SpiceStoreError,
        match=rf"network filesystem \({fstype} mounted at .*team share\).*PostgreSQL",
    ):
        spice.update("norm", {"factor": 2})
    assert path.read_bytes() == before
    with pytest.raises(SpiceStoreError, match="network filesystem"):
        _repo(str(share / "new.sqlite"))["p1"].spice.seed("x", {}, type="free")
    assert not (share / "new.sqlite").exists()
    monkeypatch.setenv("NX5D_SPICE_ALLOW_NETWORK_FS", "1")
    assert _repo(str(path))["p1"].spice.update("norm", {"factor": 2}).revision == 1


def test_local_folder_is_not_a_network_filesystem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nx5d_core.spice import network_fs

    table = tmp_path / "mountinfo"
    table.write_text(MOUNTS.format(mount="/elsewhere", fstype="nfs4"))
    monkeypatch.setattr(network_fs, "MOUNTINFO", str(table))
    assert network_fs.network_filesystem(tmp_path) is None
    assert network_fs.network_filesystem("/elsewhere/x") == ("nfs4", "/elsewhere")


KILLED_OWNER = """
import sys, time
from pathlib import Path
from nx5d_core.testing.postgres import running_server
with running_server(bindir=Path(sys.argv[1])) as server:
    print(server.port, flush=True)
    time.sleep(600)
"""


@pytest.mark.slow
def test_a_killed_test_process_leaves_no_server_behind(tmp_path: Path) -> None:
    import signal
    import socket
    import subprocess
    import sys
    import time

    pytest.importorskip("psycopg", reason="psycopg (nx5d-core[postgres]) is not installed")
    from nx5d_core.testing.postgres import PREFIX, find_binaries, remove_stale_servers

    bindir, why = find_binaries()
    if bindir is None:
        pytest.skip(why)
    owner = subprocess.Popen([sys.executable, "-c", KILLED_OWNER, str(bindir)], stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert owner.stdout is not None
    port = int(owner.stdout.readline())
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass  # the server is up
    owner.send_signal(signal.SIGKILL)  # no cleanup code runs
    owner.wait()
    owner.stdout.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the server on port {port} outlived the process that started it")
    # its folder is removed at the next start (here: by hand), not left for ever
    removed = remove_stale_servers()
    assert all(p.name.startswith(PREFIX) for p in removed)
    import tempfile

    assert not [p for p in Path(tempfile.gettempdir()).glob(f"{PREFIX}*") if (p / "owner.pid").exists() and int((p / "owner.pid").read_text()) == owner.pid]  # fmt: skip
