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

__all__ = ["KEY", "Server", "tiled_server", "write_runs"]

KEY = "nx5dtestkey0123456789"


@dataclass
class Server:
    url: str
    runs: dict[str, str] = field(default_factory=dict)
    """What each written run is for -> its uid."""


def write_runs(url: str) -> dict[str, str]:
    """Runs written into the server at ``url`` by bluesky's RunEngine and TiledWriter, by
    what each is for: a scan with a sample, a count with a baseline, a repeated scan id, one
    with only ``proposal_id``, one with neither; uid of each."""
    from tiled.client import from_uri

    client = from_uri(url, api_key=KEY)
    try:
        return _record(client)
    finally:
        client.context.close()


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
def tiled_server(log: Path, *, timeout: float = 60.0) -> Iterator[str]:
    """The URL of a new tiled catalog server (temporary storage, API key :data:`KEY`), stopped
    on exit; its output goes to ``log``.

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
