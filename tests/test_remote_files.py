"""UDKM scans read from a real S3-protocol server (moto, loopback) and a real web server
(``http.server``, loopback) through fsspec: the same data as from disk, changed objects read
again, missing frames named."""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import nx5d_core

pytest.importorskip("nx5d_udkm")
from nx5d_udkm.errors import MissingFrameError
from nx5d_udkm.sample import make_repository

SCANS = {"20210205": ["091726", "101500"]}


@pytest.fixture(scope="module")
def local_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repository(
        tmp_path_factory.mktemp("udkm") / "udkm", scans=SCANS, delays=2, compression="zlib"
    )


@pytest.fixture
def bucket(s3_endpoint: str, local_root: Path) -> Iterator[str]:
    import s3fs

    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    name = f"nx5d-{uuid.uuid4().hex[:12]}"
    fs.mkdir(name)
    fs.put(f"{local_root}/", f"{name}/udkm/", recursive=True)
    yield name
    fs.rm(name, recursive=True)


def test_s3_repository_equals_the_local_one(bucket: str, local_root: Path) -> None:
    local = nx5d_core.open_repository(str(local_root))
    remote = nx5d_core.open_repository(f"s3://{bucket}/udkm", adapter="udkm")
    assert remote.keys() == local.keys()
    assert remote["20210205"].keys() == local["20210205"].keys()
    for key in SCANS["20210205"]:
        here, there = local["20210205"][key], remote["20210205"][key]
        np.testing.assert_array_equal(there.raw["images"].values, here.raw["images"].values)
        np.testing.assert_array_equal(there.raw["Theta"].values, here.raw["Theta"].values)
        # the frame list of a remote scan comes from its listing, never from a local folder
        assert [f.path.name for f in there._frames()] == [p.name for p in here.image_paths()]
        assert there.summary.model_dump(exclude={"folder"}) == here.summary.model_dump(
            exclude={"folder"}
        )
        np.testing.assert_array_equal(
            there.lazy()["images"][7].values, here.raw["images"][7].values
        )
    small = nx5d_core.open_repository(
        f"s3://{bucket}/udkm", adapter="udkm", reduce=2, roi=[10, 110, 0, 300]
    )
    expected = local["20210205"]["101500"].raw["images"].values[:, 10:110:2, 0:300:2]
    np.testing.assert_array_equal(small["20210205"]["101500"].raw["images"].values, expected)


def test_changed_object_is_read_again_and_missing_frame_is_named(bucket: str) -> None:
    import s3fs
    import tifffile

    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    scan = nx5d_core.open_repository(f"s3://{bucket}/udkm", adapter="udkm")["20210205"]["091726"]
    before = scan.raw["images"].values[5].copy()
    assert before.any()
    path = f"{bucket}/udkm/20210205/091726/image00005.tiff"
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, np.zeros_like(before))
    fs.pipe_file(path, buffer.getvalue())
    after = scan.raw["images"].values[5]
    assert not after.any()  # the cached raw was not returned: the object's ETag changed
    fs.rm(f"{bucket}/udkm/20210205/091726/image00007.tiff")
    fresh = nx5d_core.open_repository(f"s3://{bucket}/udkm", adapter="udkm")["20210205"]["091726"]
    with pytest.raises(MissingFrameError, match="image00007.tiff"):
        _ = fresh.raw


