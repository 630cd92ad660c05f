"""nx5d serve: a real uvicorn server on loopback, the real tiled client and plain HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import numpy as np
import pytest
import xarray as xr

import nx5d_core

tiled = pytest.importorskip("tiled", reason="tiled (nx5d-core[serve]) is not installed")
httpx = pytest.importorskip("httpx")

from nx5d_memory import MemoryRepository
from tiled.client import from_uri as _from_uri
from tiled.queries import Comparison, Eq, FullText, Regex

from nx5d_core.serve.app import build_app
from nx5d_core.serve.queries import TimeRange
from nx5d_core.serve.tree import served_key
from nx5d_core.testing.processes import popen
from nx5d_core.testing.serving import running_app

KEY = "k3y0fthetest"


_OPEN: list[Any] = []


def from_uri(url: str, **kwargs: Any) -> Any:
    """The real tiled client, closed after the test (no socket left open)."""
    client = _from_uri(url, **kwargs)
    _OPEN.append(client)
    return client


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().context.close()


def _get(url: str, path: str, *, key: str | None = KEY) -> Any:
    headers = {"Authorization": f"Apikey {key}"} if key else {}
    with httpx.Client(trust_env=False) as http:
        return http.get(f"{url}/api/v1/{path}", headers=headers, timeout=30)


@pytest.fixture(scope="module")
def udkm(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from nx5d_udkm.sample import make_repository

    root = make_repository(tmp_path_factory.mktemp("served"), delays=3, loops=1)
    repo = nx5d_core.open_repository(str(root))
    with running_app(build_app(repo, api_key=KEY, relist_seconds=0)) as url:
        yield {"url": url, "repo": repo, "root": root}


def test_no_key_and_a_wrong_key_get_401(udkm: dict[str, Any]) -> None:
    assert _get(udkm["url"], "metadata/", key=None).status_code == 401
    assert _get(udkm["url"], "metadata/", key="wrong0key").status_code == 401
    assert _get(udkm["url"], "metadata/").status_code == 200


def test_frames_and_full_reads_equal_the_local_scan(udkm: dict[str, Any]) -> None:
    client = from_uri(udkm["url"], api_key=KEY)
    repo = udkm["repo"]
    assert list(client) == repo.keys()
    proposal = repo["20210205"]
    assert list(client["20210205"]) == proposal.keys()
    scan = proposal["101500"]
    served = client["20210205"]["101500"]
    lazy = scan.lazy()
    for frame in (0, 17, scan.summary.num_frames - 1):
        np.testing.assert_array_equal(served["images"][frame], lazy["images"][frame].values)
    np.testing.assert_array_equal(
        served["images"][3:5, 10:20, 30:40], lazy["images"][3:5, 10:20, 30:40].values
    )
    full = served.read()
    raw = scan.raw
    for name in raw.variables:
        np.testing.assert_array_equal(np.asarray(full[name]), raw[name].values)
    meta = served.metadata
    assert meta["num_frames"] == scan.summary.num_frames
    assert meta["time_unix"] == pytest.approx(scan.summary.time.timestamp())
    assert str(udkm["root"]) not in repr(dict(meta))  # server paths made relative


def test_remote_repository_gives_the_same_api(udkm: dict[str, Any]) -> None:
    from nx5d_core.queries import FullText as Words
    from nx5d_core.queries import Key
    from nx5d_core.queries import TimeRange as Times
    from nx5d_core.remote import open_repository

    remote = open_repository(udkm["url"], api_key=KEY)
    _OPEN.append(remote.client)
    local = udkm["repo"]["20210205"]
    proposal = remote["20210205"]
    assert proposal.keys() == local.keys()
    assert [e.summary.num_frames for e in proposal.summaries()] == [
        e.summary.num_frames for e in local.summaries()
    ]
    scan = proposal["091726"]
    xr.testing.assert_equal(scan.raw["images"], local["091726"].raw["images"])
    np.testing.assert_array_equal(
        scan.lazy()["images"][5].values, local["091726"].raw["images"][5].values
    )
    start = local["101500"].summary.time
    for query in (
        Key("num_frames") > 0,
        Times(since=start),
        Words(local["113045"].summary.description.split()[0]),
    ):
        assert proposal.search(query).keys() == local.search(query).keys(), query


def test_frames_travel_uncompressed_when_asked_and_block_reads_read_blocks(
    udkm: dict[str, Any],
) -> None:
    scan = udkm["repo"]["20210205"]["101500"]
    frame = scan.lazy()["images"][7].values
    path = "array/full/20210205/101500/images?slice=7&format=application/octet-stream"
    with httpx.Client(trust_env=False) as http:
        headers = {"Authorization": f"Apikey {KEY}"}
        plain = http.get(
            f"{udkm['url']}/api/v1/{path}", headers={**headers, "Accept-Encoding": "identity"}
        )
        packed = http.get(
            f"{udkm['url']}/api/v1/{path}", headers={**headers, "Accept-Encoding": "gzip"}
        )
    assert plain.status_code == packed.status_code == 200
    assert "content-encoding" not in plain.headers  # on a LAN: no compression work on either side
    assert packed.headers.get("content-encoding") == "gzip"
    assert int(plain.headers["content-length"]) == frame.nbytes
    np.testing.assert_array_equal(
        np.frombuffer(plain.content, dtype=frame.dtype).reshape(frame.shape), frame
    )
    served = from_uri(udkm["url"], api_key=KEY)["20210205"]["101500"]["images"]
    chunks = served.structure().chunks
    last = len(chunks[0]) - 1
    block = served.read_block((last, 0, 0))  # one block of frames: the server's chunking
    start = sum(chunks[0][:last])
    assert block.shape[0] == chunks[0][last]
    np.testing.assert_array_equal(
        block, scan.lazy()["images"][start : start + chunks[0][last]].values
    )


def test_large_served_reads_go_chunk_by_chunk_into_one_huge_page_output(
    udkm: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import mmap

    from nx5d_core import buffers
    from nx5d_core.serve import arrays
    from nx5d_core.serve.arrays import stored

    monkeypatch.setattr(buffers, "HUGE_PAGE_MIN", 1)  # the server (in this process) stores every read
    calls: list[tuple[int, ...]] = []

    def counted(part: Any) -> Any:
        calls.append(tuple(part.shape))
        return stored(part)

    monkeypatch.setattr(arrays, "stored", counted)
    scan = udkm["repo"]["20210205"]["101500"]
    lazy = scan.lazy()["images"]
    served = from_uri(udkm["url"], api_key=KEY)["20210205"]["101500"]["images"]
    np.testing.assert_array_equal(served[2:30, 5:9], lazy[2:30, 5:9].values)
    first = served.structure().chunks[0][0]
    np.testing.assert_array_equal(served.read_block((0, 0, 0)), lazy[:first].values)
    assert (28, 4, lazy.shape[2]) in calls, "the slice was stored by the server, not concatenated"
    assert (first, *lazy.shape[1:]) in calls, "and so was the block"
    out = stored(lazy.data[1:20, ::2])  # across chunks, stepped: every chunk into the output
    np.testing.assert_array_equal(out, lazy[1:20, ::2].values)
    base: object = out
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    assert isinstance(base, memoryview)
    assert isinstance(base.obj, mmap.mmap)


def test_missing_keys_answer_404_with_the_closest(udkm: dict[str, Any]) -> None:
    response = _get(udkm["url"], "metadata/20210205/101501")
    assert response.status_code == 404
    assert "'101500'" in response.json()["detail"]
    assert "not found in proposal '20210205'" in response.json()["detail"]
    from nx5d_core.errors import KeyNotFoundError
    from nx5d_core.remote import open_repository

    with open_repository(udkm["url"], api_key=KEY) as remote:  # the nx5d client says the same
        with pytest.raises(KeyNotFoundError, match=r"proposal '20210206' not found.*closest: '20210205'"):  # fmt: skip
            remote["20210206"]
        with pytest.raises(KeyNotFoundError, match=r"scan '101501' not found in proposal '20210205'.*closest: '101500'"):  # fmt: skip
            remote["20210205"]["101501"]


def test_a_corrupt_frame_answers_422_at_once_and_the_listing_stands(tmp_path: Path) -> None:
    from nx5d_udkm.sample import make_repository

    root = make_repository(
        tmp_path / "r", scans={"20210205": ["091726", "101500"]}, delays=2, loops=1
    )
    frame = root / "20210205" / "101500" / "image00003.tiff"
    frame.write_bytes(frame.read_bytes()[:200])  # truncated
    (root / "20210205" / "091726" / "manifest.dat").write_text("not a manifest\n")
    repo = nx5d_core.open_repository(str(root))
    with running_app(build_app(repo, api_key=KEY)) as url:
        client = from_uri(url, api_key=KEY)
        listing = {k: dict(v.metadata) for k, v in client["20210205"].items()}
        assert set(listing) == {"091726", "101500"}
        assert "ManifestError" in listing["091726"]["error"]
        start = datetime.now(UTC)
        response = _get(url, "array/full/20210205/101500/images?slice=3")
        assert response.status_code == 422
        assert "image00003.tiff" in response.json()["detail"]
        assert datetime.now(UTC) - start < timedelta(seconds=5)  # no retries
        assert _get(url, "array/full/20210205/101500/images?slice=4").status_code == 200


ODD = ["scan with space", "r#1", "what?", "Messung-ä°", "r2", "r10", "50%2"]


def _memory(data: dict[str, dict[str, Any]]) -> MemoryRepository:
    return MemoryRepository.from_dict(data, name="served")


def _scan(
    value: float, *, time: str | None, kind: str = "ascan", description: str = ""
) -> xr.Dataset:
    attrs = {"type": kind, "description": description}
    if time is not None:
        attrs["time"] = time
    return xr.Dataset({"counts": ("point", np.arange(4.0) + value)}, attrs=attrs)


def test_odd_keys_round_trip(tmp_path: Path) -> None:
    data = {"p 1#?é": {key: _scan(n, time=None) for n, key in enumerate(ODD)}}
    with running_app(build_app(_memory(data), api_key=KEY)) as url:
        client = from_uri(url, api_key=KEY)
        assert list(client) == ["p 1%23%3Fé"]  # '#', '?', '%' and '/' served percent-encoded
        served = client["p 1%23%3Fé"]
        assert [unquote(k) for k in served] == _memory(data)["p 1#?é"].keys()
        for n, key in enumerate(ODD):
            np.testing.assert_array_equal(
                served[served_key(key)]["counts"].read(), np.arange(4.0) + n
            )
            assert served[served_key(key)].metadata["key"] == key
        from nx5d_core.remote import open_repository

        with open_repository(url, api_key=KEY) as remote:  # the nx5d client encodes by itself
            proposal = remote["p 1#?é"]
            assert proposal.keys() == _memory(data)["p 1#?é"].keys()
            for n, key in enumerate(ODD):
                np.testing.assert_array_equal(
                    proposal[key].raw["counts"].values, np.arange(4.0) + n
                )


def test_queries_translate_with_zones_and_null_times() -> None:
    times = {
        "a": "2021-02-05T08:00:00+00:00",
        "b": "2021-02-05T10:30:00+02:00",  # 08:30 UTC
        "c": "2021-02-05T09:00:00+00:00",
        "d": None,
    }
    data = {"p": {k: _scan(i, time=t, kind="ascan" if k != "c" else "dscan", description=f"InP sample {k}") for i, (k, t) in enumerate(times.items())}}  # fmt: skip
    with running_app(build_app(_memory(data), api_key=KEY)) as url:
        proposal = from_uri(url, api_key=KEY)["p"]
        t0830 = datetime(2021, 2, 5, 8, 30, tzinfo=UTC).timestamp()
        assert list(proposal.search(Comparison("ge", "time_unix", t0830))) == ["b", "c"]
        assert list(proposal.search(Comparison("lt", "time_unix", t0830))) == ["a"]
        assert list(proposal.search(Comparison("le", "time_unix", t0830))) == ["a", "b"]
        berlin = TimeRange(
            since="2021-02-05 09:15", until="2021-02-05 10:00", timezone="Europe/Berlin"
        )
        assert list(proposal.search(berlin)) == ["b"]  # 08:15-09:00 UTC, end excluded
        assert list(proposal.search(TimeRange(since="2021-02-05T08:00:00-00:30"))) == ["b", "c"]
        assert list(proposal.search(Eq("type", "dscan"))) == ["c"]
        assert list(proposal.search(FullText("inp SAMPLE"))) == ["a", "b", "c", "d"]
        assert list(proposal.search(Regex("key", "^[ab]$"))) == ["a", "b"]
        newest = proposal.sort(("time_unix", -1))
        assert list(newest) == ["c", "b", "a", "d"]  # newest first, no time last
        assert list(proposal.sort(("time_unix", 1))) == ["a", "b", "c", "d"]


def test_new_scans_appear_without_a_restart() -> None:
    data: dict[str, dict[str, Any]] = {"p": {"r1": _scan(1, time=None)}}
    with running_app(build_app(_memory(data), api_key=KEY, relist_seconds=0)) as url:
        client = from_uri(url, api_key=KEY)
        assert list(client["p"]) == ["r1"]
        data["p"]["r2"] = _scan(2, time=None)
        assert list(from_uri(url, api_key=KEY)["p"]) == ["r1", "r2"]


def test_a_1200_scan_proposal_pages_in_the_framework_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nx5d_udkm.sample import make_listing_repository

    root = make_listing_repository(
        tmp_path / "many", proposals=1, scans=1200, every=timedelta(seconds=20)
    )
    repo = nx5d_core.open_repository(str(root))
    proposal = repo[repo.keys()[0]]

    opened: list[str] = []

    def no_bulk(self: Any) -> Any:
        opened.append(self.key)
        msg = "a listing opened bulk data"
        raise AssertionError(msg)

    monkeypatch.setattr(nx5d_core.Scan, "lazy", no_bulk)
    monkeypatch.setattr(nx5d_core.Scan, "raw", property(no_bulk))
    with running_app(build_app(repo, api_key=KEY)) as url:
        served = from_uri(url, api_key=KEY)[proposal.key]
        assert len(served) == 1200
        assert list(served) == proposal.keys()
        metadata = [dict(v.metadata) for v in served.values()]
        assert [m["key"] for m in metadata] == proposal.keys()
        assert not [m for m in metadata if "error" in m]
        assert not opened, f"the listing opened {len(opened)} scans"


def test_tiled_dictionary_authenticator_for_several_users(tmp_path: Path) -> None:
    auth = {
        "providers": [
            {
                "provider": "toy",
                "authenticator": "tiled.authenticators:DictionaryAuthenticator",
                "args": {"users_to_passwords": {"alice": "secret1", "bob": "secret2"}},
            }
        ],
        "secret_keys": ["0123456789abcdef0123456789abcdef"],
    }
    with running_app(build_app(_memory({"p": {"r1": _scan(1, time=None)}}), authentication=auth)) as url, httpx.Client(trust_env=False) as http:  # fmt: skip
        assert http.get(f"{url}/api/v1/metadata/p").status_code == 401
        bad = http.post(
            f"{url}/api/v1/auth/provider/toy/token", data={"username": "alice", "password": "nope"}
        )
        assert bad.status_code == 401
        token = http.post(
            f"{url}/api/v1/auth/provider/toy/token", data={"username": "bob", "password": "secret2"}
        )
        assert token.status_code == 200, token.text
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert (
            http.get(f"{url}/api/v1/metadata/p/r1", headers=bearer).json()["data"]["attributes"][
                "metadata"
            ]["key"]
            == "r1"
        )


@pytest.mark.parametrize(
    ("path", "proposal", "scan", "variable"),
    [
        ("DLS/K11_DIAD", "mg32775-1", "k11-18014", "data"),
        ("APS/9-ID-C_SAXS", "2016-06_IN625_775C", "nexus-example", "frames"),
    ],
)
def test_real_nexus_files_are_served(path: str, proposal: str, scan: str, variable: str) -> None:
    from nx5d_core.testing.fixtures import find_real_data

    real = find_real_data(Path(__file__).parent)
    if real is None:
        pytest.skip("real data not found")
    repo = nx5d_core.open_repository(str(real / path))
    local = repo[proposal][scan]
    with running_app(build_app(repo, api_key=KEY)) as url:
        served = from_uri(url, api_key=KEY)[proposal][scan]
        np.testing.assert_array_equal(served[variable][1], local.lazy()[variable][1].values)
        assert str(real) not in repr(dict(served.metadata))


def test_cli_serve_refuses_to_start_without_tiled_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import builtins

    from nx5d_core.cli import main

    real_import = builtins.__import__

    def no_uvicorn(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "uvicorn":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_uvicorn)
    assert main(["serve", "memory://x", "--adapter", "memory"]) == 2


def test_cli_serves_with_a_tiled_config_for_several_users(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    from nx5d_udkm.sample import make_repository

    from nx5d_core.testing.serving import free_port

    root = make_repository(tmp_path / "r", scans={"20210205": ["091726"]}, delays=2, loops=1)
    config = tmp_path / "auth.yml"
    config.write_text(
        "authentication:\n  providers:\n    - provider: local\n"
        "      authenticator: tiled.authenticators:DictionaryAuthenticator\n"
        "      args:\n        users_to_passwords:\n          alice: secret1\n"
        "  secret_keys:\n    - 0123456789abcdef0123456789abcdef\n"
    )
    port = free_port()
    command = [sys.executable, "-m", "nx5d_core", "serve", str(root), "--port", str(port), "--tiled-config", str(config)]  # fmt: skip
    server = popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(trust_env=False) as http:
            for _ in range(300):
                try:
                    if http.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            assert http.get(f"{url}/api/v1/metadata/20210205").status_code == 401
            token = http.post(f"{url}/api/v1/auth/provider/local/token", data={"username": "alice", "password": "secret1"})  # fmt: skip
            assert token.status_code == 200, token.text
            bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
            listed = http.get(f"{url}/api/v1/search/20210205", headers=bearer).json()
            assert [d["id"] for d in listed["data"]] == ["091726"]
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert b"serving" in err


def test_server_paths_are_hidden_only_as_whole_path_components(tmp_path: Path) -> None:
    from nx5d_core.serve.app import _decode_keeping
    from nx5d_core.serve.keys import OUTSIDE
    from nx5d_core.serve.tree import Served

    root = tmp_path / "data"
    root.mkdir()
    served = Served(repository=MemoryRepository(f"file://{root}", data={}))
    served._roots = [str(root)]
    cleaned = served.clean({"a": [f"{root}/p/s.h5", str(root), f"{root}2/x", f"{root}.old", "/entry/data"]})  # fmt: skip
    # /data2 is not inside /data (never "2/x"): it is outside the root, and hidden as such;
    # an HDF5 path stays
    assert cleaned == {"a": ["p/s.h5", ".", OUTSIDE, OUTSIDE, "/entry/data"]}
    assert (
        _decode_keeping(b"/metadata/p%201%23%3F%C3%A9/r%231/50%252")
        == "/metadata/p 1%23%3Fé/r%231/50%252"
    )


def test_ours_and_databrokers_time_range_live_in_one_process(udkm: dict[str, Any]) -> None:
    """bluesky-tiled-plugins registers its ``TimeRange`` as ``time_range`` in tiled's one query
    registry per process; ours is ``nx5d_time_range``, so importing both works and ours searches."""
    theirs = pytest.importorskip("bluesky_tiled_plugins.queries")
    from tiled.query_registration import default_query_registry as registry

    client = from_uri(udkm["url"], api_key=KEY)
    _OPEN.append(client)
    proposal = client["20210205"]
    day = TimeRange(since="2021-02-05T00:00+01:00", until="2021-02-06T00:00+01:00")
    assert list(proposal.search(day)) == list(proposal)
    assert list(proposal.search(TimeRange(since="2030-01-01T00:00Z"))) == []
    assert registry.name_to_query_type["time_range"] is theirs.TimeRange
    assert registry.name_to_query_type["nx5d_time_range"] is TimeRange
