"""A real tiled catalog server on loopback for the session, with runs written into it by
bluesky's RunEngine and TiledWriter (:mod:`nx5d_bluesky.sample`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from nx5d_bluesky.sample import Server, tiled_server, write_missing, write_runs


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    pytest.importorskip("bluesky")
    pytest.importorskip("ophyd")
    files = tmp_path_factory.mktemp("detector")
    with tiled_server(tmp_path_factory.mktemp("tiled") / "server.log", readable=files) as url:
        yield Server(url=url, runs=write_runs(url, files=files))


@pytest.fixture(scope="session")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A second server, for tests that write runs into it: at first one run, ``missing``, that
    lost its detector file (deleted after the run)."""
    pytest.importorskip("bluesky")
    files = tmp_path_factory.mktemp("lost")
    with tiled_server(tmp_path_factory.mktemp("tiled") / "broken.log", readable=files) as url:
        yield Server(url=url, runs={"missing": write_missing(url, files=files)}, files=str(files))


@pytest.fixture(scope="session")
def postgres_catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The runs of :func:`server` in a tiled catalog on a real PostgreSQL server (skipped, with
    the reason, where the PostgreSQL binaries are missing)."""
    pytest.importorskip("bluesky")
    pytest.importorskip("asyncpg", reason="asyncpg (tiled's PostgreSQL driver) is not installed")
    from nx5d_core.testing.postgres import find_binaries, running_server

    bindir, why = find_binaries()
    if bindir is None:
        pytest.skip(why)
    folder = tmp_path_factory.mktemp("tiled-postgres")
    with running_server(bindir=bindir) as database:
        catalog = database.new_database("tiled_catalog")
        with tiled_server(folder / "server.log", catalog=catalog) as url:
            yield Server(url=url, runs=write_runs(url))
