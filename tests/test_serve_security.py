"""nx5d serve as an operator exposes it: every route, the login config, sizes, errors, paths.

Real uvicorn servers on loopback (in a thread, and ``nx5d serve`` as a process), the real tiled
client and plain HTTP.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

import nx5d_core

tiled = pytest.importorskip("tiled", reason="tiled (nx5d-core[serve]) is not installed")
httpx = pytest.importorskip("httpx")

from nx5d_memory import MemoryRepository
from tiled.client import from_uri

from nx5d_core.serve.app import build_app
from nx5d_core.serve.gate import ALLOWED_UNAUTHENTICATED, served_route
from nx5d_core.serve.limits import Limits, MiB
from nx5d_core.testing.processes import popen
from nx5d_core.testing.serving import free_port, running_app

KEY = "k3y0fthetest"
ROUTE_VALUES = {"path": "20210205/101500/images", "block": "0.0.0", "provider": "local"}


def _http() -> Any:
    return httpx.Client(trust_env=False, timeout=60)


@pytest.fixture(scope="module")
def udkm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from nx5d_udkm.sample import make_repository

    root = make_repository(tmp_path_factory.mktemp("served"), delays=3, loops=1)
    repo = nx5d_core.open_repository(str(root))
    app = build_app(repo, api_key=KEY, relist_seconds=0)
    with running_app(app) as url:
        yield {"url": url, "repo": repo, "root": root, "app": app}


def _routes(app: Any) -> list[tuple[str, set[str], Any]]:
    """(path, methods, route) of every route tiled mounted, through FastAPI's own iteration."""
    from fastapi.routing import iter_route_contexts

    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        methods = set(getattr(route, "methods", None) or {"WEBSOCKET"})
        found.append((str(context.path), methods, route))
    assert len(found) > 50, "the route walk found too few routes: FastAPI changed how to walk them"
    return found


def _scoped(dependant: Any) -> bool:
    """Whether a route's dependency tree checks the caller's scopes (tiled's check_scopes)."""
    from tiled.server.authentication import check_scopes

    stack = [dependant]
    while stack:
        dep = stack.pop()
        if dep.call is check_scopes and (dep.own_oauth_scopes or dep.parent_oauth_scopes):
            return True
        stack.extend(dep.dependencies)
    return False


def _allowed_unauthenticated(path: str) -> bool:
    return path in ALLOWED_UNAUTHENTICATED or path.startswith("/api/v1/auth/")


def test_every_reachable_route_checks_scopes_or_is_on_the_allow_list(udkm: dict[str, Any]) -> None:
    reachable, blocked = [], []
    for path, methods, route in _routes(udkm["app"]):
        for method in methods - {"HEAD"}:
            if method == "WEBSOCKET" or served_route(method, path):
                blocked.append((method, path))
                continue
            reachable.append((method, path))
            if not _allowed_unauthenticated(path):
                assert _scoped(route.dependant), f"{method} {path} is reachable and checks no scope"
    assert ("GET", "/api/v1/array/full/{path:path}") in reachable
    assert any(p.startswith("/zarr/v2") for _, p in blocked)
    assert any(p.startswith("/zarr/v3") for _, p in blocked)
    assert ("PUT", "/api/v1/array/full/{path:path}") in blocked  # read-only
    assert not [r for r in reachable if r[1] == "/api/v1/metadata/{path:path}" and r[0] != "GET"]


def _filled(path: str) -> str:
    out = path
    for name, value in ROUTE_VALUES.items():
        out = out.replace(f"{{{name}:path}}", value).replace(f"{{{name}}}", value)
    return out.replace("{", "").replace("}", "")


