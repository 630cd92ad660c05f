"""Shared fixtures: the classic three-proposal repository, fake entry points."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import nx5d_core
from nx5d_core.plugins import refresh_plugins


@pytest.fixture
def classic() -> nx5d_core.Repository:
    """nx5d's documented example: alpha/bravo/charlie, four scans each, raw = (proposal, scan)."""
    from nx5d_memory import MemoryRepository

    data = {
        p: {f"{p[0]}{n}": (p, f"{p[0]}{n}") for n in range(1, 5)}
        for p in ("alpha", "bravo", "charlie")
    }

    def cook(raw, spice):  # type: ignore[no-untyped-def]
        return [str(v).upper() for v in raw["value"].values]

    return MemoryRepository.from_dict(data, name="classic", cook=cook)


@pytest.fixture
def fresh_plugins() -> Iterator[None]:
    """Forget discovered plugins before and after a test that changes them."""
    refresh_plugins()
    yield
    refresh_plugins()


@pytest.fixture
def add_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_plugins: None
) -> Callable[[str, str], None]:
    """Install a fake distribution with one ``nx5d`` entry point and a module body."""

    def add(name: str, module_body: str) -> None:
        module = f"nx5d_test_plugin_{name}"
        (tmp_path / f"{module}.py").write_text(module_body)
        dist = tmp_path / f"{module}-0.0.1.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.0.1\n")
        (dist / "entry_points.txt").write_text(f"[nx5d]\n{name} = {module}\n")
        monkeypatch.syspath_prepend(str(tmp_path))
        monkeypatch.delitem(sys.modules, module, raising=False)  # a module of an earlier test
        refresh_plugins()

    return add


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[object]:
    """A real PostgreSQL server on a free loopback port for the whole session (skipped, with
    the reason, where the server binaries or psycopg are missing)."""
    pytest.importorskip("psycopg", reason="psycopg (nx5d-core[postgres]) is not installed")
    from nx5d_core.testing.postgres import find_binaries, running_server

    bindir, why = find_binaries()
    if bindir is None:
        pytest.skip(why)
    with running_server(bindir=bindir) as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: object, request: pytest.FixtureRequest) -> str:
    """A fresh, empty database on the session's server."""
    import re

    name = "t_" + re.sub(r"\W", "_", request.node.name)[:40].lower() + f"_{id(request) % 100000}"
    return postgres_server.new_database(name)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-protocol server (moto's standalone server) on a free loopback port, with
    credentials in the environment the way facilities configure botocore."""
    pytest.importorskip("s3fs", reason="s3fs (nx5d-core[remote]) is not installed")
    server_module = pytest.importorskip("moto.server", reason="moto[server] is not installed")
    import logging
    import socket

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "nx5d-test",
            "AWS_SECRET_ACCESS_KEY": "nx5d-test",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
        }.items():
            patch.setenv(name, value)
        try:
            yield endpoint
        finally:
            server.stop()
