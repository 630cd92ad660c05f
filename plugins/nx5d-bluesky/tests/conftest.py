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