def test_no_route_answers_data_without_a_key(udkm: dict[str, Any]) -> None:
    url = udkm["url"]
    seen = 0
    with _http() as http:
        for path, methods, _ in _routes(udkm["app"]):
            for method in methods - {"HEAD", "WEBSOCKET"}:
                response = http.request(method, url + _filled(path))
                seen += 1
                if _allowed_unauthenticated(path):
                    continue
                assert response.status_code in {401, 404, 405, 422}, (
                    method,
                    path,
                    response.status_code,
                )
        # the issue's own URLs
        for path in ("/zarr/v2/", "/zarr/v2/20210205/101500/images/0.0.0", "/zarr/v3/20210205/101500/zarr.json", "/docs", "/openapi.json", "/ui/"):  # fmt: skip
            assert http.get(url + path).status_code == 404, path
            assert (
                http.get(url + path, headers={"Authorization": f"Apikey {KEY}"}).status_code == 404
            )
        assert http.get(url + "/healthz").status_code == 200
        about = http.get(url + "/api/v1/")
        assert about.status_code == 200
        assert "20210205" not in about.text  # the description a client logs in with holds no data
    assert seen > 50


def _raw_get(url: str, target: str, *, key: str | None = None) -> int:
    """The status of ``GET target`` sent as written (no client normalises its dots or escapes)."""
    host, port = url.removeprefix("http://").split(":")
    auth = f"Authorization: Apikey {key}\r\n" if key else ""
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\n{auth}Connection: close\r\n\r\n".encode())  # fmt: skip
        head = sock.recv(65536).split(b"\r\n", 1)[0]
    return int(head.split()[1])


def test_dot_segments_and_escapes_do_not_reach_other_routes(udkm: dict[str, Any]) -> None:
    for target in (
        "/api/v1/../zarr/v2/",
        "/api/v1/%2E%2E/zarr/v2/",
        "/api/v1%2F..%2F..%2Fzarr/v2/20210205",
        "/api%2Fv1/array/full/20210205/101500/images",
        "/zarr%2Fv2/",
        "//zarr/v2/",
        "/healthz/../zarr/v2/",
    ):
        for key in (None, KEY):
            assert _raw_get(udkm["url"], target, key=key) in {401, 404, 405}, (target, key)
    assert _raw_get(udkm["url"], "/api/v1/metadata/20210205", key=KEY) == 200  # the check works


def test_public_server_reads_without_a_key_but_mounts_nothing_else(tmp_path: Path) -> None:
    repo = MemoryRepository.from_dict({"p": {"r": xr.Dataset({"c": ("point", np.arange(3.0))})}}, name="m")  # fmt: skip
    with running_app(build_app(repo, api_key=KEY, public=True)) as url, _http() as http:
        assert http.get(url + "/api/v1/array/full/p/r/c").status_code == 200
        assert http.get(url + "/zarr/v2/p/r/c/0").status_code == 404
        assert http.put(url + "/api/v1/array/full/p/r/c", content=b"\0" * 24).status_code == 405
        assert http.delete(url + "/api/v1/metadata/p/r").status_code == 405


# -- the multi-user configuration ------------------------------------------------------------------

DOC_CONFIG = """\
authentication:
  providers:
    - provider: local
      authenticator: tiled.authenticators:DictionaryAuthenticator
      args:
        users_to_passwords:
          alice: ${ALICE_PASSWORD}
  secret_keys:
    - ${TILED_SECRET_KEY}
"""


def _start(root: Path, config: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "nx5d_core", "serve", str(root), "--port", str(port), "--tiled-config", str(config)]  # fmt: skip
    clean = {k: v for k, v in os.environ.items() if k not in {"ALICE_PASSWORD", "TILED_SECRET_KEY"}}
    server = popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**clean, **env})  # fmt: skip
    return server, f"http://127.0.0.1:{port}"


def _wait(server: subprocess.Popen[bytes], url: str) -> bool:
    with _http() as http:
        for _ in range(300):
            if server.poll() is not None:
                return False
            try:
                if http.get(f"{url}/healthz", timeout=1).status_code == 200:
                    return True
            except httpx.HTTPError:
                time.sleep(0.1)
    return False


