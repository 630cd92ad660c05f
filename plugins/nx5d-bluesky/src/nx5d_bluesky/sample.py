"""A tiled catalog server of Bluesky runs for tests, tutorials and benchmarks: started on
loopback (dies with the process that started it), runs written by bluesky's own RunEngine and
TiledWriter from ophyd.sim devices (bluesky and ophyd are the test extra's)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nx5d_core.testing.processes import popen
from nx5d_core.testing.serving import free_port

__all__ = [
    "FRAMES",
    "KEY",
    "Server",
    "hdf5_frames",
    "tiled_server",
    "write_missing",
    "write_run",
    "write_runs",
]

KEY = "nx5dtestkey0123456789"


@dataclass
class Server:
    url: str
    runs: dict[str, str] = field(default_factory=dict)
    """What each written run is for -> its uid."""
    files: str = ""
    """The folder of detector files the server may read (``tiled_server(readable=...)``)."""


def write_runs(url: str, *, files: Path | None = None) -> dict[str, str]:
    """Runs written into the server at ``url`` by bluesky's RunEngine and TiledWriter, by
    what each is for: a scan with a sample, a count with a baseline, a repeated scan id, one
    with only ``proposal_id``, one with neither, a failed one, one still being written; uid of
    each. With ``files`` (a folder the server may read: :func:`tiled_server`'s ``readable``),
    detector runs in proposal ``pass-2`` too: ``images`` (ophyd.sim's image detector, NPY files
    through Resource/Datum) and ``hdf5`` (an area detector's HDF5 file through StreamResource
    and StreamDatum)."""
    from tiled.client import from_uri

    client = from_uri(url, api_key=KEY)
    try:
        runs = _record(client)
        if files is not None:
            runs |= _detector_runs(client, files)
        return runs
    finally:
        client.context.close()


FRAMES = (4, 6, 5)
"""Shape of the ``hdf5`` run's images: frames, rows, columns."""


def hdf5_frames() -> Any:
    """The images of the ``hdf5`` run (each pixel its own value)."""
    import numpy as np

    return np.arange(int(np.prod(FRAMES)), dtype="<u2").reshape(FRAMES)


def _detector_runs(client: Any, files: Path) -> dict[str, str]:
    from bluesky import RunEngine
    from bluesky.plans import count
    from bluesky_tiled_plugins import TiledWriter
    from ophyd.sim import det, img

    runs: dict[str, str] = {}
    engine: Any = RunEngine({})
    engine.subscribe(TiledWriter(client))
    engine.md["data_session"] = "pass-2"
    saved, img.save_path = img.save_path, str(files / "npy")
    (files / "npy").mkdir(exist_ok=True)
    try:
        (runs["images"],) = engine(count([img, det], 3))
    finally:
        img.save_path = saved
    runs["hdf5"] = write_hdf5_run(client, files / "frames.h5", scan_id=10, frames=hdf5_frames())
    return runs


def write_run(url: str, metadata: dict[str, Any]) -> str:
    """The uid of a new stopped run with start ``metadata`` and one event (``det`` = 1.0)."""
    import time as clock

    from bluesky_tiled_plugins import TiledWriter
    from event_model import compose_run
    from tiled.client import from_uri

    client = from_uri(url, api_key=KEY)
    try:
        writer = TiledWriter(client)
        run: Any = compose_run(metadata={"plan_name": "count", **metadata})
        writer("start", run.start_doc)
        keys = {"det": {"dtype": "number", "shape": [], "source": "sim"}}
        stream = run.compose_descriptor(name="primary", data_keys=keys)
        writer("descriptor", stream.descriptor_doc)
        writer("event", stream.compose_event(data={"det": 1.0}, timestamps={"det": clock.time()}, seq_num=1))  # fmt: skip
        writer("stop", run.compose_stop())
    finally:
        client.context.close()
    return str(run.start_doc["uid"])


def write_missing(url: str, *, files: Path) -> str:
    """The uid of an ``hdf5``-like run (scan 11 of ``pass-2``) whose HDF5 file was deleted
    after the run: its images cannot be read."""
    from tiled.client import from_uri

    client = from_uri(url, api_key=KEY)
    try:
        uid = write_hdf5_run(client, files / "gone.h5", scan_id=11, frames=hdf5_frames())
    finally:
        client.context.close()
    (files / "gone.h5").unlink()
    return uid


def write_hdf5_run(
    client: Any,
    path: Path,
    *,
    scan_id: int,
    frames: Any,
    data_session: str = "pass-2",
    columns: dict[str, list[int]] | None = None,
) -> str:
    """The uid of a run whose images (``frames``) an area detector wrote to the HDF5 file
    ``path``, announced by StreamResource and StreamDatum documents (as ophyd-async's detectors
    and areaDetector's HDF5 plugin do), with the sum of each frame as ``cam_sum`` and the
    integer ``columns`` (one value per frame, e.g. a tomography ``image_key``) as readings."""
    import time as clock

    import h5py
    from bluesky_tiled_plugins import TiledWriter
    from event_model import compose_run

    shape = tuple(frames.shape)
    with h5py.File(path, "w") as out:
        out.create_dataset("entry/data/data", data=frames, chunks=(1, *shape[1:]))
    writer = TiledWriter(client)
    run: Any = compose_run(metadata={"data_session": data_session, "scan_id": scan_id, "plan_name": "count", "detectors": ["cam"]})  # fmt: skip
    writer("start", run.start_doc)
    extra = columns or {}
    keys = {
        **{name: {"dtype": "integer", "shape": [], "source": "sim"} for name in extra},
        "cam_sum": {"dtype": "number", "shape": [], "source": "sim"},
        "cam": {
            "dtype": "array",
            "shape": list(shape[1:]),
            "source": "sim",
            "external": "STREAM:",
            "dtype_numpy": frames.dtype.str,
        },
    }
    stream = run.compose_descriptor(name="primary", data_keys=keys)
    writer("descriptor", stream.descriptor_doc)
    resource = run.compose_stream_resource(mimetype="application/x-hdf5", uri=path.resolve().as_uri(), data_key="cam", parameters={"dataset": "entry/data/data"})  # fmt: skip
    writer("stream_resource", resource.stream_resource_doc)
    for n in range(shape[0]):
        data = {"cam_sum": float(frames[n].sum()), **{k: int(v[n]) for k, v in extra.items()}}
        writer("event", stream.compose_event(data=data, timestamps=dict.fromkeys(data, clock.time()), seq_num=n + 1))  # fmt: skip
    datum = resource.compose_stream_datum(indices={"start": 0, "stop": shape[0]}, seq_nums={"start": 1, "stop": shape[0] + 1}, descriptor=stream.descriptor_doc)  # fmt: skip
    writer("stream_datum", datum)
    writer("stop", run.compose_stop())
    return str(run.start_doc["uid"])


def _record(client: Any) -> dict[str, str]:
    from bluesky import RunEngine
    from bluesky.plans import count, scan
    from bluesky.preprocessors import SupplementalData
    from bluesky_tiled_plugins import TiledWriter
    from ophyd.sim import det, det1, motor

    engine: Any = RunEngine({})  # its call returns the run uids (typed as a result object)
    supplemental: Any = SupplementalData
    engine.subscribe(TiledWriter(client))
    runs: dict[str, str] = {}
    engine.md["data_session"] = "pass-1"
    (runs["scan"],) = engine(scan([det], motor, -1, 1, 5), sample="Si(111)")
    baseline = supplemental(baseline=[det1])
    engine.preprocessors.append(baseline)
    (runs["baseline"],) = engine(count([det], 3))
    engine.preprocessors.remove(baseline)
    engine.md["scan_id"] = 1  # the next run takes scan id 2 again: a repeated scan id
    (runs["repeated"],) = engine(count([det], 2))
    del engine.md["data_session"]
    engine.md["proposal_id"] = "777"
    (runs["fallback"],) = engine(count([det], 1))
    del engine.md["proposal_id"]
    (runs["unassigned"],) = engine(count([det], 1))
    engine.md["data_session"] = "pass-1"
    runs["failed"] = _failed_run(engine, det)
    runs["running"] = _running_run(client)
    return runs


def _failed_run(engine: Any, det: Any) -> str:
    """A run whose plan raised: its stop document says ``fail``."""
    from bluesky.plan_stubs import trigger_and_read
    from bluesky.preprocessors import run_decorator

    starts: list[str] = []
    token = engine.subscribe(lambda name, doc: starts.append(doc["uid"]), "start")

    def failing() -> Any:
        yield from trigger_and_read([det])
        msg = "the plan failed on purpose"
        raise RuntimeError(msg)

    as_run: Any = run_decorator(md={"purpose": "fails"})
    try:
        engine(as_run(failing)())
    except RuntimeError:
        pass
    finally:
        engine.unsubscribe(token)
    return starts[-1]


def _running_run(client: Any) -> str:
    """A run with a start document and two events but no stop document: still being written."""
    import time as clock

    from bluesky_tiled_plugins import TiledWriter
    from event_model import compose_run

    writer = TiledWriter(client, batch_size=1)  # each event written as it comes, as at a beamline
    run = compose_run(metadata={"data_session": "pass-1", "scan_id": 99, "plan_name": "count"})
    writer("start", run.start_doc)
    stream = run.compose_descriptor(
        name="primary",
        data_keys={"det": {"dtype": "number", "shape": [], "source": "sim"}},
    )
    writer("descriptor", stream.descriptor_doc)
    for n in range(2):
        now = clock.time()
        writer("event", stream.compose_event(data={"det": float(n)}, timestamps={"det": now}, seq_num=n + 1))  # fmt: skip
    return str(run.start_doc["uid"])


@contextmanager
def tiled_server(
    log: Path, *, readable: Path | None = None, catalog: str | None = None, timeout: float = 60.0
) -> Iterator[str]:
    """The URL of a new tiled catalog server (temporary storage, API key :data:`KEY`), stopped
    on exit; its output goes to ``log``. ``readable``: a folder of detector files the server
    may read (runs' external files). ``catalog``: a PostgreSQL database URL to hold the catalog
    (as facilities run tiled) instead of a temporary SQLite file; its data go beside ``log``.

    Raises
    ------
    RuntimeError
        The server did not answer within ``timeout`` seconds.
    """
    import httpx

    port = free_port()
    tiled = Path(sys.executable).with_name("tiled")
    with log.open("w") as out:
        command = ["serve", "catalog", "--temp", "--api-key", KEY, "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
        if catalog is not None:
            storage = log.parent / "storage"
            storage.mkdir(exist_ok=True)
            database = catalog.replace("postgresql://", "postgresql+asyncpg://", 1)
            tables = f"sqlite:///{storage / 'tables.sqlite'}"
            command[2:3] = [database, "--init", "--write", str(storage), "--write", tables]
        if readable is not None:
            command += ["--read", str(readable.resolve())]
        process = popen([str(tiled), *command], stdout=out, stderr=out)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    httpx.get(f"{url}/api/v1/", timeout=2).raise_for_status()
                    break
                except httpx.HTTPError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        msg = f"tiled server did not start: see {log}"
                        raise RuntimeError(msg) from None
                    time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            process.wait(30)