@contextlib.contextmanager
def _web_server(local_root: Path) -> Iterator[str]:
    """A real web server on loopback serving ``local_root``'s folder; stopped on leaving."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(local_root.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/udkm"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def web_root(local_root: Path) -> Iterator[str]:
    with _web_server(local_root) as url:
        yield url


def test_web_server_repository_equals_the_local_one(web_root: str, local_root: Path) -> None:
    local = nx5d_core.open_repository(str(local_root))["20210205"]["101500"]
    remote = nx5d_core.open_repository(web_root, adapter="udkm")
    assert remote["20210205"].keys() == SCANS["20210205"]
    scan = remote["20210205"]["101500"]
    np.testing.assert_array_equal(scan.raw["images"].values, local.raw["images"].values)
    identities = dict(scan._fingerprint().files)
    assert identities["image00003.tiff"][1] > 0  # sizes and times from the server's headers


REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


def test_real_nexus_files_and_spec_files_from_s3(s3_endpoint: str, tmp_path: Path) -> None:
    """Real NeXus files (SLS STXM, APS 9-ID-C SAXS) and a SPEC file read from S3 equal the
    same files read from disk."""
    import s3fs
    from nx5d_spec.sample import write_spec

    stxm = REAL / "SLS" / "STXM" / "2021-03-16"
    if not stxm.is_dir():
        pytest.skip(f"real data not found at {stxm}")
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    name = f"nx5d-{uuid.uuid4().hex[:12]}"
    fs.mkdir(name)
    fs.put(f"{stxm}/", f"{name}/stxm/2021-03-16/", recursive=True)
    spec = write_spec(tmp_path / "spec" / "sampleA.spec", scans=(1, 2, 10))
    fs.put(str(spec), f"{name}/spec/sampleA.spec")
    try:
        local = nx5d_core.open_repository(f"file://{stxm.parent}/{{proposal}}/{{scan}}.hdf5")
        remote = nx5d_core.open_repository(
            f"s3://{name}/stxm/{{proposal}}/{{scan}}.hdf5", adapter="hdf5"
        )
        assert remote.keys() == local.keys()
        proposal = local.keys()[0]
        assert remote[proposal].keys() == local[proposal].keys()
        for key in local[proposal]:
            here, there = local[proposal][key].raw, remote[proposal][key].raw
            assert sorted(there.data_vars) == sorted(here.data_vars)
            for var in here.data_vars:
                np.testing.assert_array_equal(there[var].values, here[var].values)
        assert remote[proposal][key].summary.num_frames == local[proposal][key].summary.num_frames
        spec_local = nx5d_core.open_repository(
            f"file://{spec.parent}/{{proposal}}.spec#{{scan}}", adapter="spec"
        )
        spec_remote = nx5d_core.open_repository(
            f"s3://{name}/spec/{{proposal}}.spec#{{scan}}", adapter="spec"
        )
        assert spec_remote["sampleA"].keys() == ["1", "2", "10"]
        for key in ("1", "10"):
            a, b = spec_remote["sampleA"][key].raw, spec_local["sampleA"][key].raw
            assert sorted(a.data_vars) == sorted(b.data_vars)
            for var in b.data_vars:
                np.testing.assert_array_equal(a[var].values, b[var].values)
    finally:
        fs.rm(name, recursive=True)


def test_links_in_remote_files_never_reach_local_files(
    s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An HDF5 file in S3 whose external link names a local file (absolute, or relative to a
    working folder that happens to mirror the bucket) gets neither read."""
    import h5py
    import s3fs

    name = f"nx5d-{uuid.uuid4().hex[:12]}"
    secret = tmp_path / name / "nx" / "p" / "secret.h5"  # where a relative link would land
    secret.parent.mkdir(parents=True)
    with h5py.File(secret, "w") as f:
        f["values"] = np.full(3, 42)
    here = tmp_path / "s1.nxs"
    with h5py.File(here, "w") as f:
        entry = f.create_group("entry")
        entry.attrs.update({"NX_class": "NXentry", "default": "data"})
        data = entry.create_group("data")
        data.attrs.update({"NX_class": "NXdata", "signal": "frames"})
        data["frames"] = np.arange(6).reshape(2, 3)
        data["absolute"] = h5py.ExternalLink(str(secret), "/values")
        data["relative"] = h5py.ExternalLink("secret.h5", "/values")
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    fs.mkdir(name)
    fs.put(str(here), f"{name}/nx/p/s1.nxs")
    monkeypatch.chdir(tmp_path)
    try:
        repo = nx5d_core.open_repository(
            f"s3://{name}/nx/{{proposal}}/{{scan}}.nxs", adapter="hdf5"
        )
        raw = repo["p"]["s1"].raw
        assert raw["frames"].values.tolist() == [[0, 1, 2], [3, 4, 5]]
        assert "absolute" not in raw
        assert "relative" not in raw
        assert not any(np.array_equal(v.values, np.full(3, 42)) for v in raw.data_vars.values())
        with pytest.raises(nx5d_core.OutsideRootError):
            repo.guard.resolve(secret)
    finally:
        fs.rm(name, recursive=True)


# -- remote reads bounded in time and consistent (issue 26, item 4) ----------------------------


def test_an_object_rewritten_after_lazy_was_built_raises_instead_of_mixing(bucket: str) -> None:
    import s3fs
    import tifffile

    from nx5d_core.errors import FilesChangedError

    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    scan = nx5d_core.open_repository(f"s3://{bucket}/udkm", adapter="udkm")["20210205"]["091726"]
    lazy = scan.lazy()["images"]
    first = lazy[0].values  # a block read before the change is fine
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, np.zeros_like(first))
    fs.pipe_file(f"{bucket}/udkm/20210205/091726/image00020.tiff", buffer.getvalue())
    with pytest.raises(FilesChangedError, match="image00020.tiff"):
        lazy[20].values  # noqa: B018
    assert scan.lazy()["images"][20].values.max() == 0  # built again: the new object


def test_a_refused_connection_and_a_frozen_server_are_said_within_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    import socket
    import time

    from nx5d_core.errors import RemoteUnavailableError

    monkeypatch.setenv("NX5D_REMOTE_TIMEOUT", "1")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with pytest.raises(RemoteUnavailableError, match=r"unavailable: ClientConnectorError"):
        nx5d_core.open_repository(f"http://127.0.0.1:{port}/udkm", adapter="udkm").keys()  # not "does not exist"

    frozen = socket.socket()
    frozen.bind(("127.0.0.1", 0))
    frozen.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        frozen.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(frozen.accept()[0])  # accepted, never answered
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        with pytest.raises(RemoteUnavailableError, match=r"no answer within 1 s"):
            nx5d_core.open_repository(f"http://127.0.0.1:{frozen.getsockname()[1]}/udkm", adapter="udkm").keys()  # fmt: skip
        assert time.monotonic() - started < 15  # not minutes
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        frozen.close()


def test_a_server_that_goes_away_mid_read_is_no_corrupt_frame(local_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from nx5d_udkm.errors import CorruptFrameError

    from nx5d_core.errors import RemoteUnavailableError

    monkeypatch.setenv("NX5D_REMOTE_TIMEOUT", "2")
    with _web_server(local_root) as url:
        scan = nx5d_core.open_repository(url, adapter="udkm")["20210205"]["101500"]
        lazy = scan.lazy()["images"]
    with pytest.raises(RemoteUnavailableError) as caught:
        lazy[3].values  # noqa: B018
    assert not isinstance(caught.value, CorruptFrameError)