def test_config_placeholders_mean_the_environment_and_tokens_cannot_be_forged(
    tmp_path: Path,
) -> None:
    import jwt
    from nx5d_udkm.sample import make_repository

    root = make_repository(tmp_path / "r", scans={"20210205": ["091726"]}, delays=2, loops=1)
    config = tmp_path / "auth.yml"
    config.write_text(DOC_CONFIG)
    secret = "9f" * 32
    server, url = _start(
        root, config, {"ALICE_PASSWORD": "wonder land", "TILED_SECRET_KEY": secret}
    )
    try:
        assert _wait(server, url), server.stderr.read().decode() if server.poll() is not None else "no start"  # fmt: skip
        login = f"{url}/api/v1/auth/provider/local/token"
        with _http() as http:
            for path in ("/zarr/v2/", "/zarr/v2/20210205/091726/images/0.0.0", "/zarr/v3/20210205/091726/zarr.json"):  # fmt: skip
                assert http.get(url + path).status_code == 404, path
            assert http.get(f"{url}/api/v1/array/full/20210205/091726/images?slice=0").status_code == 401  # fmt: skip
            literal = http.post(login, data={"username": "alice", "password": "${ALICE_PASSWORD}"})
            assert literal.status_code == 401
            real = http.post(login, data={"username": "alice", "password": "wonder land"})
            assert real.status_code == 200, real.text
            claims = jwt.decode(real.json()["access_token"], secret, algorithms=["HS256"])
            good = {"Authorization": f"Bearer {real.json()['access_token']}"}
            assert http.get(f"{url}/api/v1/search/20210205", headers=good).status_code == 200
            for guess in ("${TILED_SECRET_KEY}", "TILED_SECRET_KEY", ""):
                with warnings.catch_warnings():  # an attacker's key is short
                    warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
                    forged = jwt.encode(claims, guess or "x", algorithm="HS256")
                answer = http.get(f"{url}/api/v1/search/20210205", headers={"Authorization": f"Bearer {forged}"})  # fmt: skip
                assert answer.status_code == 401, guess
            resigned = jwt.encode(claims, secret, algorithm="HS256")  # the check itself can pass
            assert http.get(f"{url}/api/v1/search/20210205", headers={"Authorization": f"Bearer {resigned}"}).status_code == 200  # fmt: skip
    finally:
        server.terminate()
        server.communicate(timeout=30)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ALICE_PASSWORD": "pw"}, "TILED_SECRET_KEY is not set"),
        ({"TILED_SECRET_KEY": "9f" * 32}, "ALICE_PASSWORD is not set"),
        (
            {"ALICE_PASSWORD": "", "TILED_SECRET_KEY": "9f" * 32},
            "users_to_passwords.alice is empty",
        ),
        ({"ALICE_PASSWORD": "pw", "TILED_SECRET_KEY": "short"}, "fewer than 32"),
    ],
)
def test_missing_empty_or_weak_secrets_stop_the_server(tmp_path: Path, env: dict[str, str], named: str) -> None:  # fmt: skip
    config = tmp_path / "auth.yml"
    config.write_text(DOC_CONFIG)
    root = tmp_path / "r"
    root.mkdir()
    server, _url = _start(root, config, env)
    _, err = server.communicate(timeout=60)
    assert server.returncode != 0
    assert named in err.decode(), err.decode()


def test_a_config_without_signing_keys_is_refused() -> None:
    from nx5d_core.serve.auth import WeakSecretError, check_secrets

    section = {"providers": [{"provider": "l", "authenticator": "a:b", "args": {"users_to_passwords": {"a": "pw"}}}]}  # fmt: skip
    with pytest.raises(WeakSecretError, match="secret_keys is missing"):
        check_secrets(section, where="x.yml")
    with pytest.raises(WeakSecretError, match=r"\$\{ALICE\}"):
        build_app(MemoryRepository.from_dict({}, name="m"), authentication={**section, "secret_keys": ["a" * 40], "providers": [{"provider": "l", "authenticator": "a:b", "args": {"users_to_passwords": {"a": "${ALICE}"}}}]})  # fmt: skip


# -- sizes -------------------------------------------------------------------------------------------


def _counting_repo(frames: int, shape: tuple[int, int]) -> tuple[MemoryRepository, list[int]]:
    """A scan whose frames are counted as they are read (dask blocks of 4 frames)."""
    import dask.array as da

    reads: list[int] = []

    def frame_block(block: Any, block_info: Any = None) -> Any:
        if block.size:  # dask calls it on empty blocks to learn the type
            reads.append(block.shape[0])
        return np.ones(block.shape, dtype=np.int32)

    images = da.zeros((frames, *shape), dtype=np.int32, chunks=(4, *shape)).map_blocks(frame_block, dtype=np.int32)  # fmt: skip
    scan = xr.Dataset({"images": (("frame", "y", "x"), images)}, attrs={"type": "ascan"})
    return MemoryRepository.from_dict({"p": {"s": scan}}, name="counted"), reads


