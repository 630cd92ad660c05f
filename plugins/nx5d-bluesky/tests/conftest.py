"""A real tiled catalog server on loopback for the session, with runs written into it by
bluesky's RunEngine and TiledWriter (:mod:`nx5d_bluesky.sample`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from nx5d_bluesky.sample import Server, tiled_server, write_runs


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    pytest.importorskip("bluesky")
    pytest.importorskip("ophyd")
    with tiled_server(tmp_path_factory.mktemp("tiled") / "server.log") as url:
        yield Server(url=url, runs=write_runs(url))