def test_reads_over_the_limit_answer_413_before_any_frame_is_read() -> None:
    repo, reads = _counting_repo(40, (256, 256))  # 256 KiB a frame, 10 MiB in all
    limits = Limits(max_response_bytes=2 * MiB, read_budget_bytes=4 * MiB, small_read_bytes=MiB)
    headers = {"Authorization": f"Apikey {KEY}"}
    with running_app(build_app(repo, api_key=KEY, limits=limits)) as url, _http() as http:
        for path in ("node/full/p/s", "container/full/p/s", "array/full/p/s/images", "array/full/p/s/images?slice=0:20", "node/full/p", "container/full/p", "node/full/"):  # fmt: skip
            answer = http.get(f"{url}/api/v1/{path}", headers=headers)
            assert answer.status_code == 413, (path, answer.status_code, answer.text)
            assert reads == [], path
        assert "2 MiB" in answer.json()["detail"] or "not exported" in answer.json()["detail"]
        small = http.get(f"{url}/api/v1/array/full/p/s/images?slice=0:4", headers=headers)
        assert small.status_code == 200
        assert sum(reads) == 4
        block = http.get(f"{url}/api/v1/array/block/p/s/images?block=1,0,0", headers=headers)
        assert block.status_code == 200
        assert np.frombuffer(block.content, dtype=np.int32).size == 4 * 256 * 256
        client = from_uri(url, api_key=KEY)
        try:
            client.RESPONSE_BYTESIZE_LIMIT = 0  # (unused: the array client's own limit below)
            array = client["p"]["s"]["images"]
            array.RESPONSE_BYTESIZE_LIMIT = MiB  # the client slices below the server's limit
            assert array.read().shape == (40, 256, 256)
        finally:
            client.context.close()


def test_the_read_budget_makes_a_large_read_wait_and_then_503() -> None:
    from fastapi import HTTPException

    from nx5d_core.serve.limits import ByteBudget, Ticket, reserve, ticket

    limits = Limits(max_response_bytes=10, read_budget_bytes=10, small_read_bytes=0, budget_wait_seconds=0.2)  # fmt: skip
    budget = ByteBudget(limits.read_budget_bytes)
    first, second = Ticket(limits=limits, budget=budget), Ticket(limits=limits, budget=budget)
    token = ticket().set(first)
    reserve(8, what="a")
    ticket().reset(token)
    token = ticket().set(second)
    start = time.monotonic()
    with pytest.raises(HTTPException) as info:
        reserve(8, what="b")
    assert info.value.status_code == 503
    assert time.monotonic() - start >= 0.2
    threading.Timer(0.1, first.release).start()  # room appears while the second waits
    reserve(8, what="b")
    ticket().reset(token)
    assert budget.used == 8
    second.release()
    assert budget.used == 0


def _slow_reader(host: str, port: int, target: str) -> int:
    """Bytes a client gets that asks for ``target`` and reads nothing for 4 s (tiny buffer)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, port))
    sock.sendall(
        f"GET {target} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Apikey {KEY}\r\n"
        "Accept-Encoding: identity\r\n\r\n".encode()
    )
    time.sleep(4)  # never read: the server must give up on us
    received = 0
    sock.settimeout(10)
    try:
        while chunk := sock.recv(1 << 20):
            received += len(chunk)
    except (ConnectionResetError, TimeoutError):
        pass
    sock.close()
    return received


def test_a_client_that_stops_reading_is_cut_off_and_others_are_served() -> None:
    repo, _ = _counting_repo(16, (512, 512))  # 1 MiB a frame
    limits = Limits(max_response_bytes=64 * MiB, send_timeout_seconds=1.0, min_send_rate=10 * MiB)
    with running_app(build_app(repo, api_key=KEY, limits=limits)) as url:
        host, port = url.removeprefix("http://").split(":")
        received = _slow_reader(host, int(port), "/api/v1/array/full/p/s/images?format=application/octet-stream")  # fmt: skip
        assert received < 16 * MiB  # the body was never completed
        with _http() as http:  # the server still serves
            ok = http.get(f"{url}/api/v1/array/full/p/s/images?slice=0", headers={"Authorization": f"Apikey {KEY}"})  # fmt: skip
            assert ok.status_code == 200


# -- errors and freshness ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("filter[eq][condition][key]=type&filter[eq][condition][value]={bad", "cannot be read"),
        (
            'filter[regex][condition][key]=type&filter[regex][condition][pattern]="("&filter[regex][condition][case_sensitive]=true',
            "not a regular expression",
        ),
        (
            'filter[comparison][condition][operator]=gt&filter[comparison][condition][key]=time_unix&filter[comparison][condition][value]="abc"',
            "number of seconds",
        ),
        (
            "filter[comparison][condition][operator]=gt&filter[comparison][condition][key]=time_unix&filter[comparison][condition][value]=1e29",
            "time_unix",
        ),
        ("filter[nx5d_time_range][condition][since]=2021-13-45", "is not a time"),
        ("page[offset]=100000000000000000000000000000", "page[offset]"),
        ("page[limit]=-1", "page[limit]"),
        ("filter[nosuch][condition][x]=1", "unknown query 'nosuch'"),
        ("filter[fulltext][condition][text]=", "at least one word"),
    ],
)
def test_bad_queries_answer_400_with_the_reason(
    udkm: dict[str, Any], query: str, says: str
) -> None:
    with _http() as http:
        answer = http.get(f"{udkm['url']}/api/v1/search/20210205?{query}", headers={"Authorization": f"Apikey {KEY}"})  # fmt: skip
    assert answer.status_code == 400, (answer.status_code, answer.text)
    assert says in answer.json()["detail"]


def test_a_scan_copied_in_while_serving_is_listed_and_searched(tmp_path: Path) -> None:
    from nx5d_udkm.sample import make_repository

    root = make_repository(
        tmp_path / "r", scans={"20210205": ["091726", "101500"]}, delays=2, loops=1
    )
    repo = nx5d_core.open_repository(str(root), index=str(tmp_path / "index.sqlite"))
    headers = {"Authorization": f"Apikey {KEY}"}
    with running_app(build_app(repo, api_key=KEY, relist_seconds=0)) as url, _http() as http:
        assert len(http.get(f"{url}/api/v1/search/20210205", headers=headers).json()["data"]) == 2
        shutil.copytree(root / "20210205" / "091726", root / "20210205" / "120000")
        for _ in range(3):  # several rounds: never a 500, always the new scan
            listing = http.get(f"{url}/api/v1/search/20210205", headers=headers)
            assert listing.status_code == 200, listing.text
            assert [d["id"] for d in listing.json()["data"]] == ["091726", "101500", "120000"]
            found = http.get(f"{url}/api/v1/search/20210205?filter[fulltext][condition][text]=120000", headers=headers)  # fmt: skip
            assert found.status_code == 200, found.text
            assert [d["id"] for d in found.json()["data"]] == ["120000"]
    proposal = repo["20210205"]  # the same in Python after relist()
    shutil.copytree(root / "20210205" / "091726", root / "20210205" / "130000")
    proposal.relist()
    assert [e.key for e in proposal.summaries()][-1] == "130000"
    assert len(proposal.table()) == 4
    assert proposal.search(nx5d_core.queries.FullText("130000")).keys() == ["130000"]


def test_error_bodies_and_metadata_show_no_server_path(tmp_path: Path) -> None:
    import h5py
    from nx5d_udkm.sample import make_repository

    root = make_repository(tmp_path / "r", scans={"20210205": ["101500"]}, delays=2, loops=1)
    frame = root / "20210205" / "101500" / "image00003.tiff"
    frame.write_bytes(frame.read_bytes()[:200])
    repo = nx5d_core.open_repository(str(root))
    with running_app(build_app(repo, api_key=KEY)) as url, _http() as http:
        answer = http.get(f"{url}/api/v1/array/full/20210205/101500/images?slice=3", headers={"Authorization": f"Apikey {KEY}"})  # fmt: skip
    assert answer.status_code == 422
    assert "image00003.tiff" in answer.text
    assert str(tmp_path) not in answer.text
    assert "/tmp/" not in answer.text
    # an HDF5 scan whose link leads outside the root: the refusal is reported, its target is not
    outside = tmp_path / "outside.h5"
    with h5py.File(outside, "w") as f:
        f["secret"] = np.arange(3)
    nexus = tmp_path / "h" / "p"
    nexus.mkdir(parents=True)
    with h5py.File(nexus / "s.nxs", "w") as f:
        data = _nxdata(f, signal="counts")
        data["counts"] = np.arange(5.0)
        data["leak"] = h5py.ExternalLink(str(outside), "/secret")
    hrepo = nx5d_core.open_repository(str(tmp_path / "h"), adapter="hdf5")
    with running_app(build_app(hrepo, api_key=KEY)) as url:
        client = from_uri(url, api_key=KEY)
        try:
            meta = json.dumps(dict(client["p"]["s"].metadata))
        finally:
            client.context.close()
    assert "leak" in meta  # the refused link is reported ...
    assert str(tmp_path) not in meta
    assert "outside.h5" not in meta.replace("<outside", "")


def _nxdata(file: Any, *, signal: str) -> Any:
    """/entry (NXentry) with /entry/data (NXdata) naming ``signal``, as NeXus writers lay it out."""
    entry = file.create_group("entry")
    entry.attrs["NX_class"] = "NXentry"
    data = entry.create_group("data")
    data.attrs.update({"NX_class": "NXdata", "signal": signal})
    return data


def _rss(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process, in bytes."""
    fields = dict(
        line.split(":", 1)
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if ":" in line
    )
    return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024


@pytest.mark.slow
def test_four_clients_reading_a_large_scan_keep_the_server_under_1_5_gb(tmp_path: Path) -> None:
    import h5py

    frames, shape = 7200, (195, 487)  # 2.74 GB of int32 zeros, a few MB on disk
    folder = tmp_path / "r" / "p"
    folder.mkdir(parents=True)
    with h5py.File(folder / "s.nxs", "w") as f:
        images = _nxdata(f, signal="images").create_dataset("images", shape=(frames, *shape), dtype=np.int32, chunks=(8, *shape), compression="gzip", compression_opts=1)  # fmt: skip
        zeros = np.zeros((400, *shape), dtype=np.int32)
        for start in range(0, frames, 400):
            images[start : start + 400] = zeros  # written (allocated chunks), not fill values
    port = free_port()
    command = [sys.executable, "-m", "nx5d_core", "serve", str(tmp_path / "r"), "--adapter", "hdf5", "--port", str(port), "--api-key", KEY]  # fmt: skip
    server = popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Apikey {KEY}"}
    try:
        assert _wait(server, url)
        baseline = _rss(server.pid)[0]
        refused: list[int] = []
        shapes: list[tuple[int, ...]] = []
        errors: list[BaseException] = []

        def client(quarter: int) -> None:
            try:
                with _http() as http:
                    refused.append(http.get(f"{url}/api/v1/node/full/p/s", headers=headers).status_code)  # fmt: skip
                    refused.append(http.get(f"{url}/api/v1/array/full/p/s/images", headers=headers).status_code)  # fmt: skip
                tiled_client = from_uri(url, api_key=KEY)
                try:
                    part = tiled_client["p"]["s"]["images"][quarter * 1800 : (quarter + 1) * 1800]
                    assert not part.any()
                    shapes.append(part.shape)
                finally:
                    tiled_client.context.close()
            except BaseException as exc:  # noqa: BLE001 - reported by the test below
                errors.append(exc)

        threads = [threading.Thread(target=client, args=(q,)) for q in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(600)
        _, peak = _rss(server.pid)
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert not errors, errors
    assert refused == [413] * 8
    assert shapes == [(1800, *shape)] * 4  # the whole scan was read, a quarter by each client
    print(f"server RSS: baseline {baseline / 1e9:.2f} GB, peak {peak / 1e9:.2f} GB")  # noqa: T201
    assert peak < 1.5e9, f"server peak {peak / 1e9:.2f} GB (baseline {baseline / 1e9:.2f} GB)"


def test_apps_in_one_process_keep_their_own_settings() -> None:
    """tiled writes each app's settings into one process-wide object; ours are kept apart (a
    second app would otherwise inherit another key, limit and an authentication database)."""
    from tiled.server.settings import get_settings

    repo = MemoryRepository.from_dict({"p": {}}, name="m")
    auth = {
        "providers": [
            {
                "provider": "local",
                "authenticator": "tiled.authenticators:DictionaryAuthenticator",
                "args": {"users_to_passwords": {"alice": "pw"}},
            }
        ],
        "secret_keys": ["ab" * 32],
    }
    first = build_app(repo, authentication=auth, limits=Limits(max_response_bytes=MiB))
    second = build_app(repo, api_key=KEY)
    mine = second.dependency_overrides[get_settings]()
    theirs = first.dependency_overrides[get_settings]()
    assert theirs.database_settings.uri is not None  # the multi-user app has its database
    assert mine.database_settings.uri is None  # ... the single-key app none
    assert (theirs.response_bytesize_limit, mine.response_bytesize_limit) == (MiB, 256 * MiB)
    assert mine.single_user_api_key == KEY
    assert theirs.single_user_api_key != KEY


@pytest.mark.slow
def test_the_guarantees_hold_on_an_nx5d_serve_process(tmp_path: Path) -> None:
    """The items above once more, against ``nx5d serve`` as an operator starts it."""
    from nx5d_udkm.sample import make_repository

    root = make_repository(tmp_path / "r", scans={"20210205": ["091726", "101500"]}, delays=2, loops=1)  # fmt: skip
    frame = root / "20210205" / "101500" / "image00003.tiff"
    frame.write_bytes(frame.read_bytes()[:200])
    port = free_port()
    command = [sys.executable, "-m", "nx5d_core", "serve", str(root), "--port", str(port), "--api-key", KEY, "--max-response-mb", "8", "--send-timeout", "1"]  # fmt: skip
    server = popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Apikey {KEY}"}
    try:
        assert _wait(server, url)
        with _http() as http:
            # 1. no route without a key; zarr not mounted even with one
            assert http.get(f"{url}/zarr/v2/20210205/091726/images/0.0.0").status_code == 404
            assert http.get(f"{url}/api/v1/array/full/20210205/091726/images?slice=0").status_code == 401  # fmt: skip
            assert http.get(f"{url}/zarr/v3/20210205/zarr.json", headers=headers).status_code == 404
            # 3. larger than the limit (42 frames, 16 MB > 8 MiB): 413 before reading
            assert http.get(f"{url}/api/v1/node/full/20210205/091726", headers=headers).status_code == 413  # fmt: skip
            assert http.get(f"{url}/api/v1/array/full/20210205/091726/images?slice=0", headers=headers).status_code == 200  # fmt: skip
            # 4. a bad query is the client's error
            bad = http.get(f"{url}/api/v1/search/20210205?filter[nosuch][condition][x]=1", headers=headers)  # fmt: skip
            assert bad.status_code == 400
            # 5. a scan copied in is listed
            shutil.copytree(root / "20210205" / "091726", root / "20210205" / "120000")
            deadline = time.monotonic() + 10
            while True:
                listing = http.get(f"{url}/api/v1/search/20210205", headers=headers)
                assert listing.status_code == 200, listing.text
                if [d["id"] for d in listing.json()["data"]] == ["091726", "101500", "120000"]:
                    break
                assert time.monotonic() < deadline, listing.json()
                time.sleep(0.5)
            # 6. no server path in an error
            broken = http.get(f"{url}/api/v1/array/full/20210205/101500/images?slice=3", headers=headers)  # fmt: skip
            assert broken.status_code == 422
            assert "image00003.tiff" in broken.text
            assert str(tmp_path) not in broken.text
        # 7. a client that stops reading 20 frames (7.6 MB) is cut off; the server goes on
        received = _slow_reader("127.0.0.1", port, "/api/v1/array/full/20210205/091726/images?slice=0:20&format=application/octet-stream")  # fmt: skip
        assert received < 20 * 195 * 487 * 4
        assert _raw_get(url, "/healthz") == 200
        client = from_uri(url, api_key=KEY)
        try:
            assert list(client["20210205"]) == ["091726", "101500", "120000"]
        finally:
            client.context.close()
    finally:
        server.terminate()
        server.communicate(timeout=30)
